#pragma once
// socket: a ZeroMQ socket whose operations are awaitable on a scheduler.
//
// Every operation first tries with ZMQ_DONTWAIT: a message already queued
// costs no syscall and no suspension. Only on EAGAIN does the coroutine
// queue up (first come, first served) behind a single poll of ZMQ_FD. Since
// ZMQ_FD only signals that ZMQ_EVENTS may have changed, and any zmq call can
// consume that signal, the socket re-reads ZMQ_EVENTS before every poll and
// after every operation that others wait behind, and serves every waiter that
// can proceed, so no wake-up is lost.
//
// A receive completes only by taking a message for its waiter: one that is
// cancelled or times out has consumed nothing. A multipart send whose first
// frame went out completes the message: cancellation and timeout act only
// before it.
//
// bind, connect, options and native() make libzmq process its command
// mailbox, which consumes the signal on ZMQ_FD. Both backends check the fd
// when they report it, not when it is signalled (io_uring when it runs the
// poll's completion, with DEFER_TASKRUN only at the next io_uring_enter;
// epoll when epoll_wait returns): a signal consumed in between reports
// nothing. So each such call re-serves the waiters at once, and native(),
// whose use comes after it returns, on the next loop turn (tested in
// compose_test.cpp).

#include <zring/coro/detail/intrusive_list.hpp>
#include <zring/io/detail/timer_heap.hpp>
#include <zring/io/errors.hpp>
#include <zring/io/scheduler.hpp>
#include <zring/zmq/detail/socket_api.hpp>
#include <zring/zmq/detail/socket_ops.hpp>
#include <zring/zmq/detail/socket_waiter.hpp>
#include <zring/zmq/errors.hpp>

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace zring {

class socket final : public detail::socket_api<socket>, private detail::scheduler_resource {
public:
    using clock = detail::clock;
    using identity_type = detail::socket_identity;
    static constexpr const char* class_name = "zring::socket";

    // Throws socket_error if libzmq cannot create the socket (e.g. the context
    // was terminated). The socket belongs to s: use it only on s's thread.
    socket(scheduler& s, ::zmq::context_t& context, ::zmq::socket_type type) : socket(s, context.handle(), type) {}
    // The same, with a libzmq context handle (zmq_ctx_new, context_t::handle()).
    socket(scheduler& s, void* context, ::zmq::socket_type type);
    // Closes the socket; coroutines still waiting on it get socket_closed.
    ~socket();
    socket(const socket&) = delete;
    socket& operator=(const socket&) = delete;
    // Movable on its scheduler's thread while no coroutine waits on it (else
    // std::logic_error naming it). Pollers and monitors follow the moved
    // socket; the moved-from one is closed and keeps its name for errors.
    // Move-assigning closes the assigned-to socket first, with its linger,
    // as destroying it would: its waiters get socket_closed.
    socket(socket&& other);
    socket& operator=(socket&& other);

    void bind(const std::string& endpoint);
    void connect(const std::string& endpoint);
    void unbind(const std::string& endpoint);
    void disconnect(const std::string& endpoint);
    void subscribe(std::string_view prefix);
    void unsubscribe(std::string_view prefix);

    // Any cppzmq option: s.set(zmq::sockopt::sndhwm, 10); s.get(zmq::sockopt::last_endpoint).
    template <class Option, class... Args>
    void set(Option option, Args&&... args) {
        ::zmq::socket_ref(::zmq::from_handle, check_usable("set")).set(option, std::forward<Args>(args)...);
        reserve_waiters();
    }
    template <class Option>
    auto get(Option option) {
        auto value = ::zmq::socket_ref(::zmq::from_handle, check_usable("get")).get(option);
        reserve_waiters();
        return value;
    }
    // The underlying socket, for what zring does not cover. Sending or
    // receiving through it bypasses the waiter queues; waiting coroutines are
    // re-served on the next loop turn.
    ::zmq::socket_ref native(const char* operation = "native");

    // Closes now (idempotent): waiting coroutines resume with socket_closed.
    void close() noexcept;
    bool is_open() const noexcept { return core_ != nullptr; }
    ::zmq::socket_type type() const noexcept { return type_; }
    scheduler& get_scheduler() const noexcept { return *scheduler_; }
    // The libzmq context the socket was created in (for inproc companions).
    void* context() const noexcept { return context_; }
    // "PUSH tcp://127.0.0.1:5555": names the socket in error messages.
    const std::string& name() const noexcept { return identity_->name; }
    // Coroutines queued on the socket now, for diagnostics and tests: to
    // receive (recv, recv_multipart, wait(ZMQ_POLLIN)) and to send.
    std::size_t waiting_to_receive() const noexcept { return count(readers_); }
    std::size_t waiting_to_send() const noexcept { return count(writers_); }
    // Shared with whoever must outlive the socket safely (waiters, monitor, poller).
    std::shared_ptr<const detail::socket_identity> identity() const noexcept { return identity_; }

private:
    using waiter_type = detail::socket_waiter<socket>;
    friend waiter_type;
    template <class, class, bool>
    friend class detail::socket_awaiter;
    friend class detail::socket_api<socket>;
    struct core;

    void on_scheduler_shutdown() noexcept override;
    // The libzmq socket, if this thread may use it; throws otherwise.
    void* check_usable(const char* operation) const {
        if (core_ && scheduler_->on_owner_thread()) [[likely]]
            return handle_;
        throw_unusable(operation);
    }
    [[noreturn]] void throw_unusable(const char* operation) const;
    // check_usable, and refuses a tcp port libzmq would wrap around.
    void* check_endpoint(const char* operation, const std::string& endpoint) const;
    // Throws unless this socket may be moved from here and now; returns the
    // fresh identity, keeping its name, that it is left with.
    std::shared_ptr<detail::socket_identity> prepare_move(const char* operation) const;
    // Takes other's libzmq socket, poll and identity; other is left closed
    // under `left`.
    void take_over(socket& other, std::shared_ptr<detail::socket_identity> left) noexcept;
    bool has_waiters(bool inbound) const noexcept { return !(inbound ? readers_ : writers_).empty(); }
    static std::size_t count(const detail::intrusive_list<waiter_type>& queue) noexcept {
        std::size_t n = 0;
        for (const waiter_type* w = queue.front(); w; w = queue.next(w)) ++n;
        return n;
    }
    bool has_waiters() const noexcept { return has_waiters(true) || has_waiters(false); }
    // Queues w behind earlier waiters and re-checks, or arms the ZMQ_FD poll.
    void enqueue(waiter_type* w, bool fresh_eagain);
    // A fast-path operation may have consumed the ZMQ_FD edge that the other
    // direction's waiters are polling for.
    void after_fast_path(bool inbound) noexcept {
        if (has_waiters(!inbound)) serve();
    }
    void serve() noexcept;
    // After a call that made libzmq process its commands.
    void reserve_waiters() noexcept {
        if (has_waiters()) serve();
    }
    void arm_poll() noexcept;
    void fail_waiters(int error) noexcept;
    void finish(waiter_type* w, detail::outcome outcome, int error = 0) noexcept;
    void unlink(waiter_type* w) noexcept;
    // A queued waiter's timeout: it ends, unless its send is under way.
    void expire(waiter_type* w) noexcept;
    std::string describe(const char* operation) const;
    [[noreturn]] void throw_error(const char* operation, int error) const;
    void note_endpoint(const std::string& endpoint);
    // Re-serves the waiters, then throws socket_error if rc reports a failure.
    void after_command(int rc, const char* operation, const std::string* endpoint = nullptr);

    scheduler* scheduler_;
    void* context_;
    void* handle_ = nullptr;  // the libzmq socket, owned
    ::zmq::socket_type type_;
    core* core_;
    std::shared_ptr<detail::socket_identity> identity_;
    detail::intrusive_list<waiter_type> readers_;
    detail::intrusive_list<waiter_type> writers_;
};

}  // namespace zring
