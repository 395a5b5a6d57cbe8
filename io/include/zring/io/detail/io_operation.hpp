#pragma once
// The pieces the scheduler links without knowing their owners.

#include <zring/coro/detail/intrusive_list.hpp>

#include <sys/socket.h>

#include <coroutine>
#include <cstddef>

namespace zring {
class scheduler;
}

namespace zring::detail {

// What an io_operation asks of the kernel.
enum class io_kind : unsigned char {
    poll,     // readiness of fd for `events`: the result is the ready events
    accept,   // accept4(fd, address, &address_length, SOCK_NONBLOCK | SOCK_CLOEXEC): the new fd
    connect,  // connect(fd, address, address_length): 0
    recv,     // recv(fd, buffer, length, flags): bytes, 0 at end of stream
    send,     // send(fd, buffer, length, flags | MSG_NOSIGNAL): bytes
    recvmsg,  // recvmsg(fd, message, flags): bytes
    sendmsg,  // sendmsg(fd, message, flags | MSG_NOSIGNAL): bytes
};

// The readiness a data operation waits for: POLLIN for those that take
// (accept, recv, recvmsg), else POLLOUT.
constexpr bool takes_input(io_kind kind) noexcept {
    return kind == io_kind::accept || kind == io_kind::recv || kind == io_kind::recvmsg;
}

// An operation on a file descriptor (scheduler's start()). The backend calls
// on_complete with the result (see io_kind) or -errno; `more` says further
// completions follow (a multishot poll or accept). The operation must live
// until its final completion (more == false); after cancel() that
// completion is -ECANCELED unless the operation had completed already. Both
// backends give the same results: io_uring runs the operation, epoll tries
// the call and retries it at each readiness of fd while it would block.
struct io_operation : list_hook {  // the hook is the backend's while pending
    using handler = void (*)(io_operation*, int result, bool more) noexcept;
    handler on_complete = nullptr;

    // What to do, set by the operation before it starts.
    io_kind kind = io_kind::poll;
    int fd = -1;
    unsigned events = 0;  // poll
    bool multishot = false;  // poll, accept
    int flags = 0;           // recv, send, recvmsg, sendmsg: MSG_* flags
    void* buffer = nullptr;  // recv, send
    std::size_t length = 0;
    ::msghdr* message = nullptr;      // recvmsg, sendmsg
    ::sockaddr* address = nullptr;    // accept (the peer's, may be null), connect
    ::socklen_t address_length = 0;   // accept: room, then the peer's; connect: the address's
    // The call returned EAGAIN just before start(): the fd is not ready,
    // so epoll need not check (a registration it kept sees the next edge).
    bool would_block = false;
    // The backend's bookkeeping.
    bool cancel_requested = false;
    bool one_shot_polls = false;  // io_uring without multishot polls: re-armed at each completion
    bool awaiting_readiness = false;  // a data operation that would block, waiting to be retried
    bool probing_multishot = false;   // re-sent one-shot after a multishot EINVAL: whose fault was it?
};

// The call of a data operation, made now without blocking (MSG_DONTWAIT):
// its result as the backend would deliver it, or -EAGAIN if it would
// block. For a connect under way, its outcome so far (SO_ERROR). The epoll
// backend makes it at each readiness; awaiters make it first, where they
// try before suspending.
int try_call(io_operation& op) noexcept;

// Work another thread hands to the scheduler's thread without allocating;
// the owner can withdraw it while it is still queued (linked). run() is
// called on the scheduler's thread; with `refused` when the scheduler shut
// down before its loop took the node (the node must then finish at once).
struct remote_node : list_hook {
    void (*run)(remote_node*, bool refused) noexcept = nullptr;
};

// A spawned task's frame, which the scheduler destroys if it is still
// pending at shutdown. It lives in the frame's promise: adopting one
// allocates nothing, and a frame that ends leaves the list as it dies.
struct spawned_frame : list_hook {
    std::coroutine_handle<> handle;
};

// Something the scheduler must close before it is destroyed (e.g. a socket
// that outlives it). Linked into the scheduler's list while open.
class scheduler_resource : public list_hook {
public:
    virtual void on_scheduler_shutdown() noexcept = 0;

protected:
    scheduler_resource() = default;
    ~scheduler_resource() = default;
};

}  // namespace zring::detail
