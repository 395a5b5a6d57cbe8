#pragma once
// The scheduler's FIFO of work for the next loop turn, in fixed blocks of
// callbacks. A callback is built where it waits and runs where it was built:
// queueing moves nothing, and growing never relocates queued work. Emptied
// blocks are kept (a few) for reuse, so the steady state allocates nothing.

#include <zring/io/detail/callback.hpp>

#include <cstddef>
#include <new>
#include <utility>

namespace zring::detail {

class ready_queue {
public:
    ready_queue() : head_(new block), tail_(head_) {}
    ~ready_queue() {
        clear();
        delete head_;
        while (spare_) delete std::exchange(spare_, spare_->next);
    }
    ready_queue(const ready_queue&) = delete;
    ready_queue& operator=(const ready_queue&) = delete;

    bool empty() const noexcept { return size_ == 0; }
    std::size_t size() const noexcept { return size_; }

    template <class... Args>
    void emplace(Args&&... args) {
        if (tail_index_ == block_size) add_block();
        ::new (tail_->raw(tail_index_)) callback(std::forward<Args>(args)...);
        ++tail_index_;
        ++size_;
    }

    // The oldest callback. It stays where it is while it runs, even if it
    // queues more work: a block is recycled only once the head has left it.
    callback& front() noexcept { return *head_->slot(head_index_); }

    // Removes the front callback (run or not).
    void pop() noexcept {
        head_->slot(head_index_)->~callback();
        --size_;
        if (size_ == 0) {
            // Empty: start again at the front of the tail block.
            while (head_ != tail_) recycle(std::exchange(head_, head_->next));
            head_index_ = tail_index_ = 0;
        } else if (++head_index_ == block_size) {
            recycle(std::exchange(head_, head_->next));
            head_index_ = 0;
        }
    }

    void clear() noexcept {
        while (!empty()) pop();
    }

private:
    static constexpr std::size_t block_size = 256;  // 16 KiB of callbacks
    static constexpr std::size_t max_spares = 16;   // kept after a burst

    struct block {
        block* next = nullptr;
        alignas(callback) unsigned char storage[block_size * sizeof(callback)];
        void* raw(std::size_t i) noexcept { return storage + i * sizeof(callback); }
        callback* slot(std::size_t i) noexcept { return std::launder(static_cast<callback*>(raw(i))); }
    };

    void add_block() {
        block* b = spare_;
        if (b) {
            spare_ = b->next;
            --spares_;
            b->next = nullptr;
        } else {
            b = new block;
        }
        tail_->next = b;
        tail_ = b;
        tail_index_ = 0;
    }

    void recycle(block* b) noexcept {
        if (spares_ == max_spares) {
            delete b;
            return;
        }
        b->next = spare_;
        spare_ = b;
        ++spares_;
    }

    block* head_;
    block* tail_;
    std::size_t head_index_ = 0;
    std::size_t tail_index_ = 0;
    std::size_t size_ = 0;
    block* spare_ = nullptr;
    std::size_t spares_ = 0;
};

}  // namespace zring::detail
