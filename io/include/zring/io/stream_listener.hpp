#pragma once
// stream_listener: a listening stream socket (TCP, Unix-domain) on a
// scheduler, what tcp_listener and unix_listener share.
//
// From listen() on, one multishot accept stays in the kernel while anyone
// waits or the queue of accepted connections has room: a burst of
// connections costs one submission, not one per connection. Accepted connections wait in a small
// queue (queue_limit) for accept() calls; past it the kernel's backlog
// holds them. Running out of descriptors (EMFILE, ENFILE) neither spins nor
// ends the listener: it says so on stderr once per burst, retries after a
// pause, and keeps serving; the connections wait in the backlog meanwhile.
// Waiters get the accepted connections in the order they asked.

#include <zring/coro/detail/intrusive_list.hpp>
#include <zring/coro/detail/operation.hpp>
#include <zring/io/detail/cancellation.hpp>
#include <zring/io/detail/io_operation.hpp>
#include <zring/io/detail/ready_queue.hpp>
#include <zring/io/detail/timer_heap.hpp>
#include <zring/io/endpoint.hpp>
#include <zring/io/errors.hpp>
#include <zring/io/scheduler.hpp>

#include <coroutine>
#include <cstddef>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace zring {

class stream_listener;

struct listen_options {
    int backlog = 1024;  // the kernel caps it at net.core.somaxconn
    bool reuse_address = true;  // SO_REUSEADDR: rebind at once after a restart
    bool reuse_port = false;    // SO_REUSEPORT: several listeners (processes, schedulers) share the port
};

namespace detail {

struct accept_waiter : list_hook,
                       timer_node,
                       operation<accept_waiter, io_cancellation<accept_waiter>> {
    accept_waiter(stream_listener& l, scheduler& s, std::stop_token token) noexcept;
    accept_waiter(accept_waiter&&) noexcept = default;
    ~accept_waiter();

    bool await_ready();
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> h) {
        return suspend(h, [this](std::coroutine_handle<> awaiting) { return start(awaiting); });
    }
    // The accepted descriptor; throws for the other outcomes.
    int take_fd();
    scheduler& home() const noexcept { return *sched; }

    void cancel() noexcept;
    std::optional<clock::duration> timeout;

private:
    friend class zring::stream_listener;
    bool start(std::coroutine_handle<> awaiting);
    void deliver(outcome o, int fd_or_error) noexcept;
    static void on_timeout(timer_node* n) noexcept;

    stream_listener* listener;  // null once it has an outcome
    scheduler* sched;
    resume_node resumed;
    std::shared_ptr<const std::string> name;
    int fd = -1;
};

}  // namespace detail

class stream_listener : private detail::scheduler_resource {
public:
    using duration = detail::clock::duration;
    // Accepted connections kept for accept() calls to come before the
    // accept leaves the kernel (its queue also holds one backlog more: what
    // a multishot accept may take at once).
    static constexpr std::size_t queue_limit = 64;

    // Moves while no accept waits (std::logic_error otherwise).
    stream_listener(stream_listener&& other);
    stream_listener& operator=(stream_listener&& other);
    ~stream_listener();

    // Stops accepting and closes the socket; waiting accepts end with
    // stream_closed, and queued connections are closed.
    void close() noexcept;
    bool is_open() const noexcept { return fd_ >= 0; }
    // The address bound, with the port the kernel chose for port 0.
    endpoint local_endpoint() const noexcept { return local_; }
    const std::string& name() const noexcept { return *name_; }
    // The socket, for options and inspection. It stays this object's: close
    // it with close(), never with ::close or dup2 over it (the epoll backend
    // keeps the descriptor registered between operations).
    int native_handle() const noexcept { return fd_; }
    scheduler& get_scheduler() const noexcept { return *scheduler_; }
    // Connections accepted and not yet taken by accept(), for diagnostics.
    std::size_t queued() const noexcept { return count_; }

protected:
    // Binds and listens on a new socket of `family` at `at`.
    stream_listener(scheduler& s, const endpoint& at, const listen_options& options, const char* kind);
    // co_await accept_fd() -> a connected, non-blocking descriptor.
    detail::accept_waiter accept_fd(std::optional<duration> timeout, std::stop_token token);

private:
    friend struct detail::accept_waiter;
    struct core;

    void on_scheduler_shutdown() noexcept override { close(); }
    void check_usable(const char* operation) const;
    void take_over(stream_listener& other) noexcept;
    // Arms the multishot accept if someone waits or the queue has room.
    void arm() noexcept;
    void on_accepted(int fd) noexcept;
    void on_failed(int error) noexcept;
    void back_off(int error) noexcept;
    void push(int fd) noexcept;
    int pop() noexcept;

    scheduler* scheduler_;
    int fd_ = -1;
    endpoint local_;
    std::shared_ptr<const std::string> name_;
    core* core_ = nullptr;  // the accept in the kernel; orphaned by close() while pending
    detail::intrusive_list<detail::accept_waiter> waiters_;
    std::vector<int> queue_;  // a ring of accepted descriptors, [first_, first_ + count_)
    std::size_t first_ = 0;
    std::size_t count_ = 0;
    bool reported_ = false;  // the current shortage of descriptors is reported
    bool overflow_reported_ = false;
};

}  // namespace zring
