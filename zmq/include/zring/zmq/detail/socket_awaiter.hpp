#pragma once
// The awaiter behind every zring::socket operation: try the operation at
// once (no suspension, no syscall when a message is queued); else queue
// behind earlier waiters, with a timeout and stop tokens, until the socket
// serves it. Included by socket.hpp, after the socket, with the socket's
// operations that build it.

#include <zring/coro/detail/operation.hpp>
#include <zring/io/detail/timer_heap.hpp>
#include <zring/zmq/detail/socket_waiter.hpp>

#include <chrono>
#include <coroutine>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace zring::detail {

template <class Operation, bool AsValue>
class socket_awaiter : private socket_waiter {
    using duration = clock::duration;

public:
    // The operation is built in place from op_args: no message is moved twice.
    template <class... OpArgs>
    socket_awaiter(socket& s, std::optional<duration> timeout, std::stop_token token, OpArgs&&... op_args)
        : socket_waiter(s, *s.scheduler_, std::move(token)), op_{std::forward<OpArgs>(op_args)...}, timeout_(timeout) {
        inbound = op_.inbound;
        attempt = &attempt_once;
        fire = &on_timeout;
    }
    socket_awaiter(socket_awaiter&& o) noexcept
        : socket_waiter(std::move(o)), op_(std::move(o.op_)), timeout_(o.timeout_) {}
    socket_awaiter& operator=(socket_awaiter&&) = delete;
    // Destroyed while suspended only when its frame is torn down: unlink.
    ~socket_awaiter() {
        if (linked()) owner->unlink(this);
        scheduler_access::remove_timer(*sched, this);
    }

    bool await_ready() {
        void* raw = owner->check_usable(op_.name);
        // Queue behind earlier waiters: first come, first served.
        if (owner->has_waiters(inbound)) return false;
        const int rc = attempt_op(raw);
        if (!settle(rc)) {
            fresh_eagain_ = rc == EAGAIN && Operation::fresh_eagain;
            return false;
        }
        owner->after_fast_path(inbound);
        return true;
    }

    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> h) {
        return suspend(h, [this](std::coroutine_handle<> awaiting) {
            // Before anything went out; a committed send finishes its message.
            if (!committed && timeout_ && *timeout_ <= duration::zero()) {
                conclude(outcome::timed_out);
                return false;
            }
            resumed.handle = awaiting;
            owner->enqueue(this, fresh_eagain_);
            if (pending() && timeout_ && !committed) {  // else served at once: resumes next turn
                deadline = clock::now() + *timeout_;
                scheduler_access::add_timer(*sched, this);
            }
            return true;
        });
    }

    // Touches nothing of the socket: it may be gone by now.
    decltype(auto) await_resume() {
        const outcome o = finish();
        scheduler_access::remove_timer(*sched, this);
        if constexpr (AsValue) {
            using result = decltype(op_.result());
            constexpr bool gives_bool = std::is_void_v<result>;
            if (o == outcome::timed_out) {
                if constexpr (gives_bool)
                    return false;
                else
                    return std::optional<result>();
            }
            if (o != outcome::done) [[unlikely]]
                throw_outcome(op_.name);
            if constexpr (gives_bool) {
                op_.result();  // delivers into the caller's object, where there is one
                return true;
            } else
                return std::optional<result>(op_.result());
        } else {
            if (o != outcome::done) [[unlikely]]
                throw_outcome(op_.name);
            return op_.result();
        }
    }

private:
    friend class zring::socket;

    int attempt_op(void* raw) noexcept {
        const int rc = op_.attempt(raw);
        if constexpr (requires { op_.next; }) committed = op_.next > 0;
        return rc;
    }
    // False if the attempt would block (EAGAIN, EINTR); else records its outcome.
    bool settle(int rc) noexcept {
        if (rc == EAGAIN || rc == EINTR) return false;
        conclude(rc == 0 ? outcome::done : outcome::failed, rc);
        return true;
    }
    static bool attempt_once(socket_waiter* w) noexcept {
        auto* self = static_cast<socket_awaiter*>(w);
        return self->settle(self->attempt_op(self->owner->handle_));
    }
    // A waiter still queued has a live socket (closing one concludes every
    // waiter); one that already has its outcome may outlive its socket until
    // it resumes and removes this timer, so its owner is not touched.
    static void on_timeout(timer_node* n) noexcept {
        auto* w = static_cast<socket_waiter*>(n);
        if (w->linked()) w->owner->expire(w);
    }

    Operation op_;
    bool fresh_eagain_ = false;  // await_ready's attempt just failed with EAGAIN
    std::optional<duration> timeout_;
};

}  // namespace zring::detail

