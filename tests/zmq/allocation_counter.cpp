// Replaces the global operator new to count allocations per thread. In a
// translation unit of its own, so that no caller sees new and delete inline.
#include <cstddef>
#include <cstdlib>
#include <new>

namespace zring_test {
namespace {
thread_local std::size_t count = 0;
}
std::size_t allocations_on_this_thread() noexcept { return count; }
}  // namespace zring_test

void* operator new(std::size_t size) {
    ++zring_test::count;
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
