#pragma once
// A coroutine handed to another scheduler's thread (a hop, an offload's
// result, a cross-thread channel's wake-up) without allocating: the node
// lives in the awaiter, in the suspended coroutine's frame.

#include <zring/io/detail/io_operation.hpp>
#include <zring/io/errors.hpp>
#include <zring/io/scheduler.hpp>

#include <coroutine>
#include <string>
#include <utility>

namespace zring::detail {

class remote_resumption : private remote_node {
public:
    remote_resumption() noexcept { run = &on_run; }
    // Moved only before it is posted.
    remote_resumption(remote_resumption&&) noexcept : remote_resumption() {}
    remote_resumption& operator=(remote_resumption&&) = delete;
    // A frame destroyed while its resumption is queued withdraws it.
    ~remote_resumption() {
        if (target_) scheduler_access::withdraw_remote(*target_, this);
    }

    // Resumes h on target's thread, on its loop's next turn; false (nothing
    // queued) if target has shut down.
    bool post(scheduler& target, std::coroutine_handle<> h) {
        target_ = &target;
        resumed_.handle = h;
        if (scheduler_access::try_post_remote(target, this)) return true;
        target_ = nullptr;
        return false;
    }
    // Throws scheduler_stopped if target shut down before resuming h there:
    // h was then resumed on target's thread during its teardown.
    void check(const char* operation) const {
        if (refused_) throw scheduler_stopped(operation);
    }

private:
    static void on_run(remote_node* n, bool refused) noexcept {
        auto* self = static_cast<remote_resumption*>(n);
        scheduler* target = std::exchange(self->target_, nullptr);  // unlinked: nothing to withdraw
        if (refused) {
            self->refused_ = true;
            self->resumed_.handle.resume();
        } else {
            // Through the ready queue, behind work already ready: hops never
            // starve a loop, however often coroutines come and go.
            target->schedule(self->resumed_);
        }
    }

    scheduler* target_ = nullptr;
    detail::resume_node resumed_;  // queued to resume the waiter: allocates nothing
    bool refused_ = false;
};

}  // namespace zring::detail