// The socket's operations, inline so that the awaiter is built in the
// caller's frame.
namespace zring {

inline socket::awaiter<socket::recv_op> socket::recv(std::stop_token token) {
    return {*this, std::nullopt, std::move(token)};
}
inline socket::awaiter<socket::recv_op> socket::recv(duration timeout, std::stop_token token) {
    return {*this, timeout, std::move(token)};
}
inline socket::awaiter<socket::recv_into_op> socket::recv(::zmq::message_t& message, std::stop_token token) {
    return {*this, std::nullopt, std::move(token), &message};
}
inline socket::awaiter<socket::recv_into_op> socket::recv(::zmq::message_t& message, duration timeout,
                                                          std::stop_token token) {
    return {*this, timeout, std::move(token), &message};
}
inline socket::awaiter<socket::recv_multipart_op> socket::recv_multipart(std::stop_token token) {
    return {*this, std::nullopt, std::move(token)};
}
inline socket::awaiter<socket::recv_multipart_op> socket::recv_multipart(duration timeout, std::stop_token token) {
    return {*this, timeout, std::move(token)};
}
inline socket::awaiter<socket::send_op> socket::send(::zmq::message_t message, ::zmq::send_flags flags,
                                                     std::stop_token token) {
    return {*this, std::nullopt, std::move(token), std::move(message), static_cast<int>(flags) & ~ZMQ_DONTWAIT};
}
inline socket::awaiter<socket::send_op> socket::send(std::string_view data, std::stop_token token) {
    return {*this, std::nullopt, std::move(token), ::zmq::message_t(data.data(), data.size())};
}
inline socket::awaiter<socket::send_op> socket::send(::zmq::message_t message, duration timeout,
                                                     std::stop_token token) {
    return {*this, timeout, std::move(token), std::move(message)};
}
inline socket::awaiter<socket::send_multipart_op> socket::send_multipart(frame_list frames, std::stop_token token) {
    return {*this, std::nullopt, std::move(token), std::move(frames).take()};
}
inline socket::awaiter<socket::send_multipart_op> socket::send_multipart(frame_list frames, duration timeout,
                                                                         std::stop_token token) {
    return {*this, timeout, std::move(token), std::move(frames).take()};
}

inline socket::awaiter<socket::recv_op, true> socket::try_recv(duration timeout, std::stop_token token) {
    return {*this, timeout, std::move(token)};
}
inline socket::awaiter<socket::recv_into_op, true> socket::try_recv(::zmq::message_t& message, duration timeout,
                                                                    std::stop_token token) {
    return {*this, timeout, std::move(token), &message};
}
inline socket::awaiter<socket::recv_multipart_op, true> socket::try_recv_multipart(duration timeout,
                                                                                   std::stop_token token) {
    return {*this, timeout, std::move(token)};
}
inline socket::awaiter<socket::send_op, true> socket::try_send(::zmq::message_t message, duration timeout,
                                                               std::stop_token token) {
    return {*this, timeout, std::move(token), std::move(message)};
}
inline socket::awaiter<socket::send_op, true> socket::try_send(std::string_view data, duration timeout,
                                                               std::stop_token token) {
    return {*this, timeout, std::move(token), ::zmq::message_t(data.data(), data.size())};
}
inline socket::awaiter<socket::send_multipart_op, true> socket::try_send_multipart(frame_list frames,
                                                                                   duration timeout,
                                                                                   std::stop_token token) {
    return {*this, timeout, std::move(token), std::move(frames).take()};
}
inline socket::awaiter<socket::send_multipart_op, true> socket::try_send_multipart(
    std::vector<::zmq::message_t>& frames, duration timeout, std::stop_token token) {
    return {*this, timeout, std::move(token), std::vector<::zmq::message_t>{}, &frames};
}

inline socket::awaiter<socket::recv_multipart_into_op> socket::recv_multipart(::zmq::multipart_t& into,
                                                                              std::stop_token token) {
    return {*this, std::nullopt, std::move(token), &into};
}
inline socket::awaiter<socket::recv_multipart_into_op> socket::recv_multipart(::zmq::multipart_t& into,
                                                                              duration timeout,
                                                                              std::stop_token token) {
    return {*this, timeout, std::move(token), &into};
}
inline socket::awaiter<socket::recv_multipart_into_op, true> socket::try_recv_multipart(::zmq::multipart_t& into,
                                                                                       duration timeout,
                                                                                       std::stop_token token) {
    return {*this, timeout, std::move(token), &into};
}

}  // namespace zring
