#pragma once
// One coroutine waiting on a zring::socket: an operation linked in the
// socket's queue for its direction, and in the scheduler's timers when it
// has a timeout. The socket serves it (socket.cpp); socket_awaiter says what
// it attempts.

#include <zring/coro/detail/intrusive_list.hpp>
#include <zring/coro/detail/operation.hpp>
#include <zring/io/detail/cancellation.hpp>
#include <zring/io/detail/ready_queue.hpp>
#include <zring/io/detail/timer_heap.hpp>
#include <zring/io/scheduler.hpp>

#include <memory>
#include <stop_token>
#include <string>

namespace zring {
class socket;
}

namespace zring::detail {

// What outlives a socket for whoever still refers to it: the name that error
// messages carry, and the libzmq socket while it is open.
struct socket_identity {
    std::string name;
    void* handle = nullptr;
    socket* owner = nullptr;  // while open
};

struct socket_waiter : list_hook, timer_node, operation<socket_waiter, io_cancellation<socket_waiter>> {
    socket_waiter(socket& s, scheduler& home, std::stop_token token) noexcept
        : operation(std::move(token), home), owner(&s), sched(&home) {}
    socket_waiter(socket_waiter&&) noexcept = default;

    socket* owner;     // only while the waiter is linked or running
    scheduler* sched;  // outlives the socket while frames are torn down
    resume_node resumed;  // queued to resume the waiter: allocates nothing
    // Tries the operation once without blocking; false on EAGAIN.
    bool (*attempt)(socket_waiter*) noexcept = nullptr;
    bool inbound = true;     // queued with the readers, else with the writers
    bool committed = false;  // part of a message went out: only close stops it now
    // Taken with any outcome but done, so that the error can be reported
    // after the socket is gone.
    std::shared_ptr<const socket_identity> identity;

    void cancel() noexcept;
    bool accepts_stop() const noexcept { return !committed; }
    bool pending() const noexcept { return current_outcome() == outcome::pending; }
    // Records the outcome, with the socket's identity unless it is done.
    void conclude(outcome o, int err = 0) noexcept {
        operation::conclude(o, err);
        if (o != outcome::done) [[unlikely]]
            keep_identity();
    }
    [[noreturn]] void throw_outcome(const char* operation) const;

private:
    void keep_identity() noexcept;
};

}  // namespace zring::detail
