#pragma once
// The native engine behind zring::zmtp::socket: libzmq's socket semantics
// (routing by socket type, high-water marks, REQ/REP envelopes, PUB/SUB
// filtering) over pipes, one per peer, that connections (connection.cpp)
// fill and drain on the scheduler's thread. The socket's operations call it
// as they call libzmq: one non-blocking attempt, 0 or an errno.

#include "zmtp/ring.hpp"
#include "zmtp/signal.hpp"

#include <zring/coro/task.hpp>
#include <zring/io/byte_stream.hpp>
#include <zring/io/scheduler.hpp>
#include <zring/zmq/zmtp_socket.hpp>

#include <zmq.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace zring::zmtp::detail {

struct options {
    int sndhwm = 1000;
    int rcvhwm = 1000;
    int linger_ms = 1000;  // as zring::socket: closing never hangs on a dead peer
    std::string routing_id;
    bool router_mandatory = false;
    int heartbeat_ivl_ms = 0;
    int heartbeat_ttl_ms = 0;
    int heartbeat_timeout_ms = -1;  // -1: the interval
    int reconnect_ivl_ms = 100;
    int reconnect_ivl_max_ms = 0;
    std::int64_t maxmsgsize = -1;
    bool immediate = false;
    int handshake_ivl_ms = 30000;
    bool req_relaxed = false;    // REQ: a new request abandons the one awaiting its reply
    bool req_correlate = false;  // REQ: a request id frame before the delimiter; stale replies dropped
};

struct out_frame {
    ::zmq::message_t message;
    std::uint8_t flags = 0;  // wire flags: more, command
};

struct in_frame {
    ::zmq::message_t message;
    struct pipe* from = nullptr;
    bool more = false;
};

// One peer's queues. A connect()'s pipe lives from connect() to
// disconnect() and keeps its queued messages across reconnections; a bound
// peer's lives while its connection does (and until its received messages
// are taken).
struct pipe {
    pipe(scheduler& s, std::string where, bool persistent) : output(s), room(s), endpoint(std::move(where)),
                                                             persistent(persistent) {}
    ring<out_frame> out;            // user messages, whole ones first to the writer
    ring<out_frame> commands;       // PING, PONG, SUBSCRIBE, ...: between messages
    std::size_t out_messages = 0;   // user messages queued (the high-water mark)
    std::size_t out_complete = 0;   // of which the last frame is queued
    std::size_t in_messages = 0;    // messages from this peer in the socket's inbound queue
    signal output;                  // the writer has work
    signal room;                    // the reader may go on (below rcvhwm)
    std::string endpoint;           // "tcp://127.0.0.1:5555", for reports
    std::string routing_id;         // the peer's, as ROUTER names it
    std::vector<std::string> subscriptions;  // PUB: the peer's prefixes, each once (as libzmq keeps them)
    // The PONG owed to the peer's latest PING: one at most, whatever it sends.
    std::array<std::byte, 16> pong_context{};
    std::uint8_t pong_size = 0;
    bool pong_owed = false;
    bool persistent;
    bool looping = false;    // a connect()'s loop holds it: not released before the loop ends
    bool connected = false;  // a connection serves it
    bool attached = false;   // ... and its handshake is done
    bool legacy_subscriptions = false;  // a ZMTP 3.0 peer: subscriptions are messages
    bool selected = false;   // PUB: receives the message being sent
    bool removed = false;    // disconnect(): released once its connection ends
    // close() found messages queued and no connection up yet: the connect
    // loop goes on, within the linger, to deliver them.
    bool lingering = false;
};

class engine : public std::enable_shared_from_this<engine> {
public:
    engine(scheduler& s, ::zmq::socket_type type, std::string name);
    ~engine();

    // The socket's operations: one attempt each, 0 or an errno (EAGAIN).
    int recv(zmq_msg_t* message, int flags) noexcept;
    int send(zmq_msg_t* message, int flags) noexcept;
    int events() const noexcept;
    bool more() const noexcept { return more_in_; }

    void bind(const std::string& endpoint);
    void connect(const std::string& endpoint);
    void unbind(const std::string& endpoint);
    void disconnect(const std::string& endpoint);
    void subscribe(std::string_view prefix, bool on);
    // Stops every listener and connection; queued messages go out within
    // the linger, also those of a connect() whose connection is not up yet
    // (as libzmq's do).
    void close() noexcept;
    // The time left of the linger since close(); none if it is infinite.
    std::optional<zring::detail::clock::duration> linger_left() const noexcept;
    // Connections still at work, or connect loops still delivering after
    // close(): a socket closed outside the loop runs it until none is.
    bool delivering() const noexcept { return live_connections > 0 || lingering_connects > 0; }

    scheduler& sched;
    const ::zmq::socket_type type;
    const std::string name;
    options opts;
    socket* owner = nullptr;  // serves its waiters when the engine's state changes
    std::uint64_t dropped = 0;
    std::size_t live_connections = 0;  // serve_connection calls running
    std::size_t lingering_connects = 0;  // connect loops still delivering after close()
    zring::detail::clock::time_point closed_at{};  // when close() began the linger
    std::string last_endpoint;
    std::function<void(const zmtp::event&)> on_event;

