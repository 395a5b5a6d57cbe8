#pragma once
// What a scheduler needs from the kernel, behind one interface: operations
// on file descriptors (readiness, accept, connect, send and receive), a
// wait bounded by the next timer, a cross-thread wake-up, and a bounded
// teardown. io_uring and epoll implement it; nothing outside io/src knows
// which one runs. Only starting, cancelling and waiting go through it: an
// operation that succeeds at once (ZMQ_DONTWAIT first) never does.

#include <zring/io/backend.hpp>
#include <zring/io/detail/io_operation.hpp>
#include <zring/io/detail/timer_heap.hpp>
#include <zring/io/scheduler.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace zring::detail {

class io_backend {
public:
    virtual ~io_backend() = default;

    virtual zring::backend kind() const noexcept = 0;
    // Starts op (see io_operation); completions go to op->on_complete, never
    // inside this call. False if the kernel takes no more work now: then
    // nothing was started and op will not complete.
    virtual bool start(io_operation* op) noexcept = 0;
    // Ends a pending operation: its final completion follows, on a later
    // call of wait() or drain(), never inside this call.
    virtual void cancel(io_operation* op) noexcept = 0;
    // Hands the kernel what is pending and, if `block`, sleeps until a
    // completion, a wake-up or `deadline` (none: no limit); then delivers
    // every completion.
    virtual void wait(bool block, const clock::time_point* deadline) = 0;
    // Cancels every watch and delivers the completions, for at most
    // `patience`. True if the kernel holds nothing of ours any more.
    virtual bool drain(clock::duration patience) noexcept = 0;
    // Operations whose final completion is not delivered yet.
    virtual std::size_t operations() const noexcept = 0;
    // fd is about to be closed: what the backend keeps for it goes (a
    // number the kernel hands out again is a new file).
    virtual void forget(int /*fd*/) noexcept {}

    // Cross-ring wake-ups (io_uring's IORING_OP_MSG_RING): the fd other
    // rings post into, or -1 where this backend takes none.
    virtual int ring_fd() const noexcept { return -1; }
    // Queues a wake-up of the ring behind target_ring_fd, handed to the
    // kernel with this backend's next wait(); target_wake_fd is written
    // instead if the kernel refuses it then. False if this backend cannot
    // send one now: the caller writes target_wake_fd itself.
    virtual bool send_wake(int /*target_ring_fd*/, int /*target_wake_fd*/) noexcept { return false; }
    // Hands the kernel what is queued (such wake-ups) without waiting.
    virtual void flush() noexcept {}
};

// Both consume wake_fd (an eventfd that scheduler::wake writes) and leave it
// open. make_uring_backend throws io_uring_unavailable if the kernel refuses;
// make_epoll_backend throws std::system_error whose message is
// error_context followed by the call that failed ("epoll_create1").
// msg_ring: send cross-ring wake-ups with IORING_OP_MSG_RING where the
// kernel has it (features.msg_ring says whether it does).
std::unique_ptr<io_backend> make_uring_backend(unsigned queue_depth, int wake_fd, bool msg_ring,
                                               ring_features& features);
std::unique_ptr<io_backend> make_epoll_backend(unsigned queue_depth, int wake_fd, const std::string& error_context);

// A duration as one of the kernel's timespecs (timespec, __kernel_timespec).
template <class Timespec>
Timespec to_timespec(std::chrono::nanoseconds ns) noexcept {
    Timespec t{};
    t.tv_sec = ns.count() / 1'000'000'000;
    t.tv_nsec = ns.count() % 1'000'000'000;
    return t;
}

}  // namespace zring::detail
