#pragma once
// The cancellation policy (see coro/detail/operation.hpp) of operations
// bound to a scheduler: on the scheduler's thread a stop callback cancels at
// once. From another thread it hands a node (stored here, no allocation) to
// the scheduler's cross-thread queue; disarm() withdraws it if still queued,
// so a relay never outlives the operation it points at.

#include <zring/coro/detail/operation.hpp>
#include <zring/io/detail/io_operation.hpp>
#include <zring/io/scheduler.hpp>

#include <atomic>
#include <stdexcept>
#include <string>

namespace zring::detail {

// Op must provide `void cancel() noexcept`, safe to call after completion and
// more than once.
template <class Op>
class io_cancellation {
public:
    explicit io_cancellation(scheduler& s) noexcept : scheduler_(&s) {}
    // Moved only before arm().
    io_cancellation(io_cancellation&& o) noexcept : scheduler_(o.scheduler_) {}
    // A frame destroyed mid-wait (a teardown) leaves no relay queued.
    ~io_cancellation() { disarm(); }

    // Call once the operation is pending and tokens.stop_requested() was false.
    void arm(Op& op, operation_tokens tokens) {
        relay_.op = &op;
        // Refused: the scheduler's teardown cancels the operation anyway.
        relay_.run = [](remote_node* n, bool) noexcept { static_cast<relay*>(n)->op->cancel(); };
        watch_.arm(std::move(tokens), on_stop{this});
    }

    // Call before the operation is resumed or destroyed.
    void disarm() noexcept {
        watch_.disarm();  // waits for a callback running on another thread
        if (relayed_.load(std::memory_order_acquire)) {
            scheduler_access::withdraw_remote(*scheduler_, &relay_);
            relayed_.store(false, std::memory_order_relaxed);
        }
    }

private:
    struct relay : remote_node {
        Op* op = nullptr;
    };
    struct on_stop {
        io_cancellation* self;
        void operator()() const noexcept {
            if (self->scheduler_->on_owner_thread()) {
                self->relay_.op->cancel();
            } else {
                self->relayed_.store(true, std::memory_order_release);
                // A second post while queued is a no-op; a scheduler that
                // shut down has cancelled the operation already.
                scheduler_access::try_post_remote(*self->scheduler_, &self->relay_);
            }
        }
    };

    scheduler* scheduler_;
    relay relay_;
    std::atomic<bool> relayed_{false};
    stop_watch<on_stop> watch_;
};

// The scheduler an operation runs on: the one running on this thread.
inline scheduler& current_scheduler(const char* operation) {
    if (scheduler* s = scheduler::current()) return *s;
    throw std::logic_error(std::string(operation) + ": no zring::scheduler is running on this thread");
}

}  // namespace zring::detail
