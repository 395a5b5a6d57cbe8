// An HTTP server for the interop tests, whose clients zring did not write
// (curl, Python's http.client and websockets, a browser). Prints
// "listening on http://127.0.0.1:PORT/" and serves until SIGTERM/SIGINT.
//   GET  /hello            "hello\n"
//   POST /echo             the body back
//   PUT  /upload           a body of up to 64 MiB, read as it arrives (past
//                          --max-body): "SIZE SHA1-HEX\n"
//   GET  /items/{id}       the id, decoded
//   GET  /stream?n=N       N chunks "chunk i\n"
//   GET  /events?n=N       N events, then the stream ends
//   GET  /ws               WebSocket echo, text as text and binary as binary;
//                          the text "close CODE REASON" makes the server close so
//   GET  /flood            WebSocket that sends 64 KiB messages until the client stops reading
//   GET  /stats            "flood_ended N" (flood handlers ended by the write timeout,
//                          which a WebSocket handler sees as client_disconnected)
// Options: --max-body BYTES, --write-timeout-ms MS.
#include <zring/zring.hpp>

#include <nettle/sha1.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

using namespace std::chrono_literals;
namespace http = zring::http;

namespace {

int flood_ended = 0;

zring::task<void> serve(http::server& app, zring::tcp_listener& listener) {
    co_await zring::with_task_group([&](zring::task_group& group) -> zring::task<void> {
        group.spawn(app.serve(listener));
        co_await zring::signal(SIGINT, SIGTERM);
        co_await app.shutdown(5s);
    });
}

}  // namespace

int main(int argc, char** argv) {
    http::server_options options;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--max-body") == 0) {
            options.max_body_size = std::strtoull(argv[i + 1], nullptr, 10);
        } else if (std::strcmp(argv[i], "--write-timeout-ms") == 0) {
            options.write_timeout = std::chrono::milliseconds(std::atoi(argv[i + 1]));
        } else {
            std::cerr << "unknown option " << argv[i] << std::endl;
            return 2;
        }
    }
    zring::block_signals(SIGINT, SIGTERM);
    zring::scheduler s;
    http::server app(s, options);
    app.route("GET", "/hello", [](http::request&) -> zring::task<http::response> {
        co_return http::response(200, "hello\n");
    });
    app.route("POST", "/echo", [](http::request& r) -> zring::task<http::response> {
        co_return http::response(200, r.body(), "application/octet-stream");
    });
    app.route(
        "PUT", "/upload",
        [](http::request& r) -> zring::task<http::response> {
            sha1_ctx hash;
            sha1_init(&hash);
            std::size_t size = 0;
            for (;;) {
                const std::string_view piece = co_await r.read_body();
                if (piece.empty()) break;
                sha1_update(&hash, piece.size(), reinterpret_cast<const std::uint8_t*>(piece.data()));
                size += piece.size();
            }
            std::uint8_t digest[SHA1_DIGEST_SIZE];
            sha1_digest(&hash, sizeof digest, digest);
            std::string text = std::to_string(size) + " ";
            for (const std::uint8_t byte : digest) {
                text += "0123456789abcdef"[byte >> 4];
                text += "0123456789abcdef"[byte & 15];
            }
            co_return http::response(200, text + "\n");
        },
        {.max_body_size = 64 << 20, .stream_body = true});
    app.route("GET", "/items/{id}", [](http::request& r) -> zring::task<http::response> {
        co_return http::response(200, r.param("id"));
    });
    app.route_stream("GET", "/stream", [](http::request& r, http::response_stream& out) -> zring::task<void> {
        const int n = std::atoi(std::string(r.query("n").value_or("3")).c_str());
        for (int i = 0; i < n; ++i) co_await out.write("chunk " + std::to_string(i) + "\n");
    });
    app.route_events("/events", [](http::request& r, http::event_stream& sse) -> zring::task<void> {
        const int n = std::atoi(std::string(r.query("n").value_or("3")).c_str());
        for (int i = 0; i < n; ++i) co_await sse.send("event " + std::to_string(i), "tick", std::to_string(i));
    });
    app.route_websocket("/ws", [](http::request&, http::websocket& ws) -> zring::task<void> {
        for (;;) {
            std::optional<http::websocket::message> m = co_await ws.recv();
            if (!m) co_return;
            if (m->binary) {
                co_await ws.send_binary(std::as_bytes(std::span(m->data.data(), m->data.size())));
            } else if (m->data.starts_with("close ")) {
                const std::string rest = m->data.substr(6);
                const std::size_t space = rest.find(' ');
                const auto code = static_cast<std::uint16_t>(std::stoi(rest.substr(0, space)));
                const std::string reason = space == std::string::npos ? "" : rest.substr(space + 1);
                co_await ws.close(code, reason);
                co_return;
            } else {
                co_await ws.send(m->data);
            }
        }
    });
    app.route_websocket("/flood", [](http::request&, http::websocket& ws) -> zring::task<void> {
        const std::string chunk(64 * 1024, 'f');
        try {
            for (;;) co_await ws.send(chunk);
        } catch (const http::client_disconnected&) {  // the write timeout ended it
            ++flood_ended;
        }
    });
    app.route("GET", "/stats", [](http::request&) -> zring::task<http::response> {
        co_return http::response(200, "flood_ended " + std::to_string(flood_ended) + "\n");
    });
    auto listener = zring::tcp_listener::listen(s, "127.0.0.1:0");
    std::cout << "listening on http://" << listener.local_endpoint().to_string() << "/" << std::endl;
    s.run(serve(app, listener));
    return 0;
}
