#pragma once
// Timers: sleep_for / sleep_until for coroutines, periodic_callback for
// callbacks (call_later and call_at are on the scheduler).
//
// No timer fires early: each fires on the first loop turn at or after its
// deadline, in deadline order.

#include <zring/coro/cancellation.hpp>
#include <zring/coro/detail/operation.hpp>
#include <zring/io/detail/cancellation.hpp>
#include <zring/io/detail/timer_heap.hpp>
#include <zring/io/scheduler.hpp>

#include <chrono>
#include <coroutine>
#include <stop_token>

namespace zring {

class sleep_awaiter : private detail::timer_node,
                      public detail::operation<sleep_awaiter, detail::io_cancellation<sleep_awaiter>> {
    using base = detail::operation<sleep_awaiter, detail::io_cancellation<sleep_awaiter>>;

public:
    sleep_awaiter(scheduler& s, detail::clock::time_point deadline, std::stop_token token) noexcept
        : base(std::move(token), s), scheduler_(s) {
        this->deadline = deadline;
        this->fire = [](timer_node* n) noexcept {
            auto* self = static_cast<sleep_awaiter*>(n);
            self->conclude(detail::outcome::done);
            self->scheduler_.schedule(self->resumed_);
        };
    }
    sleep_awaiter(sleep_awaiter&& o) noexcept : timer_node(o), base(std::move(o)), scheduler_(o.scheduler_) {}
    ~sleep_awaiter() { detail::scheduler_access::remove_timer(scheduler_, this); }

    bool await_ready() const noexcept { return false; }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> h) {
        return suspend(h, [this](std::coroutine_handle<> awaiting) {
            resumed_.handle = awaiting;
            detail::scheduler_access::add_timer(scheduler_, this);
            return true;
        });
    }
    void await_resume() { resume_outcome("zring::sleep"); }

    void cancel() noexcept {
        if (!armed()) return;  // fired: the wake-up is already queued
        detail::scheduler_access::remove_timer(scheduler_, this);
        conclude(detail::outcome::cancelled);
        scheduler_.schedule(resumed_);
    }

private:
    scheduler& scheduler_;
    detail::resume_node resumed_;  // queued to resume the waiter: allocates nothing
};

// Suspends until the deadline on the scheduler running this coroutine.
// Stop requested on the token (or the ambient one) ends it with operation_cancelled.
[[nodiscard]] inline sleep_awaiter sleep_until(detail::clock::time_point deadline, std::stop_token token = {}) {
    return sleep_awaiter(detail::current_scheduler("zring::sleep_until"), deadline, std::move(token));
}

template <class Rep, class Period>
[[nodiscard]] sleep_awaiter sleep_for(std::chrono::duration<Rep, Period> delay, std::stop_token token = {}) {
    return sleep_awaiter(detail::current_scheduler("zring::sleep_for"),
                         detail::clock::now() + std::chrono::duration_cast<detail::clock::duration>(delay),
                         std::move(token));
}

// Calls a function every period, like Tornado's PeriodicCallback: if a call
// runs late, missed periods are skipped rather than run in a burst.
class periodic_callback {
public:
    // Throws std::invalid_argument unless period is positive.
    periodic_callback(scheduler& s, detail::clock::duration period, std::function<void()> fn);
    ~periodic_callback() { stop(); }
    periodic_callback(const periodic_callback&) = delete;
    periodic_callback& operator=(const periodic_callback&) = delete;

    void start();
    void stop() noexcept;
    bool running() const noexcept { return running_; }

private:
    void schedule_next();

    scheduler& scheduler_;
    detail::clock::duration period_;
    std::function<void()> fn_;
    detail::clock::time_point next_{};
    timer_handle timer_;
    bool running_ = false;
};

}  // namespace zring
