#pragma once
// event: a manual-reset event that coroutines await.
//
// set() resumes every waiter, inline, in the order they started waiting.
// Like all zring primitives it serves coroutines of one thread.

#include <zring/coro/cancellation.hpp>
#include <zring/coro/detail/waiter_list.hpp>

#include <coroutine>
#include <stop_token>

namespace zring {

class event {
public:
    explicit event(bool initially_set = false) noexcept : set_(initially_set) {}
    event(const event&) = delete;
    event& operator=(const event&) = delete;

    bool is_set() const noexcept { return set_; }
    void reset() noexcept { set_ = false; }

    void set() {
        set_ = true;
        // Resumed waiters may wait again or reset: release only those waiting
        // now. Unlinked first, so a late stop request finds nothing to cancel.
        detail::waiter_node* released = detail::waiter_list<awaiter>::take_all(waiters_);
        while (released) {
            auto* w = static_cast<awaiter*>(released);
            released = released->next;
            w->handle_.resume();
        }
    }

    class awaiter : public detail::waiter_node {
    public:
        awaiter(event& e, std::stop_token token) noexcept : event_(e), token_(std::move(token)) {}
        bool await_ready() const noexcept { return event_.set_; }
        template <class Promise>
        bool await_suspend(std::coroutine_handle<Promise> h) {
            std::stop_token token = detail::effective_stop_token(token_, h);
            if (token.stop_requested()) {
                cancelled_ = true;
                return false;
            }
            handle_ = h;
            event_.waiters_.push_back(this);
            cancellation_.arm(this, std::move(token));
            return true;
        }
        void await_resume() {
            cancellation_.disarm();
            if (cancelled_) throw operation_cancelled("zring::event::wait");
        }
        void cancel() noexcept {
            // Already released by set(): the set wins.
            if (!linked) return;
            event_.waiters_.erase(this);
            cancelled_ = true;
            handle_.resume();
        }

    private:
        friend class event;
        event& event_;
        std::stop_token token_;
        std::coroutine_handle<> handle_;
        bool cancelled_ = false;
        detail::wait_cancellation<awaiter> cancellation_;
    };

    awaiter wait(std::stop_token token = {}) noexcept { return awaiter{*this, std::move(token)}; }
    awaiter operator co_await() noexcept { return wait(); }

private:
    bool set_;
    detail::waiter_list<awaiter> waiters_;
};

}  // namespace zring
