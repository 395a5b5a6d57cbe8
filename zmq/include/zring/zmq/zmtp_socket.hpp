#pragma once
// zring::zmtp::socket: a ZeroMQ socket whose wire protocol (ZMTP 3.1, RFC
// 37) runs on the scheduler's own ring, with no libzmq context and no I/O
// thread. It has zring::socket's operations and meanings (recv, send, the
// try_ forms, timeouts, stop tokens, a cancelled receive consuming nothing)
// and speaks to libzmq and pyzmq peers over tcp:// and ipc://:
//
//     zring::zmtp::socket pull(s, zmq::socket_type::pull);
//     pull.bind("tcp://127.0.0.1:5555");
//     zmq::message_t m = co_await pull.recv();
//
// Supported: PAIR, PUSH, PULL, PUB, SUB, XPUB, XSUB, REQ, REP, DEALER, ROUTER, with the
// NULL mechanism. Messages are zmq::message_t; because libzmq offers no way
// to mark a message it did not receive as "more", message_t::more() is
// false for every frame this engine delivers: use recv_multipart, or
// get(zmq::sockopt::rcvmore) after a recv.
//
// A peer that breaks the protocol (a bad greeting, an oversized frame, a
// stalled handshake, ...) loses its connection and nothing else: the
// socket keeps serving its other peers, and on_event hears why.

#include <zring/io/errors.hpp>
#include <zring/io/scheduler.hpp>
#include <zring/zmq/detail/socket_api.hpp>
#include <zring/zmq/detail/socket_waiter.hpp>
#include <zring/zmq/errors.hpp>

#include <zmq.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

namespace zring::zmtp {

namespace detail {
class engine;
// The operations' calls into the engine (see socket_ops.hpp): 0 or an errno.
int msg_recv(engine* e, zmq_msg_t* message, int flags) noexcept;
int msg_send(engine* e, zmq_msg_t* message, int flags) noexcept;
bool msg_more(engine* e, zmq_msg_t* message) noexcept;
int socket_events(engine* e, int& events) noexcept;
}  // namespace detail

// What happened to one of the socket's connections.
enum class event_kind {
    connected,         // the handshake is done: traffic flows
    disconnected,      // a connection ended (the reason says why)
    handshake_failed,  // dropped before traffic: a bad greeting, an incompatible peer, a timeout
    connect_retried,   // a connect() attempt failed; the next comes after reconnect_ivl
};

struct event {
    event_kind kind;
    std::string endpoint;  // "tcp://127.0.0.1:5555", the peer's end for a bound socket
    std::string reason;    // empty for connected
};

class socket final : public zring::detail::socket_api<socket>, private zring::detail::scheduler_resource {
public:
    using identity_type = zring::detail::basic_socket_identity<socket>;
    static constexpr const char* class_name = "zring::zmtp::socket";

    // A socket of `type` on s, used only on s's thread. socket_error
    // (ENOTSUP) for a type the engine lacks, naming it.
    socket(scheduler& s, ::zmq::socket_type type);
    // Closes it: waiting coroutines get socket_closed; queued messages are
    // sent within the linger (1 s unless set), as zring::socket does, also
    // those for a connect() whose connection is still being made.
    ~socket();
    socket(const socket&) = delete;
    socket& operator=(const socket&) = delete;
    // Movable on its scheduler's thread while no coroutine waits on it (else
    // std::logic_error). Move-assigning closes the assigned-to socket first,
    // with its linger, as destroying it would: its waiters get
    // socket_closed. As zring::socket's moves.
    socket(socket&& other);
    socket& operator=(socket&& other);

    // "tcp://127.0.0.1:5555", "tcp://*:0" (get(last_endpoint) says which
    // port), "ipc:///run/app.sock", "ipc://@abstract". Any other transport
    // is socket_error(EPROTONOSUPPORT) naming it.
    void bind(const std::string& endpoint);
    void connect(const std::string& endpoint);
    void unbind(const std::string& endpoint);
    void disconnect(const std::string& endpoint);
    void subscribe(std::string_view prefix);
    void unsubscribe(std::string_view prefix);

