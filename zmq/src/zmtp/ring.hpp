#pragma once
// ring: a FIFO in one growing array, for the engine's message queues. Once
// it has grown to its working size, pushing and popping allocate nothing
// (std::deque allocates and frees a block every few hundred bytes).

#include <cstddef>
#include <utility>
#include <vector>

namespace zring::zmtp::detail {

template <class T>
class ring {
public:
    bool empty() const noexcept { return count_ == 0; }
    std::size_t size() const noexcept { return count_; }
    T& front() noexcept { return slots_[first_]; }
    T& operator[](std::size_t i) noexcept { return slots_[(first_ + i) & (slots_.size() - 1)]; }

    // Room for n more, so that the next n pushes cannot throw.
    void reserve_more(std::size_t n) {
        while (slots_.size() - count_ < n) grow();
    }

    // Strong guarantee: if growing fails, the ring is as it was.
    void push_back(T&& value) {
        if (count_ == slots_.size()) grow();
        slots_[(first_ + count_) & (slots_.size() - 1)] = std::move(value);
        ++count_;
    }
    T pop_front() noexcept {
        T value = std::move(slots_[first_]);
        first_ = (first_ + 1) & (slots_.size() - 1);
        --count_;
        return value;
    }
    void clear() noexcept {
        while (!empty()) pop_front();
    }

private:
    void grow() {
        std::vector<T> bigger(slots_.empty() ? 16 : slots_.size() * 2);
        for (std::size_t i = 0; i < count_; ++i) bigger[i] = std::move((*this)[i]);
        slots_ = std::move(bigger);
        first_ = 0;
    }
    std::vector<T> slots_;  // a power of two in size
    std::size_t first_ = 0;
    std::size_t count_ = 0;
};

}  // namespace zring::zmtp::detail
