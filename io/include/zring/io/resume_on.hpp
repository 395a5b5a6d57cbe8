#pragma once
// resume_on: continue the current coroutine on another scheduler's thread.
//
//     co_await zring::resume_on(pool.at(1));   // now on pool.at(1)'s thread
//
// The hop allocates nothing and wakes the target if it sleeps. It throws
// scheduler_stopped if the target has shut down, or shuts down before the
// hop arrives (the coroutine then continues, to handle the exception, on the
// target's thread during its teardown). The target must outlive the hop; a
// scheduler_pool's schedulers live as long as the pool.

#include <zring/io/detail/remote_resumption.hpp>
#include <zring/io/errors.hpp>
#include <zring/io/scheduler.hpp>

#include <coroutine>

namespace zring {

class resume_on_awaiter {
public:
    explicit resume_on_awaiter(scheduler& target) noexcept : target_(target) {}

    // Already running on the target: nothing to do.
    bool await_ready() const noexcept { return scheduler::current() == &target_; }
    void await_suspend(std::coroutine_handle<> h) {
        if (!resumption_.post(target_, h)) throw scheduler_stopped("zring::resume_on");
    }
    void await_resume() const { resumption_.check("zring::resume_on"); }

private:
    scheduler& target_;
    detail::remote_resumption resumption_;
};

[[nodiscard]] inline resume_on_awaiter resume_on(scheduler& target) noexcept { return resume_on_awaiter(target); }

}  // namespace zring