    // ---- for the connections ----
    bool closing() const noexcept { return closing_.stop_requested(); }
    std::stop_token closing_token() const noexcept { return closing_.get_token(); }
    // A new pipe for a bound peer.
    pipe* add_pipe(std::string endpoint, bool persistent);
    // The handshake is done: the pipe carries traffic from now on. Returns
    // an error text if the peer may not join (a second PAIR, a routing id in use).
    const char* attach(pipe& p, std::string_view peer_routing_id, bool legacy_subscriptions);
    // The connection ended: a bound peer's pipe goes, a connect()'s waits for the next.
    void detach(pipe& p) noexcept;
    // A whole message from the peer (frames without the routing id).
    void deliver(pipe& p, std::vector<::zmq::message_t>& frames);
    void subscription(pipe& p, std::string_view prefix, bool on);
    // The writer took a whole user message off the pipe.
    void took_message(pipe& p) noexcept;
    // rcvhwm changed: parked readers look again.
    void receive_limit_changed() noexcept;
    // A connect()'s loop ended: its pipe goes if disconnect() removed it.
    void connect_ended(pipe& p) noexcept;
    void report(event_kind kind, const std::string& endpoint, std::string reason) noexcept;
    void notify() noexcept;

private:
    struct origin;
    bool eligible(const pipe& p) const noexcept {
        return !p.removed && (p.attached || (p.persistent && !opts.immediate));
    }
    bool has_room(const pipe& p) const noexcept {
        return opts.sndhwm <= 0 || p.out_messages < static_cast<std::size_t>(opts.sndhwm);
    }
    pipe* next_pipe() noexcept;  // round-robin over eligible pipes with room
    pipe* find_routing_id(std::string_view id) noexcept;
    int begin_send(::zmq::message_t& frame, bool more) noexcept;
    int begin_request() noexcept;
    // REQ: whether the message at the front is the reply awaited, its
    // envelope (request id, delimiter) taken.
    bool take_reply_envelope() noexcept;
    bool push(pipe& p, ::zmq::message_t&& frame, bool more) noexcept;
    // Takes the next whole message's first frame, dropping what the type refuses.
    bool begin_receive() noexcept;
    in_frame take_frame() noexcept;
    // Releases the gone peers whose last message was taken.
    void release_drained() noexcept;
    int receive(zmq_msg_t* message, int flags) noexcept;
    void release(pipe& p) noexcept;
    void forget(pipe* p) noexcept;
    void queue_subscription(pipe& p, std::string_view prefix, bool on);
    // XPUB: counts a peer's (un)subscription; the user receives "\x01prefix"
    // or "\x00prefix" if it changes whether anyone holds the prefix.
    void count_subscriber(std::string_view prefix, bool on);
    bool publishes() const noexcept {
        return type == ::zmq::socket_type::pub || type == ::zmq::socket_type::xpub;
    }
    bool subscribes() const noexcept {
        return type == ::zmq::socket_type::sub || type == ::zmq::socket_type::xsub;
    }
    origin* find_origin(const std::string& endpoint, bool bound) noexcept;
    // Ends every connect() loop, the lingering ones too.
    void stop_connects() noexcept;

    std::vector<std::unique_ptr<pipe>> pipes_;
    std::vector<std::unique_ptr<origin>> origins_;
    std::stop_source closing_;
    std::stop_source linger_done_;  // every lingering connect ended: the linger's timer may go
    std::size_t next_ = 0;  // round-robin position
    std::uint32_t next_routing_id_ = 0x2a00;  // as libzmq: a random start would do as well
    ring<in_frame> inbound_;
    bool more_in_ = false;  // the last frame received has more after it
    bool in_message_ = false;  // frames of a message are being received
    // Sending a multipart message: where its frames go.
    pipe* out_pipe_ = nullptr;
    bool out_in_message_ = false;
    bool out_dropping_ = false;
    // REQ: waiting for the reply from req_pipe_ to request request_id_
    // (sent only with req_correlate); REP: replying to reply_pipe_.
    bool awaiting_reply_ = false;
    pipe* req_pipe_ = nullptr;
    std::uint32_t request_id_ = 0;
    bool replying_ = false;
    pipe* reply_pipe_ = nullptr;
    std::vector<::zmq::message_t> envelope_;
    // SUB, XSUB: ours, counted as libzmq's XSUB counts them: a peer hears
    // only the first subscribe and the last unsubscribe of a prefix.
    std::map<std::string, std::size_t, std::less<>> subscriptions_;
    // XPUB: how many peers hold each prefix. The user hears of a prefix's
    // first subscriber and of its last one leaving, as libzmq's XPUB tells.
    std::map<std::string, std::size_t, std::less<>> subscribers_;
    std::size_t notes_queued_ = 0;  // of those, in inbound_ (with no pipe)
    std::vector<pipe*> drained_;  // gone peers whose last message recv() took
};

// ---- connection.cpp ----

// Runs one connection's handshake and traffic until it ends; the stream is
// closed then. `p` is a connect()'s pipe, or null for a bound peer.
// True if the handshake succeeded (the reconnection back-off starts over).
task<bool> serve_connection(std::shared_ptr<engine> e, byte_stream stream, pipe* p, std::string endpoint,
                            bool as_server, std::stop_token origin_stop);

}  // namespace zring::zmtp::detail
