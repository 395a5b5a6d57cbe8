#pragma once
// The scheduler's FIFO of work for the next loop turn. It holds two kinds of
// entry, in one order:
// - callbacks (call_soon), built in fixed blocks where they wait and run
//   where they were built: queueing moves nothing, growing never relocates
//   queued work, and emptied blocks are kept (a few) for reuse;
// - ready_nodes that live in the operation being completed (a waiter in its
//   frame, a timer): queueing one links it and allocates nothing, so a
//   completion path that must not fail (noexcept) can always resume its
//   waiter. A node destroyed while queued leaves the queue (list_hook).

#include <zring/coro/detail/intrusive_list.hpp>
#include <zring/io/detail/callback.hpp>

#include <coroutine>
#include <cstddef>
#include <new>
#include <utility>

namespace zring::detail {

// An entry of the ready queue. `complete` runs it (run: true) once it
// reaches the front, or lets it go unrun (false) when the queue is cleared;
// the queue has unlinked it either way, so it may queue itself again.
struct ready_node : list_hook {
    void (*complete)(ready_node*, bool run) = nullptr;  // nullptr: a callback in a block
};

// Resumes a coroutine: the node a waiter keeps for its completion.
struct resume_node : ready_node {
    std::coroutine_handle<> handle;
    resume_node() noexcept {
        complete = [](ready_node* n, bool run) {
            if (run) static_cast<resume_node*>(n)->handle.resume();
        };
    }
};

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

    bool empty() const noexcept { return order_.empty(); }

    // May throw (std::bad_alloc) only when a block must be added.
    template <class... Args>
    void emplace(Args&&... args) {
        if (tail_index_ == block_size) add_block();
        entry* e = ::new (tail_->raw(tail_index_)) entry(std::forward<Args>(args)...);
        ++tail_index_;
        order_.push_back(e);
    }
    // Queues n, which must not be queued already. Allocates nothing.
    void push(ready_node& n) noexcept { order_.push_back(&n); }

    // A node that ends a turn: it runs nothing, and is no block callback.
    struct turn_marker : ready_node {
        turn_marker() noexcept {
            complete = [](ready_node*, bool) {};
        }
    };
    // Runs the entries queued before this call, and not those they queue: a
    // marker ends the turn. Each runs once and leaves the queue even if it
    // throws; `report` gets what it threw. `before_each` runs before each.
    template <class Report, class BeforeEach>
    void run_turn(turn_marker& marker, Report&& report, BeforeEach&& before_each) {
        if (order_.empty()) return;
        order_.push_back(&marker);
        while (ready_node* n = order_.front()) {
            if (n == &marker) {
                order_.pop_front();
                return;
            }
            before_each();
            try {
                run_front(n);
            } catch (...) {
                report();
            }
        }
    }

    // Drops every entry unrun: callbacks are destroyed, nodes let go.
    void clear() noexcept {
        while (ready_node* n = order_.pop_front()) {
            if (n->complete)
                n->complete(n, false);
            else
                release_block_front();
        }
    }

private:
    static constexpr std::size_t block_size = 256;  // 20 KiB of callbacks
    static constexpr std::size_t max_spares = 16;   // kept after a burst

    struct entry : ready_node {
        template <class... Args>
        explicit entry(Args&&... args) : fn(std::forward<Args>(args)...) {}
        callback fn;
    };

    // A node leaves the queue before it runs, so it may queue itself again.
    // A callback runs in place (nothing is moved to run it) and its slot is
    // given back once it returned or threw.
    void run_front(ready_node* n) {
        if (n->complete) {
            order_.erase(n);
            n->complete(n, true);
            return;
        }
        struct release_after {
            ready_queue& q;
            ~release_after() {
                q.order_.erase(q.head_->slot(q.head_index_));
                q.release_block_front();
            }
        } guard{*this};
        static_cast<entry*>(n)->fn.run();
    }

    struct block {
        block* next = nullptr;
        alignas(entry) unsigned char storage[block_size * sizeof(entry)];
        void* raw(std::size_t i) noexcept { return storage + i * sizeof(entry); }
        entry* slot(std::size_t i) noexcept { return std::launder(static_cast<entry*>(raw(i))); }
    };

    // Destroys the oldest callback (unlinked already): callbacks leave the
    // queue in the order they entered it, so it is the head block's first.
    void release_block_front() noexcept {
        head_->slot(head_index_)->~entry();
        if (head_ == tail_ && head_index_ + 1 == tail_index_) {
            head_index_ = tail_index_ = 0;  // no callback left: start again at the front
        } else if (++head_index_ == block_size) {
            recycle(std::exchange(head_, head_->next));
            head_index_ = 0;
        }
    }

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

    intrusive_list<ready_node> order_;
    block* head_;
    block* tail_;
    std::size_t head_index_ = 0;  // the oldest callback's slot in head_
    std::size_t tail_index_ = 0;  // the next free slot in tail_
    block* spare_ = nullptr;
    std::size_t spares_ = 0;
};

}  // namespace zring::detail
