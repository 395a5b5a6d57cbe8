#pragma once
// websocket: one WebSocket connection (RFC 6455) on the server's loop,
// Tornado's WebSocketHandler as awaitables.
//
//     server.route_websocket("/ws", [](http::request&, http::websocket& ws) -> task<void> {
//         while (auto m = co_await ws.recv()) co_await ws.send(m->data);
//     });
//
// Frames are parsed and built by wslay. Fragmented messages arrive whole;
// pings are answered; the server pings a quiet peer every ping_interval and
// drops one that sends nothing for ping_timeout more. A message over
// max_message_size closes the connection with 1009, a protocol error with
// 1002, text that is not UTF-8 with 1007.
//
// send() completes once the kernel holds the frame: a client that stops
// reading stops the handler (up to the server's write_timeout, which then
// ends the connection), never grows the server's memory. Received messages
// wait in a queue of at most queued_messages and max_message_size bytes;
// past it the server stops reading from the client.
//
// When the connection ends (the peer closes or goes away, a ping goes
// unanswered), recv() returns std::nullopt and the handler's other awaits
// are cancelled (operation_cancelled). When the handler returns, the server
// closes with 1000 unless the handler closed already.

#include <zring/coro/channel.hpp>
#include <zring/coro/mutex.hpp>
#include <zring/coro/task.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace zring {
class tcp_stream;
}

namespace zring::http {

class request;

struct websocket_options {
    std::size_t max_message_size = 10 * 1024 * 1024;  // Tornado's
    std::size_t queued_messages = 64;
    std::chrono::steady_clock::duration ping_interval = std::chrono::seconds(30);  // zero: no pings
    std::chrono::steady_clock::duration ping_timeout = std::chrono::seconds(30);
    std::chrono::steady_clock::duration close_timeout = std::chrono::seconds(5);  // for the peer's close reply
    // Whether to accept a handshake from this Origin (the header's value, empty
    // if none). By default, as Tornado: no Origin, or one whose host is the
    // request's Host. A refusal is answered 403.
    std::function<bool(std::string_view origin, const request&)> check_origin;
};

class websocket {
public:
    struct message {
        bool binary = false;
        std::string data;
    };

    ~websocket();
    websocket(const websocket&) = delete;
    websocket& operator=(const websocket&) = delete;

    // The next message; std::nullopt once the connection has ended.
    task<std::optional<message>> recv();
    // A text message (std::invalid_argument if it is not UTF-8) or a binary one.
    task<void> send(std::string_view text);
    task<void> send_binary(std::span<const std::byte> data);
    task<void> ping(std::string_view payload = {});
    // Starts the closing handshake; the server waits close_timeout for the
    // peer's reply after the handler returns. A code of 0 sends none.
    task<void> close(std::uint16_t code = 1000, std::string_view reason = {});

    // The peer's close code (1005: none given, 1006: no close frame) and
    // reason, once it has closed.
    std::optional<std::uint16_t> close_code() const noexcept;
    const std::string& close_reason() const noexcept;
    bool is_open() const noexcept;

private:
    friend class server;
    struct impl;
    websocket(tcp_stream& stream, const websocket_options& options, std::string_view already_read,
              std::chrono::steady_clock::duration write_timeout);
    // Reads frames until the peer closes or goes away, and pings a quiet peer.
    task<void> run();
    // After the handler: close if not yet, and wait for the peer's reply.
    task<void> finish();
    task<void> read_frames();
    task<void> keep_alive();
    task<void> flush();
    task<void> queue(std::uint8_t opcode, std::span<const std::byte> payload);

    std::unique_ptr<impl> impl_;
    channel<message> inbox_;
    mutex writing_;
};

}  // namespace zring::http
