#pragma once
// The scheduler's FIFO of work for the next loop turn: a growable ring of
// callbacks. Pushing allocates only when the ring grows.

#include <zring/io/detail/callback.hpp>

#include <cstddef>
#include <memory>
#include <utility>

namespace zring::detail {

class ready_queue {
public:
    ready_queue() : buffer_(std::make_unique<callback[]>(initial_capacity)), mask_(initial_capacity - 1) {}

    bool empty() const noexcept { return head_ == tail_; }
    std::size_t size() const noexcept { return tail_ - head_; }

    void push(callback&& cb) {
        if (size() == mask_ + 1) grow();
        buffer_[tail_++ & mask_] = std::move(cb);
    }

    callback pop() noexcept { return std::move(buffer_[head_++ & mask_]); }

    void clear() noexcept {
        while (!empty()) pop();
    }

private:
    static constexpr std::size_t initial_capacity = 1024;

    void grow() {
        const std::size_t capacity = (mask_ + 1) * 2;
        auto bigger = std::make_unique<callback[]>(capacity);
        const std::size_t n = size();
        for (std::size_t i = 0; i < n; ++i) bigger[i] = std::move(buffer_[(head_ + i) & mask_]);
        buffer_ = std::move(bigger);
        mask_ = capacity - 1;
        head_ = 0;
        tail_ = n;
    }

    std::unique_ptr<callback[]> buffer_;
    std::size_t mask_;
    std::size_t head_ = 0;
    std::size_t tail_ = 0;
};

}  // namespace zring::detail
