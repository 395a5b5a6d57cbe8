// One connection of the native engine: the greeting and the mechanism's
// handshake, then three coroutines until it ends. The reader parses many
// frames from each completion into the pipe's socket; the writer coalesces
// whatever is queued into one gathered write (small frames copied into one
// buffer, large ones sent from where they are); the watch sends heartbeats,
// drops a silent peer, and bounds the linger when the socket closes.

#include "zmtp/engine.hpp"
#include "zmtp/mechanism.hpp"
#include "zmtp/wire.hpp"

#include <zring/coro/when_all.hpp>
#include <zring/io/timer.hpp>

#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

namespace zring::zmtp::detail {

namespace {

using namespace std::chrono_literals;
using duration = zring::detail::clock::duration;

// A connection's read buffer starts at libzmq's batch size and grows while
// the peer fills it, so ten thousand quiet peers cost 8 KiB each, not 64.
constexpr std::size_t initial_read_buffer_size = 8 * 1024;
constexpr std::size_t read_buffer_size = 64 * 1024;
constexpr std::size_t handshake_command_limit = 64 * 1024;
constexpr std::size_t copy_limit = 256;        // a frame's payload at most this size is copied into the batch
constexpr std::size_t batch_limit = 64 * 1024;  // bytes of one write, past which no message is added
constexpr std::size_t frames_per_message_limit = 100'000;

struct segment {
    const std::byte* data;  // null: offset into the batch buffer
    std::size_t offset;
    std::size_t size;
};

class connection {
public:
    connection(engine& e, byte_stream& stream, pipe* p, std::string endpoint, std::stop_token origin)
        : e_(e), stream_(stream), pipe_(p), endpoint_(std::move(endpoint)), wake_(e.sched),
          on_abort_(abort_.get_token(), stopper{&reading_}),
          on_close_(e.closing_token(), closing_stopper{this}),
          on_origin_(std::move(origin), stopper{&reading_}) {}

    task<bool> run(bool as_server);

private:
    struct stopper {
        std::stop_source* source;
        void operator()() const noexcept { source->request_stop(); }
    };
    // The socket closes: reading ends, but a handshake goes on for a
    // lingering connect (it has messages to deliver; the linger's end stops
    // its origin, which ends it).
    struct closing_stopper {
        connection* c;
        void operator()() const noexcept {
            if (!(c->handshaking_ && c->pipe_ && c->pipe_->lingering)) c->reading_.request_stop();
        }
    };

    task<void> handshake(bool as_server);
    task<std::string> read_command(std::optional<duration> timeout);
    task<void> read_loop();
    task<void> write_loop();
    task<void> watch();
    task<void> finish_writing();
    // What the linger leaves this connection: counted from close() when the
    // socket closes, whole for an unbind or a disconnect; none if infinite.
    std::optional<duration> linger_bound() const {
        if (e_.closing()) return e_.linger_left();
        if (e_.opts.linger_ms < 0) return std::nullopt;
        return std::chrono::milliseconds(e_.opts.linger_ms);
    }
    // Ends the connection with reason (the first one given is kept).
    void fail(std::string reason) noexcept {
        if (reason_.empty()) reason_ = std::move(reason);
        abort_.request_stop();
    }
    // A frame from the peer; true if the reader must wait for room.
    bool on_frame(const frame_header& h, ::zmq::message_t&& payload);
    void on_command(bytes body);
    void queue_command(std::string_view name, bytes data) {
        pipe_->commands.push_back({command_body(name, data), frame_flag::command});
        pipe_->output.raise();
    }
    std::optional<duration> remaining() const {
        if (!deadline_) return std::nullopt;
        return std::max(duration::zero(), *deadline_ - zring::detail::clock::now());
    }

