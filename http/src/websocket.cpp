// A WebSocket connection: wslay frames the bytes; the ring moves them.
#include "websocket_handshake.hpp"

#include <zring/coro/errors.hpp>
#include <zring/coro/event.hpp>
#include <zring/coro/when_any.hpp>
#include <zring/http/errors.hpp>
#include <zring/http/websocket.hpp>
#include <zring/io/errors.hpp>
#include <zring/io/tcp.hpp>
#include <zring/io/timer.hpp>

#include <wslay/wslay.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>
#include <system_error>

namespace zring::http {

using clock = std::chrono::steady_clock;

namespace {
constexpr std::size_t read_size = 16 * 1024;
// wslay builds frames into this much before the loop writes them: one
// write for many small frames, and a bound on what a large one holds.
constexpr std::size_t write_batch = 64 * 1024;
constexpr std::size_t max_control_payload = 125;
}  // namespace

struct websocket::impl {
    impl(tcp_stream& s, const websocket_options& o, clock::duration w) : stream(s), options(o), write_timeout(w) {
        static const wslay_event_callbacks callbacks = {on_recv, on_send, nullptr, nullptr, nullptr, nullptr,
                                                        on_message};
        if (wslay_event_context_server_init(&ctx, &callbacks, this) != 0) throw std::bad_alloc();
        wslay_event_config_set_max_recv_msg_length(ctx, options.max_message_size);
        in.resize(read_size);
    }
    ~impl() { wslay_event_context_free(ctx); }

    tcp_stream& stream;
    websocket_options options;
    clock::duration write_timeout;
    wslay_event_context_ptr ctx = nullptr;
    std::vector<char> in;  // bytes [in_head, in_tail) are read and not yet framed
    std::size_t in_head = 0, in_tail = 0;
    std::string out;                // frames built and not yet written
    std::vector<message> arrived;   // messages of the last wslay_event_recv
    clock::time_point last_heard = clock::now();
    bool waiting_for_handler = false;  // the reader waits for room in the inbox
    std::size_t queued_bytes = 0;      // in the inbox
    event room;                        // set when recv() takes a message
    std::optional<std::uint16_t> close_code;
    std::string close_reason;
    bool ended = false;

    static impl& of(void* user) noexcept { return *static_cast<impl*>(user); }

    static ssize_t on_recv(wslay_event_context_ptr ctx, std::uint8_t* buf, std::size_t len, int, void* user) {
        impl& s = of(user);
        const std::size_t n = std::min(len, s.in_tail - s.in_head);
        if (n == 0) {
            wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
            return -1;
        }
        std::memcpy(buf, s.in.data() + s.in_head, n);
        s.in_head += n;
        return static_cast<ssize_t>(n);
    }

    static ssize_t on_send(wslay_event_context_ptr ctx, const std::uint8_t* data, std::size_t len, int, void* user) {
        impl& s = of(user);
        const std::size_t n = std::min(len, write_batch - std::min(write_batch, s.out.size()));
        if (n == 0) {
            wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
            return -1;
        }
        try {
            s.out.append(reinterpret_cast<const char*>(data), n);
        } catch (const std::bad_alloc&) {
            wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
            return -1;
        }
        return static_cast<ssize_t>(n);
    }

    static void on_message(wslay_event_context_ptr ctx, const wslay_event_on_msg_recv_arg* arg, void* user) {
        impl& s = of(user);
        const std::string_view payload(reinterpret_cast<const char*>(arg->msg), arg->msg_length);
        try {
            switch (arg->opcode) {
            case WSLAY_TEXT_FRAME:
                if (!detail::is_utf8(payload)) {
                    s.fail(1007, "a text message that is not UTF-8");
                    return;
                }
                s.arrived.push_back(message{false, std::string(payload)});
                break;
            case WSLAY_BINARY_FRAME:
                s.arrived.push_back(message{true, std::string(payload)});
                break;
            case WSLAY_CONNECTION_CLOSE:
                s.close_code = arg->status_code ? arg->status_code : 1005;
                if (payload.size() > 2) s.close_reason = payload.substr(2);
                break;
            default:  // ping (wslay answers it), pong
                break;
            }
        } catch (const std::bad_alloc&) {
            s.fail(1011, "out of memory");
        }
        (void)ctx;
    }

