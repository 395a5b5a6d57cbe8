#pragma once
// For the executable that links allocation_counter.cpp, which replaces the
// global operator new: allocations counted per thread, and made to fail on
// demand.

#include <cstddef>

namespace zring_test {

std::size_t allocations_on_this_thread() noexcept;

// While one lives, every operator new on this thread throws std::bad_alloc.
// Catch2's macros allocate: assert after it is gone.
class failing_allocations {
public:
    failing_allocations() noexcept;
    ~failing_allocations();
    failing_allocations(const failing_allocations&) = delete;
    failing_allocations& operator=(const failing_allocations&) = delete;
    // How many allocations were refused so far.
    std::size_t refused() const noexcept;
};

}  // namespace zring_test
