#pragma once
// event: a manual-reset event that coroutines await.
//
// set() resumes every waiter, inline, in the order they started waiting.
// Destroying an event resumes its waiters with object_destroyed. Like all
// zring primitives it serves coroutines of one thread.

#include <zring/coro/detail/list_waiter.hpp>

#include <coroutine>
#include <stop_token>

namespace zring {

class event {
public:
    explicit event(bool initially_set = false) noexcept : set_(initially_set) {}
    ~event() { awaiter::wake_all(waiters_, detail::outcome::destroyed); }
    event(const event&) = delete;
    event& operator=(const event&) = delete;

    bool is_set() const noexcept { return set_; }
    void reset() noexcept { set_ = false; }

    // Resumed waiters may wait again or reset: only those waiting now are released.
    void set() noexcept {
        set_ = true;
        awaiter::wake_all(waiters_, detail::outcome::done);
    }

    class awaiter : public detail::list_waiter<awaiter> {
    public:
        awaiter(event& e, std::stop_token token) noexcept : list_waiter(std::move(token)), event_(e) {}
        bool await_ready() const noexcept { return event_.set_; }
        template <class Promise>
        bool await_suspend(std::coroutine_handle<Promise> h) {
            return suspend_on(event_.waiters_, h);
        }
        void await_resume() { resume_outcome("zring::event::wait"); }

    private:
        event& event_;
    };

    awaiter wait(std::stop_token token = {}) noexcept { return awaiter{*this, std::move(token)}; }
    awaiter operator co_await() noexcept { return wait(); }

private:
    bool set_;
    detail::intrusive_list<awaiter> waiters_;
};

}  // namespace zring