    engine& e_;
    byte_stream& stream_;
    pipe* pipe_;
    std::string endpoint_;
    std::string reason_;
    bool legacy_ = false;  // the peer speaks ZMTP 3.0
    bool parked_ = false;  // the reader waits for room in the socket
    bool handshaking_ = true;
    bool wrote_everything_ = false;  // closing, the writer flushed all that was queued
    std::optional<zring::detail::clock::time_point> deadline_;  // of the handshake
    zring::detail::clock::time_point last_received_{};
    std::chrono::milliseconds peer_ttl_{0};
    signal wake_;  // the watch: the peer set a heartbeat TTL
    std::vector<::zmq::message_t> frames_;  // the message being received
    std::size_t message_bytes_ = 0;
    std::stop_source abort_;    // ends everything at once
    std::stop_source reading_;  // ends reading: closing, unbind, disconnect, or abort
    std::stop_source written_;  // the writer has flushed, or ended
    // Registered last: a stop already requested runs its callback in the
    // constructor, and closing_stopper reads the members above.
    std::stop_callback<stopper> on_abort_;
    std::stop_callback<closing_stopper> on_close_;
    std::stop_callback<stopper> on_origin_;
};

task<std::string> connection::read_command(std::optional<duration> timeout) {
    std::string head = co_await stream_.read_exactly(2, timeout, reading_.get_token());
    std::uint64_t size = static_cast<unsigned char>(head[1]);
    const auto flags = static_cast<unsigned char>(head[0]);
    if (!(flags & frame_flag::command)) throw protocol_error("a message frame before the handshake ended");
    if (flags & frame_flag::long_size) {
        std::string rest = co_await stream_.read_exactly(7, remaining(), reading_.get_token());
        head += rest;
        const auto header = decode_frame_header(as_bytes(head), -1);
        size = header->size;
    } else {
        decode_frame_header(as_bytes(head), -1);  // the flags' checks
    }
    if (size > handshake_command_limit)
        throw protocol_error("handshake command of " + std::to_string(size) + " bytes (the limit is 64 KiB)");
    co_return co_await stream_.read_exactly(static_cast<std::size_t>(size), remaining(), reading_.get_token());
}

task<void> connection::handshake(bool as_server) {
    if (e_.opts.handshake_ivl_ms > 0)
        deadline_ = zring::detail::clock::now() + std::chrono::milliseconds(e_.opts.handshake_ivl_ms);
    properties ours{{"Socket-Type", socket_type_name(e_.type)}};
    using t = ::zmq::socket_type;
    if (e_.type == t::req || e_.type == t::dealer || e_.type == t::router)
        ours.emplace_back("Identity", e_.opts.routing_id);
    auto mech = make_null_mechanism(std::move(ours));
    // The whole greeting at once, then the mechanism's first command: a
    // ZMTP 3 peer reads them in turn, and an older one sees our version in
    // the eleventh byte as libzmq's staged greeting would show it.
    const auto greeting_bytes = encode_greeting(mech->name(), as_server);
    std::vector<std::byte> out(greeting_bytes.begin(), greeting_bytes.end());
    mech->produce(out);
    co_await stream_.write(std::span<const std::byte>(out), remaining(), reading_.get_token());

    // The first byte tells a ZMTP 1.0 peer (or not ZeroMQ at all) at once:
    // such a peer may wait for us with fewer bytes than a signature.
    std::string first = co_await stream_.read_exactly(1, remaining(), reading_.get_token());
    if (first[0] != '\xff') throw protocol_error("bad ZMTP signature (a ZMTP 1.0 peer, or not ZeroMQ)");
    std::string signature = co_await stream_.read_exactly(signature_size, remaining(), reading_.get_token());
    first += signature;
    check_signature(as_bytes(first));
    std::string rest = co_await stream_.read_exactly(greeting_size - first.size(), remaining(), reading_.get_token());
    first += rest;
    const greeting peer = decode_greeting(as_bytes(first));
    if (peer.mechanism != mech->name())
        throw protocol_error("peer's security mechanism '" + peer.mechanism + "' is not this socket's (" +
                             std::string(mech->name()) + ")");
    legacy_ = peer.major == 3 && peer.minor == 0;
    while (!mech->ready()) {
        std::string body = co_await read_command(remaining());
        mech->consume(decode_command(as_bytes(body)));
        out.clear();
        mech->produce(out);
        if (!out.empty()) co_await stream_.write(std::span<const std::byte>(out), remaining(), reading_.get_token());
    }
    const properties& theirs = mech->peer_properties();
    const auto type_name = find_property(theirs, "Socket-Type");
    if (!type_name) throw protocol_error("peer's READY has no Socket-Type");
    const auto peer_type = socket_type_from_name(*type_name);
    if (!peer_type || !compatible(e_.type, *peer_type)) {
        const std::string reason = "socket type " + std::string(*type_name) + " cannot talk to " +
                                   socket_type_name(e_.type);
        out.clear();
        append_command(out, "ERROR", error_data("Invalid socket type"));
        try {
            co_await stream_.write(std::span<const std::byte>(out), 100ms, reading_.get_token());
        } catch (const std::exception&) {
            // The peer is dropped either way.
        }
        throw protocol_error(reason);
    }
    const std::string_view id = find_property(theirs, "Identity").value_or("");
    if (!pipe_) {
        pipe_ = e_.add_pipe(endpoint_, false);
        pipe_->connected = true;
    }
    if (const char* refused = e_.attach(*pipe_, id, legacy_)) throw protocol_error(refused);
    deadline_.reset();
}

bool connection::on_frame(const frame_header& h, ::zmq::message_t&& payload) {
    if (h.is_command()) {
        // Never parked on: PINGs are answered and subscriptions apply
        // whatever the user reads (an XPUB's notes are bounded where queued).
        on_command(bytes(static_cast<const std::byte*>(payload.data()), payload.size()));
        return false;
    }
    message_bytes_ += payload.size();
    if (e_.opts.maxmsgsize >= 0 && message_bytes_ > static_cast<std::uint64_t>(e_.opts.maxmsgsize))
        throw protocol_error("message over maxmsgsize " + std::to_string(e_.opts.maxmsgsize) + " bytes");
    if (frames_.size() >= frames_per_message_limit)
        throw protocol_error("message of more than " + std::to_string(frames_per_message_limit) + " frames");
    frames_.push_back(std::move(payload));
    if (h.more()) return false;
    message_bytes_ = 0;
    e_.deliver(*pipe_, frames_);
    return e_.opts.rcvhwm > 0 && pipe_->in_messages >= static_cast<std::size_t>(e_.opts.rcvhwm);
}

void connection::on_command(bytes body) {
    const command_view c = decode_command(body);
    if (c.name == "PING") {
        if (c.data.size() < 2) throw protocol_error("PING without a TTL");
        const unsigned ttl = (std::to_integer<unsigned>(c.data[0]) << 8) | std::to_integer<unsigned>(c.data[1]);
        const bytes context = c.data.subspan(2, std::min<std::size_t>(c.data.size() - 2, 16));
        // One PONG owed at most, to the latest PING: a peer that pings and
        // never reads cannot grow the queue.
        pipe_->pong_size = static_cast<std::uint8_t>(context.size());
        std::copy(context.begin(), context.end(), pipe_->pong_context.begin());
        pipe_->pong_owed = true;
        pipe_->output.raise();
        if (ttl > 0 && peer_ttl_.count() == 0) {
            peer_ttl_ = std::chrono::milliseconds(ttl * 100);
            wake_.raise();
        }
    } else if (c.name == "SUBSCRIBE" || c.name == "CANCEL") {
        e_.subscription(*pipe_, as_text(c.data), c.name == "SUBSCRIBE");
    } else if (c.name == "ERROR") {
        throw protocol_error("peer sent ERROR: " + decode_error(c.data));
    }
    // PONG, and commands of later versions, need nothing: any traffic is a sign of life.
}

task<void> connection::read_loop() {
    std::vector<std::byte> buffer(initial_read_buffer_size);
    std::size_t head = 0;
    std::size_t tail = 0;
    // Doubles the buffer (up to read_buffer_size), what is buffered moved to its start.
    const auto grow = [&] {
        std::vector<std::byte> larger(std::min(buffer.size() * 2, read_buffer_size));
        std::memcpy(larger.data(), buffer.data() + head, tail - head);
        tail -= head;
        head = 0;
        buffer = std::move(larger);
    };
    const std::stop_token token = reading_.get_token();
    try {
        for (;;) {
            // Every whole frame buffered, then one read for the rest.
            bool wait_for_room = false;
            while (!wait_for_room) {
                const auto h = decode_frame_header(bytes(buffer.data() + head, tail - head), e_.opts.maxmsgsize);
                if (!h) break;
                const std::size_t have = tail - head - h->header_size;
                const std::byte* payload = buffer.data() + head + h->header_size;
                if (h->size <= have) {
                    wait_for_room = on_frame(*h, ::zmq::message_t(payload, static_cast<std::size_t>(h->size)));
                    head += h->header_size + static_cast<std::size_t>(h->size);
                    continue;
                }
                if (h->size <= buffer.size() / 2) break;  // fits once compacted
                if (h->size <= read_buffer_size / 2) {    // fits once grown
                    grow();
                    break;
                }
                // A large frame is read straight into its message.
                ::zmq::message_t large(static_cast<std::size_t>(h->size));
                std::memcpy(large.data(), payload, have);
                head = tail = 0;
                // In pieces, each a sign of life for the heartbeat's timeout.
                auto* into = static_cast<std::byte*>(large.data());
                for (std::size_t got = have; got < large.size();) {
                    const std::size_t n = co_await stream_.read_some(
                        std::span<std::byte>(into + got, std::min(large.size() - got, read_buffer_size)),
                        std::nullopt, token);
                    if (n == 0) {
                        fail("peer closed the connection inside a frame (truncated)");
                        co_return;
                    }
                    got += n;
                    last_received_ = zring::detail::clock::now();
                }
                wait_for_room = on_frame(*h, std::move(large));
            }
            if (wait_for_room) {
                // Parked: the peer's traffic waits in the kernel, so silence
                // is no sign of its death meanwhile.
                parked_ = true;
                co_await pipe_->room.wait(token);
                parked_ = false;
                last_received_ = zring::detail::clock::now();
                continue;
            }
            if (head == tail) {
                head = tail = 0;
            } else if (buffer.size() - tail < buffer.size() / 2) {
                std::memmove(buffer.data(), buffer.data() + head, tail - head);
                tail -= head;
                head = 0;
            }
            const std::size_t room = buffer.size() - tail;
            const std::size_t n =
                co_await stream_.read_some(std::span<std::byte>(buffer.data() + tail, room), std::nullopt, token);
            if (n == 0) {
                fail(head == tail ? "peer closed the connection"
                                  : "peer closed the connection inside a frame (truncated)");
                co_return;
            }
            tail += n;
            if (n == room && buffer.size() < read_buffer_size) grow();  // the peer sends faster than we read
            last_received_ = zring::detail::clock::now();
        }
    } catch (const operation_cancelled&) {
        // Closing, unbind or disconnect: the writer flushes within the linger.
        if (abort_.stop_requested() || !e_.closing()) fail("closed by this side");
    } catch (const protocol_error& error) {
        fail(error.what());
    } catch (const std::bad_alloc&) {
        fail("out of memory for a frame");
    } catch (const std::exception& error) {
        fail(error.what());
    }
}

task<void> connection::write_loop() {
    std::vector<std::byte> batch;
    std::vector<segment> segments;
    std::vector<std::span<const std::byte>> spans;
    std::vector<::zmq::message_t> in_flight;  // large frames, sent from where they are
    // No reservation: a peer that is never written to costs nothing here, and
    // the batch keeps the capacity its busiest write needed.
    const std::stop_token token = abort_.get_token();
    try {
        for (;;) {
            if (pipe_->commands.empty() && pipe_->out_complete == 0 && !pipe_->pong_owed) {
                if (reading_.stop_requested()) {  // closing, and everything went out
                    wrote_everything_ = !abort_.stop_requested();  // not a failure on its way
                    break;
                }
                co_await pipe_->output.wait(token);
                continue;
            }
            batch.clear();
            segments.clear();
            in_flight.clear();
            std::size_t mark = 0;  // the batch bytes not yet in a segment
            std::size_t bytes_out = 0;
            const auto add = [&](out_frame& f) {
                std::byte header[max_header_size];
                const std::size_t n = encode_frame_header(header, f.message.size(), f.flags);
                batch.insert(batch.end(), header, header + n);
                const auto* data = static_cast<const std::byte*>(f.message.data());
                bytes_out += n + f.message.size();
                if (f.message.size() <= copy_limit) {
                    batch.insert(batch.end(), data, data + f.message.size());
                    return;
                }
                segments.push_back({nullptr, mark, batch.size() - mark});
                mark = batch.size();
                segments.push_back({data, 0, f.message.size()});
                in_flight.push_back(std::move(f.message));
            };
            if (pipe_->pong_owed) {
                pipe_->pong_owed = false;
                out_frame pong{command_body("PONG", bytes(pipe_->pong_context.data(), pipe_->pong_size)),
                               frame_flag::command};  // at most 21 bytes: inline in the message
                add(pong);
            }
            while (!pipe_->commands.empty()) {
                out_frame f = pipe_->commands.pop_front();
                add(f);
            }
            // Whole messages only: a connection that fails mid-batch leaves
            // the next one at a message boundary.
            while (pipe_->out_complete > 0 && bytes_out < batch_limit && segments.size() < 64) {
                for (;;) {
                    out_frame f = pipe_->out.pop_front();
                    add(f);
                    if (!(f.flags & frame_flag::more)) break;
                }
                --pipe_->out_complete;
                e_.took_message(*pipe_);
            }
            segments.push_back({nullptr, mark, batch.size() - mark});
            spans.clear();
            for (const segment& s : segments)
                if (s.size > 0) spans.emplace_back(s.data ? s.data : batch.data() + s.offset, s.size);
            co_await stream_.write(std::span<const std::span<const std::byte>>(spans), std::nullopt, token);
        }
    } catch (const operation_cancelled&) {
        // Aborted: the reason is given already.
    } catch (const std::exception& error) {
        fail(error.what());
    }
    written_.request_stop();
}

task<void> connection::watch() {
    const auto ivl = std::chrono::milliseconds(e_.opts.heartbeat_ivl_ms);
    const auto timeout = std::chrono::milliseconds(
        e_.opts.heartbeat_timeout_ms >= 0 ? e_.opts.heartbeat_timeout_ms : e_.opts.heartbeat_ivl_ms);
    const auto ttl_deciseconds = static_cast<unsigned>(std::min(e_.opts.heartbeat_ttl_ms / 100, 0xffff));
    const std::stop_token token = reading_.get_token();
    try {
        for (;;) {
            // The next check: the interval, or the peer's TTL, whichever is shorter.
            auto tick = ivl.count() > 0 ? ivl : std::chrono::milliseconds(0);
            if (peer_ttl_.count() > 0 && (tick.count() == 0 || peer_ttl_ < tick)) tick = peer_ttl_;
            if (tick.count() == 0) {
                co_await wake_.wait(token);
                continue;
            }
            co_await sleep_for(tick, token);
            const auto silent = parked_ ? duration::zero() : zring::detail::clock::now() - last_received_;
            if (timeout.count() > 0 && ivl.count() > 0 && silent > timeout) {
                fail("heartbeat timeout: nothing from the peer for " + std::to_string(timeout.count()) + " ms");
                co_return;
            }
            if (peer_ttl_.count() > 0 && silent > peer_ttl_) {
                fail("the peer's heartbeat TTL of " + std::to_string(peer_ttl_.count()) + " ms passed in silence");
                co_return;
            }
            if (ivl.count() > 0) {
                const std::byte ping[2] = {static_cast<std::byte>(ttl_deciseconds >> 8),
                                           static_cast<std::byte>(ttl_deciseconds & 0xff)};
                queue_command("PING", bytes(ping, 2));
            }
        }
    } catch (const operation_cancelled&) {
    } catch (const std::exception& error) {
        fail(error.what());  // out of memory for a PING
        co_return;
    }
    if (abort_.stop_requested()) co_return;
    // Closing: the writer has the linger to flush what is queued.
    const int linger = e_.opts.linger_ms;
    if (linger != 0) {
        try {
            co_await sleep_for(linger_bound().value_or(duration(24h * 365)), written_.get_token());
        } catch (const operation_cancelled&) {
        }
    }
    abort_.request_stop();
}

// Closing, everything queued is written, but the kernel may not have sent
// it yet, and closing a TCP socket with unread input (the reader stopped at
// close) resets the connection, which throws away what is unsent. So with
// input unread, the close waits until the peer has acknowledged every byte,
// within what is left of the linger, or until the connection is down. The
// input is not read meanwhile: a peer still sending to a closed socket
// learns of it from the reset, at once, and keeps what it had not sent for
// another peer or a reconnect. Without unread input, close(2) sends a FIN
// and the kernel delivers the rest by itself; Unix sockets hand data over
// as it is written.
task<void> connection::finish_writing() {
    const int fd = stream_.native_handle();
    int unread = 0;
    if (stream_.peer_endpoint().family() == AF_UNIX || ::ioctl(fd, SIOCINQ, &unread) != 0 || unread == 0) co_return;
    try {
        // No readiness tells of the last acknowledgement: look, at first
        // often (a round trip), then less often for a peer that is slow.
        duration pause = 100us;
        for (;;) {
            // After a reset the count stays as it was: the state tells.
            ::tcp_info info{};
            ::socklen_t size = sizeof info;
            int unacknowledged = 0;
            if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) != 0 ||
                (info.tcpi_state != TCP_ESTABLISHED && info.tcpi_state != TCP_CLOSE_WAIT) ||
                ::ioctl(fd, SIOCOUTQ, &unacknowledged) != 0 || unacknowledged == 0)
                break;
            if (const std::optional<duration> left = e_.linger_left()) {
                if (*left <= duration::zero()) break;
                pause = std::min(pause, *left);
            }
            co_await sleep_for(pause);
            pause = std::min<duration>(pause * 2, 50ms);
        }
    } catch (const std::exception&) {
        // No timer to be had (the scheduler is stopping): closed as it is.
    }
}

