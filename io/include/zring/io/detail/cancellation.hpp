#pragma once
// Stop-token cancellation for operations bound to a scheduler.
//
// On the scheduler's thread the stop callback cancels at once. From another
// thread it hands a node (stored here, no allocation) to the scheduler's
// cross-thread queue; disarm() withdraws it if still queued, so a relay
// never outlives the operation it points at.

#include <zring/io/detail/io_operation.hpp>
#include <zring/io/scheduler.hpp>

#include <atomic>
#include <optional>
#include <stop_token>

namespace zring::detail {

// Op must provide `void cancel() noexcept`, safe to call after completion.
template <class Op>
class io_cancellation {
public:
    io_cancellation() = default;
    // Moved only before arm().
    io_cancellation(io_cancellation&&) noexcept {}

    // Call once the operation is pending and token.stop_requested() was false.
    void arm(scheduler& s, Op* op, std::stop_token token) {
        if (!token.stop_possible()) return;
        scheduler_ = &s;
        relay_.op = op;
        relay_.run = [](remote_node* n) noexcept { static_cast<relay*>(n)->op->cancel(); };
        callback_.emplace(std::move(token), on_stop{this});
    }

    // Call before the operation is resumed or destroyed.
    void disarm() noexcept {
        callback_.reset();  // waits for a callback running on another thread
        if (relayed_.load(std::memory_order_acquire)) {
            scheduler_->withdraw_remote(&relay_);
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
                self->scheduler_->post_remote(&self->relay_);
            }
        }
    };

    scheduler* scheduler_ = nullptr;
    relay relay_;
    std::atomic<bool> relayed_{false};
    std::optional<std::stop_callback<on_stop>> callback_;
};

// The scheduler an operation runs on: the one running on this thread.
inline scheduler& current_scheduler(const char* operation) {
    if (scheduler* s = scheduler::current()) return *s;
    throw std::logic_error(std::string(operation) + ": no zring::scheduler is running on this thread");
}

}  // namespace zring::detail
