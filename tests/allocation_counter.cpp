// Replaces the global operator new to count allocations per thread, and to
// refuse them on demand. In a translation unit of its own, so that no caller
// sees new and delete inline.
#include "allocation_counter.hpp"

#include <cstddef>
#include <cstdlib>
#include <new>

namespace zring_test {
namespace {
thread_local std::size_t count = 0;
thread_local bool failing = false;
thread_local std::size_t refused_count = 0;
}  // namespace

std::size_t allocations_on_this_thread() noexcept { return count; }

failing_allocations::failing_allocations() noexcept {
    failing = true;
    refused_count = 0;
}
failing_allocations::~failing_allocations() { failing = false; }
std::size_t failing_allocations::refused() const noexcept { return refused_count; }

}  // namespace zring_test

void* operator new(std::size_t size) {
    if (zring_test::failing) {
        ++zring_test::refused_count;
        throw std::bad_alloc();
    }
    ++zring_test::count;
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
