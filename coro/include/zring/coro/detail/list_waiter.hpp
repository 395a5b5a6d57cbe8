#pragma once
// The waiters of the coroutine primitives (event, mutex, channel): an
// operation that links itself into the primitive's list; cancelling it
// unlinks and resumes it. A primitive states only when its waiters are woken
// and with what outcome.
//
// Primitives serve coroutines of one thread: a stop callback, and so the
// cancelled waiter's resumption, runs on the thread that requested stop.

#include <zring/coro/detail/intrusive_list.hpp>
#include <zring/coro/detail/operation.hpp>

#include <coroutine>
#include <stop_token>
#include <utility>

namespace zring::detail {

template <class Derived>
class list_waiter : public list_hook,
                    public operation<list_waiter<Derived>, inline_cancellation<list_waiter<Derived>>> {
    using base = operation<list_waiter<Derived>, inline_cancellation<list_waiter<Derived>>>;

public:
    // The primitive unlinked the waiter: resume it (inline) with outcome o.
    void wake(outcome o) noexcept {
        this->conclude(o);
        handle_.resume();
    }
    // Wakes every waiter of list with o; waiters that wait again while this
    // runs join the (now empty) list and wait for the next wake-up.
    static void wake_all(intrusive_list<Derived>& list, outcome o) noexcept {
        intrusive_list<Derived> taken = list.take_all();
        while (Derived* w = taken.pop_front()) w->wake(o);
    }
    // Stop was requested: a waiter the primitive woke already keeps that outcome.
    void cancel() noexcept {
        if (!linked()) return;
        list_->erase(static_cast<Derived*>(this));
        wake(outcome::cancelled);
    }

protected:
    explicit list_waiter(std::stop_token token) noexcept : base(std::move(token)) {}
    list_waiter(list_waiter&& o) noexcept : list_hook(), base(std::move(o)) {}
    list_waiter& operator=(list_waiter&&) = delete;
    // Destroyed while suspended only when its frame is torn down: the hook
    // unlinks itself.

    // The body of await_suspend: false (no suspension) if stop was requested.
    template <class Promise>
    bool suspend_on(intrusive_list<Derived>& list, std::coroutine_handle<Promise> h) {
        return this->suspend(h, [&](std::coroutine_handle<> awaiting) noexcept {
            handle_ = awaiting;
            list_ = &list;
            list.push_back(static_cast<Derived*>(this));
            return true;
        });
    }

private:
    std::coroutine_handle<> handle_;
    intrusive_list<Derived>* list_ = nullptr;
};

}  // namespace zring::detail
