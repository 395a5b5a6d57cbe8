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

namespace detail {
template <class Operation, bool AsValue>
class socket_awaiter;
}  // namespace detail

// What send_multipart sends, one frame per element:
//   send_multipart(std::move(messages))   a std::vector<zmq::message_t>, moved
//   send_multipart(std::move(multipart))  cppzmq's zmq::multipart_t, its frames taken
//   send_multipart(strings)               any range of string-likes, copied
//   send_multipart({"a", id, body})       a braced list of string-likes, copied,
//   send_multipart({routing, "", body})   and of zmq::message_t frames: copied
//                                         from an lvalue, moved from an rvalue
// The braced list reaches a variadic constructor rather than an
// std::initializer_list, whose array g++ 12 rejects inside a co_await
// operand ("array used as initializer").
namespace detail {
template <class F>
concept frame_like = std::is_convertible_v<const F&, std::string_view> ||
                     std::is_same_v<std::remove_cvref_t<F>, ::zmq::message_t>;
}  // namespace detail

class frame_list {
public:
    frame_list(std::vector<::zmq::message_t>&& parts) noexcept : parts_(std::move(parts)) {}
    frame_list(::zmq::multipart_t&& parts) {
        parts_.reserve(parts.size());
        while (!parts.empty()) parts_.push_back(parts.pop());
    }
    template <class Range>
    requires std::is_convertible_v<decltype(*std::begin(std::declval<const Range&>())), std::string_view>
    frame_list(const Range& frames) {
        for (const auto& f : frames) add(f);
    }
    template <class... Frames>
    requires(sizeof...(Frames) > 0 && (detail::frame_like<Frames> && ...))
    frame_list(Frames&&... frames) {
        parts_.reserve(sizeof...(Frames));
        (add(std::forward<Frames>(frames)), ...);
    }

    std::vector<::zmq::message_t> take() && noexcept { return std::move(parts_); }

private:
    void add(std::string_view frame) { parts_.emplace_back(frame.data(), frame.size()); }
    // zmq_msg_copy shares the content (reference-counted), copying no bytes.
    void add(::zmq::message_t& frame) { parts_.emplace_back().copy(frame); }
    void add(const ::zmq::message_t& frame) { parts_.emplace_back(frame.data(), frame.size()); }
    void add(::zmq::message_t&& frame) { parts_.push_back(std::move(frame)); }
    std::vector<::zmq::message_t> parts_;
};

class socket final : private detail::scheduler_resource {
public:
    using clock = detail::clock;

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

    // What co_await takes: the operation, and whether a timeout is a value
    // (an empty optional, or false: the try_ forms below) rather than timed_out.
    template <class Operation, bool AsValue = false>
    using awaiter = detail::socket_awaiter<Operation, AsValue>;
    using recv_op = detail::socket_recv_op;
    using recv_into_op = detail::socket_recv_into_op;
    using recv_multipart_op = detail::socket_recv_multipart_op;
    using recv_multipart_into_op = detail::socket_recv_multipart_into_op;
    using send_op = detail::socket_send_op;
    using send_multipart_op = detail::socket_send_multipart_op;
    using wait_op = detail::socket_wait_op;

    using duration = clock::duration;