    // cppzmq's options: s.set(zmq::sockopt::sndhwm, 10). Supported: sndhwm,
    // rcvhwm, linger, routing_id, router_mandatory, heartbeat_ivl,
    // heartbeat_ttl, heartbeat_timeout, reconnect_ivl, reconnect_ivl_max,
    // maxmsgsize, immediate, handshake_ivl, req_relaxed and req_correlate
    // (REQ only), subscribe, unsubscribe; get()
    // also rcvmore, events, type and last_endpoint. Any other is socket_error(EINVAL)
    // naming it: never silently ignored.
    template <int Option, class T, bool BoolUnit>
    void set(::zmq::sockopt::integral_option<Option, T, BoolUnit>, std::type_identity_t<T> value) {
        set_integer(Option, static_cast<std::int64_t>(value));
    }
    template <int Option, int NullTerminated>
    void set(::zmq::sockopt::array_option<Option, NullTerminated>, std::string_view value) {
        set_bytes(Option, value);
    }
    template <int Option, class T, bool BoolUnit>
    T get(::zmq::sockopt::integral_option<Option, T, BoolUnit>) const {
        return static_cast<T>(get_integer(Option));
    }
    template <int Option, int NullTerminated>
    std::string get(::zmq::sockopt::array_option<Option, NullTerminated>) const {
        return get_bytes(Option);
    }

    // Messages a PUB or XPUB dropped because a subscriber was at its
    // high-water mark; an XPUB's subscription notes dropped because rcvhwm
    // of them were unread.
    std::uint64_t dropped() const noexcept;
    // Hears every connection's fate (see event) while the socket is open;
    // on the socket's thread, from inside the engine: it must not wait or throw.
    void on_event(std::function<void(const event&)> hook);

    void close() noexcept;
    bool is_open() const noexcept { return handle_ != nullptr; }
    ::zmq::socket_type type() const noexcept { return type_; }
    scheduler& get_scheduler() const noexcept { return *scheduler_; }
    // "PUSH tcp://127.0.0.1:5555": names the socket in error messages.
    const std::string& name() const noexcept { return identity_->name; }
    std::size_t waiting_to_receive() const noexcept { return count(readers_); }
    std::size_t waiting_to_send() const noexcept { return count(writers_); }
    // Shared with whoever must outlive the socket safely (waiters, poller).
    std::shared_ptr<const identity_type> identity() const noexcept { return identity_; }

private:
    using waiter_type = zring::detail::socket_waiter<socket>;
    friend waiter_type;
    template <class, class, bool>
    friend class zring::detail::socket_awaiter;
    friend class zring::detail::socket_api<socket>;
    friend class detail::engine;

    void on_scheduler_shutdown() noexcept override { close(); }
    detail::engine* check_usable(const char* operation) const {
        if (handle_ && scheduler_->on_owner_thread()) [[likely]]
            return handle_;
        throw_unusable(operation);
    }
    [[noreturn]] void throw_unusable(const char* operation) const;
    [[noreturn]] void throw_error(const char* operation, int error) const;
    [[noreturn]] void throw_unsupported(const char* operation, int option) const;
    std::string describe(const char* operation) const;
    void set_integer(int option, std::int64_t value);
    void set_bytes(int option, std::string_view value);
    std::int64_t get_integer(int option) const;
    std::string get_bytes(int option) const;
    void note_endpoint(const std::string& endpoint);
    // Checks that other may move (its thread, no waiters) and makes the
    // identity it is left with: every allocation before anything changes.
    std::shared_ptr<identity_type> prepare_move(const char* operation) const;
    void take_over(socket& other, std::shared_ptr<identity_type> left) noexcept;

    bool has_waiters(bool inbound) const noexcept { return !(inbound ? readers_ : writers_).empty(); }
    bool has_waiters() const noexcept { return has_waiters(true) || has_waiters(false); }
    static std::size_t count(const zring::detail::intrusive_list<waiter_type>& queue) noexcept {
        std::size_t n = 0;
        for (const waiter_type* w = queue.front(); w; w = queue.next(w)) ++n;
        return n;
    }
    // The engine's state changes only through these attempts and its
    // connections, which call serve(): a fast-path operation that made
    // room or took a message must let the other direction's waiters try.
    void after_fast_path(bool inbound) noexcept {
        if (has_waiters(!inbound)) serve();
    }
    void enqueue(waiter_type* w, bool fresh_eagain);
    void unlink(waiter_type* w) noexcept { (w->inbound ? readers_ : writers_).erase(w); }
    void finish(waiter_type* w, zring::detail::outcome outcome, int error = 0) noexcept;
    void expire(waiter_type* w) noexcept {
        if (!w->committed) finish(w, zring::detail::outcome::timed_out);
    }
    void serve() noexcept;
    void fail_waiters(zring::detail::outcome outcome) noexcept;

    scheduler* scheduler_;
    ::zmq::socket_type type_;
    std::shared_ptr<detail::engine> engine_;
    detail::engine* handle_ = nullptr;  // engine_, while open
    std::shared_ptr<identity_type> identity_;
    zring::detail::intrusive_list<waiter_type> readers_;
    zring::detail::intrusive_list<waiter_type> writers_;
    bool serving_ = false;
    bool serve_again_ = false;
};

}  // namespace zring::zmtp
