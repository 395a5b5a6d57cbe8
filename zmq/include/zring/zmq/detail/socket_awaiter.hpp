#pragma once
// The awaiter behind every socket operation, of either engine: try the
// operation at once (no suspension, no syscall, no waiter built when a
// message is queued); else queue behind earlier waiters, with a timeout and
// stop tokens, until the socket serves it. socket_api builds it.
//
// A Socket gives it, besides what socket_waiter needs: check_usable(name)
// (the engine's handle, or throws), handle_, scheduler_, has_waiters(inbound),
// after_fast_path(inbound), throw_error(name, rc), enqueue(w, fresh_eagain),
// unlink(w) and expire(w).

#include <zring/coro/detail/operation.hpp>
#include <zring/io/detail/timer_heap.hpp>
#include <zring/zmq/detail/socket_waiter.hpp>

#include <cassert>
#include <chrono>
#include <coroutine>
#include <memory>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace zring::detail {

template <class Socket, class Operation, bool AsValue>
class socket_awaiter {
    using duration = clock::duration;

public:
    // The operation is built in place from op_args: no message is moved twice.
    template <class... OpArgs>
    socket_awaiter(Socket& s, std::optional<duration> timeout, std::stop_token token, OpArgs&&... op_args)
        : socket_(&s), op_{std::forward<OpArgs>(op_args)...}, timeout_(timeout), token_(std::move(token)) {}
    // Moved only before it suspends (by what holds awaiters in a container).
    socket_awaiter(socket_awaiter&& o) noexcept
        : socket_(o.socket_), op_(std::move(o.op_)), timeout_(o.timeout_), token_(std::move(o.token_)) {
        assert(!o.suspended_);
    }
    socket_awaiter& operator=(socket_awaiter&&) = delete;
    // Destroyed while suspended only when its frame is torn down: unlink.
    ~socket_awaiter() {
        if (suspended_) destroy_waiter();
    }

    // The fast path builds nothing but the attempt: the waiter is made only
    // by await_suspend.
    bool await_ready() {
        auto* raw = socket_->check_usable(op_.name);
        // Queue behind earlier waiters: first come, first served.
        if (socket_->has_waiters(op_.inbound)) return false;
        // Past the resumption's budget, queue too: served at once, resumed
        // on the next turn. A zero timeout tries here all the same.
        const bool at_once = timeout_ && *timeout_ <= duration::zero();
        if (!at_once && !scheduler_access::may_complete_inline(*socket_->scheduler_)) return false;
        const int rc = op_.attempt(raw);
        if (rc == EAGAIN || rc == EINTR) {
            fresh_eagain_ = rc == EAGAIN && Operation::fresh_eagain;
            return false;
        }
        // Failed or not, libzmq may have processed its commands and taken
        // the ZMQ_FD edge the other direction's waiters poll for.
        socket_->after_fast_path(op_.inbound);
        if (rc != 0) [[unlikely]]
            socket_->throw_error(op_.name, rc);
        return true;
    }

    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> h) {
        std::construct_at(&waiter_, *this);
        suspended_ = true;
        return waiter_.start(h);
    }

    // After a suspension it touches nothing of the socket: it may be gone by now.
    decltype(auto) await_resume() {
        if (suspended_) {
            const outcome o = waiter_.end();
            if constexpr (AsValue) {
                if (o == outcome::timed_out) return timed_out_value();
            }
            if (o != outcome::done) [[unlikely]]
                waiter_.throw_outcome(op_.name);
        }
        if constexpr (AsValue) {
            if constexpr (gives_bool) {
                op_.result();  // delivers into the caller's object, where there is one
                return true;
            } else
                return std::optional<result_type>(op_.result());
        } else {
            return op_.result();
        }
    }

private:
    friend Socket;
    using result_type = decltype(std::declval<Operation&>().result());
    static constexpr bool gives_bool = std::is_void_v<result_type>;

    static auto timed_out_value() noexcept {
        if constexpr (gives_bool)
            return false;
        else
            return std::optional<result_type>();
    }

    // The suspended state: queued on the socket, perhaps with a timer.
    struct waiter : socket_waiter<Socket> {
        explicit waiter(socket_awaiter& a) noexcept
            : socket_waiter<Socket>(*a.socket_, *a.socket_->scheduler_, std::move(a.token_)), self(&a) {
            this->inbound = a.op_.inbound;
            this->committed = a.op_committed();
            this->attempt = &attempt_once;
            this->fire = &on_timeout;
        }

        template <class Promise>
        bool start(std::coroutine_handle<Promise> h) {
            return this->suspend(h, [this](std::coroutine_handle<> awaiting) {
                const std::optional<duration>& timeout = self->timeout_;
                // Before anything went out; a committed send finishes its message.
                if (!this->committed && timeout && *timeout <= duration::zero()) {
                    this->conclude(outcome::timed_out);
                    return false;
                }
                this->resumed.handle = awaiting;
                this->owner->enqueue(this, self->fresh_eagain_);
                if (this->pending() && timeout && !this->committed) {  // else served at once: resumes next turn
                    this->deadline = clock::now() + *timeout;
                    scheduler_access::add_timer(*this->sched, this);
                }
                return true;
            });
        }
        outcome end() noexcept {
            const outcome o = this->finish();
            scheduler_access::remove_timer(*this->sched, this);
            return o;
        }

        socket_awaiter* self;
    };

    [[gnu::noinline]] void destroy_waiter() noexcept {
        if (waiter_.linked()) waiter_.owner->unlink(&waiter_);
        scheduler_access::remove_timer(*waiter_.sched, &waiter_);
        std::destroy_at(&waiter_);
    }

    bool op_committed() const noexcept {
        if constexpr (requires { op_.next; })
            return op_.next > 0;
        else
            return false;
    }
    // False if the attempt would block (EAGAIN, EINTR); else records its outcome.
    static bool attempt_once(socket_waiter<Socket>* w) noexcept {
        socket_awaiter& a = *static_cast<waiter*>(w)->self;
        const int rc = a.op_.attempt(w->owner->handle_);
        w->committed = a.op_committed();
        if (rc == EAGAIN || rc == EINTR) return false;
        w->conclude(rc == 0 ? outcome::done : outcome::failed, rc);
        return true;
    }
    // A waiter still queued has a live socket (closing one concludes every
    // waiter); one that already has its outcome may outlive its socket until
    // it resumes and removes this timer, so its owner is not touched.
    static void on_timeout(timer_node* n) noexcept {
        auto* w = static_cast<socket_waiter<Socket>*>(n);
        if (w->linked()) w->owner->expire(w);
    }

    Socket* socket_;
    Operation op_;
    std::optional<duration> timeout_;
    std::stop_token token_;  // moved into the waiter
    bool fresh_eagain_ = false;  // await_ready's attempt just failed with EAGAIN
    bool suspended_ = false;     // the waiter is built
    union {
        waiter waiter_;
    };
};

}  // namespace zring::detail
