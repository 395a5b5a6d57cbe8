#pragma once
// What every suspending operation shares, written once: how it ended (its
// outcome), await_suspend's "check both stop tokens, start, arm" and
// await_resume's "disarm, rethrow". An operation says only how it starts
// (links itself, submits to the kernel, ...) and how it is cancelled.
//
// Cancellation is a policy with arm(op, tokens) and disarm():
// inline_cancellation calls op.cancel() on the thread that requests stop
// (for primitives of one thread, and for thread-safe ones); the io part's
// io_cancellation relays it to the operation's scheduler.

#include <zring/coro/cancellation.hpp>
#include <zring/coro/detail/stop_watch.hpp>

#include <coroutine>
#include <stop_token>
#include <utility>

namespace zring::detail {

enum class outcome : unsigned char {
    pending,    // not finished
    done,       // finished as asked
    failed,     // an error, whose code the operation keeps
    cancelled,  // stop was requested
    timed_out,  // its deadline passed
    closed,     // the object it waits on was closed (a channel, a socket)
    destroyed,  // the object it waits on was destroyed
};

// Op::cancel() noexcept must be idempotent and harmless once Op finished:
// each stopped token calls it (so up to twice).
template <class Op>
class inline_cancellation {
public:
    void arm(Op& op, operation_tokens tokens) { watch_.arm(std::move(tokens), on_stop{&op}); }
    // Waits for a stop callback running on another thread to return.
    void disarm() noexcept { watch_.disarm(); }

private:
    struct on_stop {
        Op* op;
        void operator()() const noexcept { op->cancel(); }
    };
    stop_watch<on_stop> watch_;
};

// Derived: the operation, with `void cancel() noexcept` for its
// Cancellation, and optionally `bool accepts_stop() const noexcept` (false
// once stop may no longer end it, e.g. a message half sent).
//
// The Cancellation, a base's member, is destroyed after Derived's members:
// an operation whose cancel() may run on another thread and touches its
// own members (inline_cancellation across threads) calls finish() first in
// its destructor, as offload and shared_channel do.
template <class Derived, class Cancellation>
class operation {
protected:
    // The arguments after the token construct the Cancellation.
    template <class... CancellationArgs>
    explicit operation(std::stop_token token, CancellationArgs&&... args) noexcept
        : token_(std::move(token)), cancellation_(std::forward<CancellationArgs>(args)...) {}
    // Operations move only before they suspend: nothing is armed then.
    operation(operation&& o) noexcept
        : token_(std::move(o.token_)), outcome_(o.outcome_), error_(o.error_), cancellation_(std::move(o.cancellation_)) {}
    operation& operator=(operation&&) = delete;

    // The body of await_suspend. start(handle) begins the operation (links
    // it, submits it) and returns true if the coroutine stays suspended, or
    // false once it has set the outcome of an operation that finished at
    // once; it may throw, nothing being armed yet. Returns false without
    // starting if stop was requested already (outcome cancelled).
    template <class Promise, class Start>
    bool suspend(std::coroutine_handle<Promise> h, Start&& start) {
        operation_tokens tokens = operation_tokens::of(token_, h);
        if (tokens.stop_requested() && self().accepts_stop()) {
            self().conclude(outcome::cancelled);
            return false;
        }
        if (!start(std::coroutine_handle<>(h))) return false;
        cancellation_.arm(self(), std::move(tokens));
        return true;
    }
    // The start of await_resume (and of a destructor that may run while
    // suspended): no stop reaches the operation after it.
    outcome finish() noexcept {
        cancellation_.disarm();
        return outcome_;
    }
    // Throws for the outcomes every operation reports alike; else returns it.
    outcome rethrow_stopped(const char* what) const {
        if (outcome_ == outcome::cancelled) throw operation_cancelled(what);
        if (outcome_ == outcome::destroyed) throw object_destroyed(what);
        return outcome_;
    }
    // finish(), then rethrow_stopped(what).
    outcome resume_outcome(const char* what) {
        finish();
        return rethrow_stopped(what);
    }

    // Derived may hide it to record more (and still call it).
    void conclude(outcome o, int error = 0) noexcept {
        outcome_ = o;
        error_ = error;
    }
    outcome current_outcome() const noexcept { return outcome_; }
    int error() const noexcept { return error_; }
    bool accepts_stop() const noexcept { return true; }

private:
    Derived& self() noexcept { return static_cast<Derived&>(*this); }

    std::stop_token token_;
    outcome outcome_ = outcome::pending;
    int error_ = 0;  // with outcome::failed: errno, or what the operation reports
    Cancellation cancellation_;
};

}  // namespace zring::detail
