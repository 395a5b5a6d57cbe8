#pragma once
// One coroutine waiting on a socket of either engine (zring::socket over
// libzmq, zring::zmtp::socket): an operation linked in the socket's queue
// for its direction, and in the scheduler's timers when it has a timeout.
// The socket serves it; socket_awaiter says what it attempts.
//
// A Socket gives the waiter: finish(w, outcome), identity_ (whose name
// outlives it) and class_name ("zring::socket"), to name it in errors.

#include <zring/coro/detail/intrusive_list.hpp>
#include <zring/coro/detail/operation.hpp>
#include <zring/io/detail/cancellation.hpp>
#include <zring/io/detail/ready_queue.hpp>
#include <zring/io/detail/timer_heap.hpp>
#include <zring/io/errors.hpp>
#include <zring/io/scheduler.hpp>
#include <zring/zmq/errors.hpp>

#include <memory>
#include <stop_token>
#include <string>

namespace zring {
class socket;
}

namespace zring::detail {

// What outlives a socket for whoever still refers to it (waiters, monitor,
// poller): the name that error messages carry and, while it is open, its
// engine's handle and the socket object that holds it now (moves update it).
template <class Socket>
struct basic_socket_identity {
    std::string name;
    void* handle = nullptr;   // while open
    Socket* owner = nullptr;  // while open
};
using socket_identity = basic_socket_identity<zring::socket>;

template <class Socket>
struct socket_waiter : list_hook,
                       timer_node,
                       operation<socket_waiter<Socket>, io_cancellation<socket_waiter<Socket>>> {
    using base = operation<socket_waiter<Socket>, io_cancellation<socket_waiter<Socket>>>;

    socket_waiter(Socket& s, scheduler& home, std::stop_token token) noexcept
        : base(std::move(token), home), owner(&s), sched(&home) {}
    socket_waiter(socket_waiter&&) noexcept = default;

    Socket* owner;     // only while the waiter is linked or running
    scheduler* sched;  // outlives the socket while frames are torn down
    resume_node resumed;  // queued to resume the waiter: allocates nothing
    // Tries the operation once without blocking; false on EAGAIN.
    bool (*attempt)(socket_waiter*) noexcept = nullptr;
    bool inbound = true;     // queued with the readers, else with the writers
    bool committed = false;  // part of a message went out: only close stops it now
    // Taken with any outcome but done, so that the error can be reported
    // after the socket is gone.
    std::shared_ptr<const typename Socket::identity_type> identity;

    // A send that put out part of a message completes it.
    void cancel() noexcept {
        if (linked() && !committed) owner->finish(this, outcome::cancelled);
    }
    bool accepts_stop() const noexcept { return !committed; }
    bool pending() const noexcept { return this->current_outcome() == outcome::pending; }
    // Records the outcome, with the socket's identity unless it is done.
    void conclude(outcome o, int err = 0) noexcept {
        base::conclude(o, err);
        if (o != outcome::done) [[unlikely]]
            identity = owner->identity_;
    }
    [[noreturn]] void throw_outcome(const char* operation) const {
        const std::string what = std::string(Socket::class_name) + "(" + identity->name + ")::" + operation;
        switch (this->current_outcome()) {
            case outcome::cancelled: throw operation_cancelled(what);
            case outcome::timed_out: throw timed_out(what);
            case outcome::closed: throw socket_closed(what);
            case outcome::destroyed: throw object_destroyed(what);
            case outcome::done:
            case outcome::failed:
            case outcome::pending: break;
        }
        throw socket_error(this->error(), what);
    }
    using base::current_outcome;
    using base::error;
    using base::finish;
    using base::suspend;
};

// Serves queue's waiters in order while their attempts succeed, each
// resumed on the next loop turn; true if any was.
template <class Socket>
bool serve_in_order(intrusive_list<socket_waiter<Socket>>& queue, scheduler& s) noexcept {
    bool progressed = false;
    while (auto* w = queue.front()) {
        if (!w->attempt(w)) break;
        queue.erase(w);
        s.schedule(w->resumed);
        progressed = true;
    }
    return progressed;
}

}  // namespace zring::detail