    // Closes with code and reads no more.
    void fail(std::uint16_t code, std::string_view why) noexcept {
        wslay_event_queue_close(ctx, code, reinterpret_cast<const std::uint8_t*>(why.data()), why.size());
        wslay_event_shutdown_read(ctx);
    }

    std::string named(const char* operation) const {
        return "zring::http::websocket(" + stream.name() + ")::" + operation;
    }
};

websocket::websocket(tcp_stream& stream, const websocket_options& options, std::string_view already_read,
                     clock::duration write_timeout)
    : impl_(std::make_unique<impl>(stream, options, write_timeout)), inbox_(options.queued_messages) {
    impl& s = *impl_;
    if (already_read.size() > s.in.size()) s.in.resize(already_read.size());
    std::memcpy(s.in.data(), already_read.data(), already_read.size());
    s.in_tail = already_read.size();
}

websocket::~websocket() = default;

std::optional<std::uint16_t> websocket::close_code() const noexcept { return impl_->close_code; }
const std::string& websocket::close_reason() const noexcept { return impl_->close_reason; }
bool websocket::is_open() const noexcept {
    return !impl_->ended && !wslay_event_get_close_sent(impl_->ctx) && !wslay_event_get_close_received(impl_->ctx);
}

task<std::optional<websocket::message>> websocket::recv() {
    std::optional<message> m = co_await inbox_.recv();
    if (m) {
        impl_->queued_bytes -= m->data.size();
        impl_->room.set();
    }
    co_return m;
}

task<void> websocket::send(std::string_view text) {
    if (!detail::is_utf8(text)) throw std::invalid_argument(impl_->named("send") + ": the text is not UTF-8");
    co_await queue(WSLAY_TEXT_FRAME, std::as_bytes(std::span(text.data(), text.size())));
}

task<void> websocket::send_binary(std::span<const std::byte> data) { co_await queue(WSLAY_BINARY_FRAME, data); }

task<void> websocket::ping(std::string_view payload) {
    if (payload.size() > max_control_payload)
        throw std::invalid_argument(impl_->named("ping") + ": a ping carries at most 125 bytes");
    co_await queue(WSLAY_PING, std::as_bytes(std::span(payload.data(), payload.size())));
}

task<void> websocket::close(std::uint16_t code, std::string_view reason) {
    impl& s = *impl_;
    if (reason.size() > max_control_payload - 2)
        throw std::invalid_argument(s.named("close") + ": a close reason has at most 123 bytes");
    if (wslay_event_get_close_sent(s.ctx) || s.ended) co_return;
    const int rc = wslay_event_queue_close(s.ctx, code, reinterpret_cast<const std::uint8_t*>(reason.data()),
                                           reason.size());
    if (rc == WSLAY_ERR_INVALID_ARGUMENT)
        throw std::invalid_argument(s.named("close") + ": code " + std::to_string(code) + " may not be sent");
    co_await flush();
}

task<void> websocket::queue(std::uint8_t opcode, std::span<const std::byte> payload) {
    impl& s = *impl_;
    if (s.ended || !wslay_event_get_write_enabled(s.ctx))
        throw client_disconnected(s.named("send") + ": the connection is closed");
    const wslay_event_msg message{opcode, reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()};
    switch (wslay_event_queue_msg(s.ctx, &message)) {
    case 0:
        break;
    case WSLAY_ERR_NO_MORE_MSG:
        throw client_disconnected(s.named("send") + ": the connection is closing");
    case WSLAY_ERR_NOMEM:
        throw std::bad_alloc();
    default:
        throw std::invalid_argument(s.named("send") + ": wslay refused the message");
    }
    co_await flush();
}

task<void> websocket::flush() {
    impl& s = *impl_;
    auto lock = co_await writing_.scoped_lock();
    while (wslay_event_want_write(s.ctx)) {
        if (wslay_event_send(s.ctx) != 0) throw client_disconnected(s.named("send") + ": framing failed");
        if (s.out.empty()) break;
        // A write that fails, times out or is cancelled may have sent part
        // of a frame: nothing can follow it on this connection.
        std::exception_ptr failed;
        try {
            co_await s.stream.write(s.out, s.write_timeout);
        } catch (...) {
            failed = std::current_exception();
        }
        s.out.clear();
        if (failed) {
            wslay_event_shutdown_write(s.ctx);
            try {
                std::rethrow_exception(failed);
            } catch (const operation_cancelled&) {
                throw;
            } catch (const std::exception& e) {
                throw client_disconnected(s.named("send") + ": " + e.what());
            }
        }
    }
}

task<void> websocket::read_frames() {
    impl& s = *impl_;
    for (;;) {
        if (s.in_head == s.in_tail) {
            if (!wslay_event_want_read(s.ctx)) break;
            std::size_t n = 0;
            try {
                n = co_await s.stream.read_some(std::as_writable_bytes(std::span(s.in)));
            } catch (const std::system_error&) {
            } catch (const stream_closed&) {
            }
            if (n == 0) break;  // gone without a close frame
            s.in_head = 0;
            s.in_tail = n;
            s.last_heard = clock::now();
        }
        const int rc = wslay_event_recv(s.ctx);
        if (rc != 0 && !wslay_event_get_close_sent(s.ctx)) s.fail(1002, "protocol error");
        s.waiting_for_handler = true;  // a full inbox is the handler's pace, not a silent peer
        for (message& m : s.arrived) {
            // The inbox holds at most max_message_size bytes (and one message, whatever its size).
            while (s.queued_bytes > 0 && s.queued_bytes + m.data.size() > s.options.max_message_size) {
                s.room.reset();
                co_await s.room.wait();
            }
            s.queued_bytes += m.data.size();
            co_await inbox_.send(std::move(m));
        }
        s.waiting_for_handler = false;
        s.arrived.clear();
        try {
            co_await flush();  // pongs, the close reply or ours
        } catch (const client_disconnected&) {
            break;
        }
        if (rc != 0 || !wslay_event_want_read(s.ctx)) break;
    }
}

task<void> websocket::keep_alive() {
    impl& s = *impl_;
    if (s.options.ping_interval <= clock::duration::zero()) {
        event never;
        co_await never.wait();
    }
    bool pinged = false;
    for (;;) {
        const clock::time_point quiet_since = s.last_heard;
        clock::time_point wake = quiet_since + s.options.ping_interval;
        if (pinged) wake += s.options.ping_timeout;
        co_await sleep_until(wake);
        if (s.waiting_for_handler) s.last_heard = clock::now();  // not reading: nothing to hear
        if (s.last_heard != quiet_since) {
            pinged = false;
            continue;
        }
        if (pinged) co_return;  // no answer: the peer is dead
        co_await ping();
        pinged = true;
    }
}

task<void> websocket::run() {
    try {
        co_await when_any(read_frames(), keep_alive());
    } catch (const client_disconnected&) {
    }
    impl& s = *impl_;
    s.ended = true;
    if (!s.close_code) s.close_code = 1006;
    inbox_.close();
}

task<void> websocket::finish() {
    impl& s = *impl_;
    if (s.ended) co_return;
    try {
        co_await close(1000);
        co_await when_any(read_frames(), sleep_for(s.options.close_timeout));
    } catch (const client_disconnected&) {
    }
    s.ended = true;
    inbox_.close();
}

}  // namespace zring::http
