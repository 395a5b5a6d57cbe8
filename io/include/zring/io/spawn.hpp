#pragma once
// spawn: start a task that nobody awaits (fire and forget).
//
// It starts on the scheduler's next loop turn. An exception escaping it goes
// to the scheduler's exception handler (by default: printed, then
// std::terminate); it is never silently dropped. If the scheduler is
// destroyed first, the task's frame is destroyed with it.

#include <zring/coro/task.hpp>
#include <zring/io/scheduler.hpp>

#include <coroutine>
#include <cstddef>
#include <exception>

namespace zring {

namespace detail {

struct spawned_task {
    struct promise_type {
        scheduler* owner = nullptr;
        std::size_t slot = 0;

        spawned_task get_return_object() noexcept { return {std::coroutine_handle<promise_type>::from_promise(*this)}; }
        std::suspend_always initial_suspend() noexcept { return {}; }
        auto final_suspend() noexcept {
            struct self_destroy {
                bool await_ready() noexcept { return false; }
                void await_suspend(std::coroutine_handle<promise_type> h) noexcept {
                    scheduler_access::release(*h.promise().owner, h.promise().slot);
                    h.destroy();
                }
                void await_resume() noexcept {}
            };
            return self_destroy{};
        }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { owner->report_exception(std::current_exception()); }
    };
    std::coroutine_handle<promise_type> handle;
};

template <class T>
spawned_task run_spawned(task<T> t) {
    co_await std::move(t);
}

}  // namespace detail

template <class T>
void spawn(scheduler& s, task<T> t) {
    auto h = detail::run_spawned(std::move(t)).handle;
    h.promise().owner = &s;
    try {
        detail::scheduler_access::adopt(s, h, h.promise().slot);
    } catch (...) {  // not adopted: no slot to give back
        h.destroy();
        throw;
    }
    try {
        s.schedule(h);
    } catch (...) {
        detail::scheduler_access::release(s, h.promise().slot);
        h.destroy();
        throw;
    }
}

}  // namespace zring
