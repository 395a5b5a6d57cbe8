#pragma once
// The awaiter mechanics of the coroutine primitives (event, mutex, channel),
// written once: check stop, link, arm; disarm, throw; cancel = unlink + resume.
// A primitive states only when its waiters are woken and with what outcome.
//
// Primitives serve coroutines of one thread: a stop callback, and so the
// cancelled waiter's resumption, runs on the thread that requested stop.

#include <zring/coro/cancellation.hpp>
#include <zring/coro/detail/intrusive_list.hpp>
#include <zring/coro/detail/stop_watch.hpp>

#include <coroutine>
#include <stop_token>
#include <utility>

namespace zring::detail {

enum class wait_outcome : unsigned char {
    pending,
    woken,      // the primitive served the waiter
    cancelled,  // stop was requested
    closed,     // the primitive was closed (a channel)
    destroyed,  // the primitive was destroyed
};

template <class Derived>
class list_waiter : public list_hook {
public:
    // The primitive unlinked the waiter: resume it (inline) with outcome o.
    void wake(wait_outcome o) noexcept {
        outcome_ = o;
        handle_.resume();
    }
    // Wakes every waiter of list with o; waiters that wait again while this
    // runs join the (now empty) list and wait for the next wake-up.
    static void wake_all(intrusive_list<Derived>& list, wait_outcome o) noexcept {
        intrusive_list<Derived> taken = list.take_all();
        while (Derived* w = taken.pop_front()) w->wake(o);
    }

protected:
    explicit list_waiter(std::stop_token token) noexcept : token_(std::move(token)) {}
    list_waiter(list_waiter&& o) noexcept : list_hook(), token_(std::move(o.token_)) {}
    list_waiter& operator=(list_waiter&&) = delete;
    // Destroyed while suspended only when its frame is torn down: the hook
    // unlinks itself.

    // The body of await_suspend: false (no suspension) if stop was requested.
    template <class Promise>
    bool suspend_on(intrusive_list<Derived>& list, std::coroutine_handle<Promise> h) {
        const operation_tokens tokens = operation_tokens::of(token_, h);
        if (tokens.stop_requested()) {
            outcome_ = wait_outcome::cancelled;
            return false;
        }
        handle_ = h;
        list_ = &list;
        list.push_back(static_cast<Derived*>(this));
        watch_.arm(tokens, on_stop{this});
        return true;
    }
    // The start of await_resume: throws for a cancelled or destroyed wait,
    // else returns the outcome (pending if the wait never suspended).
    wait_outcome resume_outcome(const char* operation) {
        watch_.disarm();
        if (outcome_ == wait_outcome::cancelled) throw operation_cancelled(operation);
        if (outcome_ == wait_outcome::destroyed) throw object_destroyed(operation);
        return outcome_;
    }

private:
    struct on_stop {
        list_waiter* self;
        void operator()() const noexcept {
            // Already woken by the primitive: its outcome wins.
            if (!self->linked()) return;
            self->list_->erase(static_cast<Derived*>(self));
            self->wake(wait_outcome::cancelled);
        }
    };

    std::stop_token token_;
    std::coroutine_handle<> handle_;
    intrusive_list<Derived>* list_ = nullptr;
    wait_outcome outcome_ = wait_outcome::pending;
    stop_watch<on_stop> watch_;
};

}  // namespace zring::detail