task<bool> connection::run(bool as_server) {
    last_received_ = zring::detail::clock::now();
    if (pipe_) pipe_->connected = true;
    bool handshaken = false;
    try {
        co_await handshake(as_server);
        handshaken = true;
    } catch (const operation_cancelled&) {
        reason_ = "closed by this side during the handshake";
    } catch (const timed_out&) {
        reason_ = "handshake timed out after " + std::to_string(e_.opts.handshake_ivl_ms) + " ms";
    } catch (const std::exception& error) {
        reason_ = error.what();
    }
    handshaking_ = false;
    if (handshaken && e_.closing()) reading_.request_stop();  // a lingering connect: flush, then end
    if (handshaken) {
        e_.report(event_kind::connected, endpoint_, {});
        co_await when_all(read_loop(), write_loop(), watch());
    }
    // The pipe goes first: the socket's next message, or its next peer on a
    // PAIR, must not wait for the stream's last acknowledgement.
    if (pipe_) e_.detach(*std::exchange(pipe_, nullptr));
    if (wrote_everything_ && e_.closing() && e_.opts.linger_ms != 0) co_await finish_writing();
    stream_.close();
    e_.report(handshaken ? event_kind::disconnected : event_kind::handshake_failed, endpoint_, reason_);
    co_return handshaken;
}

}  // namespace

task<bool> serve_connection(std::shared_ptr<engine> e, byte_stream stream, pipe* p, std::string endpoint,
                            bool as_server, std::stop_token origin_stop) {
    struct counted {
        engine& e;
        explicit counted(engine& x) : e(x) { ++e.live_connections; }
        ~counted() { --e.live_connections; }
    } live(*e);
    connection c(*e, stream, p, std::move(endpoint), std::move(origin_stop));
    co_return co_await c.run(as_server);
}

}  // namespace zring::zmtp::detail