    // co_await s.recv() -> zmq::message_t (one frame).
    awaiter<socket::recv_op> recv(std::stop_token token = {});
    awaiter<socket::recv_op> recv(duration timeout, std::stop_token token = {});
    // co_await s.recv(message): receives into message, releasing what it held,
    // as cppzmq's socket_t::recv(message_t&) does. Reusing one message in a
    // loop spares libzmq an init and a close per message. Left empty if the
    // receive fails, times out or is cancelled.
    awaiter<recv_into_op> recv(::zmq::message_t& message, std::stop_token token = {});
    awaiter<recv_into_op> recv(::zmq::message_t& message, duration timeout, std::stop_token token = {});
    // co_await s.recv_multipart() -> every frame of one message, never split
    // or interleaved with another receiver's.
    awaiter<recv_multipart_op> recv_multipart(std::stop_token token = {});
    awaiter<recv_multipart_op> recv_multipart(duration timeout, std::stop_token token = {});
    // Into cppzmq's zmq::multipart_t (its envelope helpers: pop, push,
    // popstr, pushstr, ...), replacing what it held.
    awaiter<recv_multipart_into_op> recv_multipart(::zmq::multipart_t& into, std::stop_token token = {});
    awaiter<recv_multipart_into_op> recv_multipart(::zmq::multipart_t& into, duration timeout,
                                                   std::stop_token token = {});
    // Suspends while the socket cannot accept the message (high-water mark on
    // PUSH, DEALER, PAIR, ...); PUB drops at its high-water mark as libzmq does.
    awaiter<send_op> send(::zmq::message_t message, ::zmq::send_flags flags = ::zmq::send_flags::none,
                          std::stop_token token = {});
    awaiter<send_op> send(std::string_view data, std::stop_token token = {});
    awaiter<send_op> send(::zmq::message_t message, duration timeout, std::stop_token token = {});
    // Any frame_list (below the socket): a vector of messages, a multipart_t,
    // a range or a braced list of strings.
    awaiter<send_multipart_op> send_multipart(frame_list frames, std::stop_token token = {});
    awaiter<send_multipart_op> send_multipart(frame_list frames, duration timeout, std::stop_token token = {});
    // Timeouts as values, for retry loops (C++ allows no co_await in a
    // catch block): a timeout yields std::nullopt or false and consumes or
    // sends nothing. Cancellation and closing still throw (they end the
    // coroutine's work; a timeout does not), as do errors.
    //   co_await s.try_recv(1s)               -> std::optional<zmq::message_t>
    //   co_await s.try_recv(message, 1s)      -> bool
    //   co_await s.try_recv_multipart(1s)     -> std::optional<std::vector<zmq::message_t>>
    //   co_await s.try_recv_multipart(multipart, 1s) -> bool (multipart untouched on a timeout)
    //   co_await s.try_send(message, 1s)      -> bool (false: not sent)
    //   co_await s.try_send_multipart(parts, 1s) -> bool
    //   co_await s.try_send_multipart(messages, 1s) -> bool: a std::vector<zmq::message_t>&,
    //       emptied if sent, left as it was on a timeout (to resend it, as a broker does)
    awaiter<socket::recv_op, true> try_recv(duration timeout, std::stop_token token = {});
    awaiter<recv_into_op, true> try_recv(::zmq::message_t& message, duration timeout, std::stop_token token = {});
    awaiter<recv_multipart_op, true> try_recv_multipart(duration timeout, std::stop_token token = {});
    awaiter<recv_multipart_into_op, true> try_recv_multipart(::zmq::multipart_t& into, duration timeout,
                                                             std::stop_token token = {});
    awaiter<send_op, true> try_send(::zmq::message_t message, duration timeout, std::stop_token token = {});
    awaiter<send_op, true> try_send(std::string_view data, duration timeout, std::stop_token token = {});
    awaiter<send_multipart_op, true> try_send_multipart(frame_list frames, duration timeout,
                                                        std::stop_token token = {});
    awaiter<send_multipart_op, true> try_send_multipart(std::vector<::zmq::message_t>& frames, duration timeout,
                                                        std::stop_token token = {});
    // co_await s.wait(ZMQ_POLLIN) -> the requested events that are ready,
    // consuming nothing: for polling several sockets (see poller.hpp).
    awaiter<wait_op> wait(short events, std::stop_token token = {});
    awaiter<wait_op> wait(short events, duration timeout, std::stop_token token = {});

private:
    friend struct detail::socket_waiter;
    template <class, bool>
    friend class detail::socket_awaiter;
    awaiter<wait_op> wait(short events, std::optional<duration> timeout, std::stop_token token);
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
    static std::size_t count(const detail::intrusive_list<detail::socket_waiter>& queue) noexcept {
        std::size_t n = 0;
        for (const detail::socket_waiter* w = queue.front(); w; w = queue.next(w)) ++n;
        return n;
    }
    bool has_waiters() const noexcept { return has_waiters(true) || has_waiters(false); }
    // Queues w behind earlier waiters and re-checks, or arms the ZMQ_FD poll.
    void enqueue(detail::socket_waiter* w, bool fresh_eagain);
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
    bool serve_queue(detail::intrusive_list<detail::socket_waiter>& queue) noexcept;
    void arm_poll() noexcept;
    void fail_waiters(int error) noexcept;
    void finish(detail::socket_waiter* w, detail::outcome outcome, int error = 0) noexcept;
    void unlink(detail::socket_waiter* w) noexcept;
    // A queued waiter's timeout: it ends, unless its send is under way.
    void expire(detail::socket_waiter* w) noexcept;
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
    detail::intrusive_list<detail::socket_waiter> readers_;
    detail::intrusive_list<detail::socket_waiter> writers_;
};

}  // namespace zring

// The awaiter, and the operations' inline definitions.
#include <zring/zmq/detail/socket_awaiter.hpp>
