// WebSocket connections, with a raw client that frames by hand.
#include "server_fixture.hpp"
#include "ws_client.hpp"
#include "wait_until.hpp"

#include <zring/coro/event.hpp>
#include <zring/http/errors.hpp>
#include <zring/io/timer.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace std::chrono_literals;
using zring::http::request;
using zring::http::websocket;
using zring_test::http_fixture;
using zring_test::raw_response;
using zring_test::read_response;
using zring_test::ws_encode;
using zring_test::ws_frame;
using zring_test::ws_read;

namespace {

zring::task<void> echo(request&, websocket& ws) {
    for (;;) {
        std::optional<websocket::message> m = co_await ws.recv();
        if (!m) break;
        if (m->binary) {
            co_await ws.send_binary(std::as_bytes(std::span(m->data.data(), m->data.size())));
        } else {
            co_await ws.send(m->data);
        }
    }
}

// Connects and completes the handshake to path.
zring::task<zring::tcp_stream> open_ws(http_fixture& f, std::string_view path = "/ws") {
    zring::tcp_stream c = co_await f.connect();
    co_await c.write(zring_test::ws_handshake(path));
    const raw_response r = co_await read_response(c, false);
    if (r.status != 101) throw std::runtime_error("handshake refused: " + std::to_string(r.status));
    co_return c;
}

}  // namespace

TEST_CASE("a WebSocket handshake is accepted with RFC 6455's accept key", "[http][websocket]") {
    http_fixture f;
    f.app.route_websocket("/ws", echo);
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write(zring_test::ws_handshake("/ws"));
        const raw_response r = co_await read_response(c, false);
        CHECK(r.status == 101);
        CHECK(r.headers.get("Sec-WebSocket-Accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");  // RFC 6455 1.3
        CHECK(r.headers.has_token("Upgrade", "websocket"));
        CHECK(r.headers.has_token("Connection", "upgrade"));
    };
    f.run(client);
}

TEST_CASE("a request that is not a valid handshake is refused with 400, 426 or 403", "[http][websocket]") {
    http_fixture f;
    f.app.route_websocket("/ws", echo);
    zring::http::websocket_options open_to_all;
    open_to_all.check_origin = [](std::string_view origin, const request&) { return origin == "https://friend"; };
    f.app.route_websocket("/friends", echo, open_to_all);
    struct bad_case {
        std::string bytes;
        int status;
    };
    const std::string key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    const bad_case cases[] = {
        {"GET /ws HTTP/1.1\r\nHost: t\r\n\r\n", 400},
        {"GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\n" +
             key + "\r\n",
         426},
        {"GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
         "Sec-WebSocket-Key: short\r\n\r\n",
         400},
        {zring_test::ws_handshake("/ws", "Origin: https://elsewhere\r\n"), 403},
        {zring_test::ws_handshake("/friends", "Origin: https://stranger\r\n"), 403},
    };
    auto client = [&]() -> zring::task<void> {
        for (const bad_case& bad : cases) {
            INFO(bad.bytes);
            zring::tcp_stream c = co_await f.connect();
            co_await c.write(bad.bytes);
            const raw_response r = co_await read_response(c);
            CHECK(r.status == bad.status);
            if (r.status == 426) CHECK(r.headers.get("Sec-WebSocket-Version") == "13");
        }
        // The same origin, and an origin the hook accepts, are served.
        for (auto [path, origin] : {std::pair{"/ws", "http://t"}, std::pair{"/friends", "https://friend"}}) {
            zring::tcp_stream c = co_await f.connect();
            co_await c.write(zring_test::ws_handshake(path, "Origin: " + std::string(origin) + "\r\n"));
            const raw_response r = co_await read_response(c, false);
            CHECK(r.status == 101);
        }
    };
    f.run(client);
}

TEST_CASE("text and binary messages echo, a fragmented one arrives whole, and a ping gets its pong",
          "[http][websocket]") {
    http_fixture f;
    f.app.route_websocket("/ws", echo);
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await open_ws(f);
        const std::string big(200000, 'b');
        co_await c.write(ws_encode(1, "h\xc3\xa9llo") + ws_encode(2, std::string("\0\x01\xff", 3)) +
                         ws_encode(1, "frag", false) + ws_encode(9, "mid-ping") + ws_encode(0, "men", false) +
                         ws_encode(0, "ted") + ws_encode(2, big));
        // The pong may come before the echoes: it is answered as it arrives.
        std::vector<ws_frame> data;
        std::vector<std::string> pongs;
        while (data.size() < 4) {
            ws_frame frame = co_await ws_read(c);
            if (frame.opcode == 10) {
                pongs.push_back(frame.payload);
            } else {
                data.push_back(std::move(frame));
            }
        }
        CHECK(pongs == std::vector<std::string>{"mid-ping"});
        CHECK(data[0].opcode == 1);
        CHECK(data[0].payload == "h\xc3\xa9llo");
        CHECK(data[1].opcode == 2);
        CHECK(data[1].payload == std::string("\0\x01\xff", 3));
        CHECK(data[2].opcode == 1);
        CHECK(data[2].payload == "fragmented");
        CHECK(data[3].opcode == 2);
        CHECK(data[3].payload == big);
    };
    f.run(client);
}

TEST_CASE("a client's close reaches the handler with its code and reason, and is answered", "[http][websocket]") {
    http_fixture f;
    std::optional<std::uint16_t> code;
    std::string reason;
    zring::event ended;
    f.app.route_websocket("/ws", [&](request&, websocket& ws) -> zring::task<void> {
        std::optional<websocket::message> m = co_await ws.recv();
        CHECK_FALSE(m);
        code = ws.close_code();
        reason = ws.close_reason();
        ended.set();
    });
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await open_ws(f);
        co_await c.write(zring_test::ws_close(4001, "bye now"));
        const ws_frame reply = co_await ws_read(c);
        CHECK(reply.opcode == 8);
        CHECK(reply.close_code() == 4001);
        co_await ended.wait();
        CHECK(code == 4001);
        CHECK(reason == "bye now");
        const bool closed = co_await zring_test::closed_by_peer(c);
        CHECK(closed);
    };
    f.run(client);
}

TEST_CASE("a handler that returns closes with 1000, one that throws with 1011", "[http][websocket]") {
    http_fixture f;
    f.app.route_websocket("/done", [](request&, websocket& ws) -> zring::task<void> { co_await ws.send("last"); });
    f.app.route_websocket("/fail", [](request&, websocket&) -> zring::task<void> {
        throw std::runtime_error("handler bug");
        co_return;
    });
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream done = co_await open_ws(f, "/done");
        const ws_frame last = co_await ws_read(done);
        CHECK(last.payload == "last");
        const ws_frame closing = co_await ws_read(done);
        CHECK(closing.opcode == 8);
        CHECK(closing.close_code() == 1000);
        co_await done.write(zring_test::ws_close(1000));
        const bool closed = co_await zring_test::closed_by_peer(done);
        CHECK(closed);

        zring::tcp_stream failed = co_await open_ws(f, "/fail");
        const ws_frame error = co_await ws_read(failed);
        CHECK(error.opcode == 8);
        CHECK(error.close_code() == 1011);
    };
    f.run(client);
    REQUIRE(f.logged.size() == 1);
    CHECK_THAT(f.logged[0], Catch::Contains("handler bug"));
}

TEST_CASE("a message over max_message_size closes with 1009, bad frames with 1002, bad text with 1007",
          "[http][websocket]") {
    http_fixture f;
    zring::http::websocket_options small;
    small.max_message_size = 1000;
    f.app.route_websocket("/ws", echo, small);
    struct bad_case {
        std::string frames;
        std::uint16_t code;
    };
    const bad_case cases[] = {
        {ws_encode(2, std::string(1001, 'x')), 1009},
        {ws_encode(1, std::string(600, 'x'), false) + ws_encode(0, std::string(600, 'x')), 1009},
        {ws_encode(1, "unmasked", true, false), 1002},
        {ws_encode(0, "a continuation with nothing to continue"), 1002},
        // A control frame over 125 bytes fails in wslay's frame layer, whose
        // close frame carries no code.
        {ws_encode(9, std::string(126, 'p')), 0},
        {ws_encode(1, "bad \xc3\x28 utf-8"), 1007},
    };
    auto client = [&]() -> zring::task<void> {
        for (const bad_case& bad : cases) {
            INFO("code " << bad.code << ", frames " << bad.frames.substr(0, 12));
            zring::tcp_stream c = co_await open_ws(f);
            co_await c.write(bad.frames);
            const ws_frame closing = co_await ws_read(c);
            CHECK(closing.opcode == 8);
            CHECK(closing.close_code() == bad.code);
            const bool closed = co_await zring_test::closed_by_peer(c);
            CHECK(closed);
        }
    };
    f.run(client);
}

TEST_CASE("a peer that answers no ping is dropped after the ping interval and timeout", "[http][websocket]") {
    http_fixture f;
    zring::http::websocket_options quick;
    quick.ping_interval = 100ms;
    quick.ping_timeout = 100ms;
    bool saw_end = false;
    f.app.route_websocket("/ws", [&](request&, websocket& ws) -> zring::task<void> {
        std::optional<websocket::message> m = co_await ws.recv();
        saw_end = !m && ws.close_code() == 1006;
    }, quick);
    auto client = [&]() -> zring::task<void> {
        const auto from = std::chrono::steady_clock::now();  // before the server starts listening for pongs
        zring::tcp_stream c = co_await open_ws(f);
        const ws_frame ping = co_await ws_read(c);  // read, never answered
        CHECK(ping.opcode == 9);
        const bool closed = co_await zring_test::closed_by_peer(c);
        CHECK(closed);
        CHECK(std::chrono::steady_clock::now() - from >= 200ms);
        CHECK(saw_end);
    };
    f.run(client);
}

TEST_CASE("a peer that answers pings is kept", "[http][websocket]") {
    http_fixture f;
    zring::http::websocket_options quick;
    quick.ping_interval = 100ms;
    quick.ping_timeout = 500ms;  // room for a loaded machine to read and answer
    f.app.route_websocket("/ws", echo, quick);
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await open_ws(f);
        for (int i = 0; i < 8; ++i) {  // 8 pings: past interval + timeout
            const ws_frame ping = co_await ws_read(c);
            CHECK(ping.opcode == 9);
            co_await c.write(ws_encode(10, ping.payload));
        }
        co_await c.write(ws_encode(1, "still here"));
        ws_frame reply = co_await ws_read(c);
        while (reply.opcode == 9) reply = co_await ws_read(c);
        CHECK(reply.payload == "still here");
    };
    f.run(client);
}

TEST_CASE("a client that never reads blocks the handler's sends, and the write timeout ends it",
          "[http][websocket]") {
    zring::http::server_options o;
    o.write_timeout = 300ms;
    http_fixture f(o);
    std::size_t sent = 0;
    std::string failure;
    zring::event ended;
    f.app.route_websocket("/ws", [&](request&, websocket& ws) -> zring::task<void> {
        const std::string chunk(64 * 1024, 'z');
        try {
            for (;;) {
                co_await ws.send(chunk);
                sent += chunk.size();
            }
        } catch (const std::exception& e) {
            failure = e.what();
        }
        ended.set();
    });
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await open_ws(f);
        co_await ended.wait();
        CHECK_THAT(failure, Catch::Contains("timed out"));
        // What went out is what the kernels' buffers hold, not an unbounded queue.
        CHECK(sent < 64u * 1024 * 1024);
        CHECK(sent > 0);
    };
    f.run(client);
}

TEST_CASE("a handler that does not read while its client sends keeps the client past the ping timeout",
          "[http][websocket]") {
    http_fixture f;
    zring::http::websocket_options quick;
    quick.ping_interval = 50ms;
    quick.ping_timeout = 100ms;
    quick.queued_messages = 1;
    zring::event release;
    std::vector<std::string> got;
    f.app.route_websocket("/ws", [&](request&, websocket& ws) -> zring::task<void> {
        co_await release.wait();  // busy elsewhere: the inbox fills and the reader waits
        for (int i = 0; i < 10; ++i) {
            std::optional<websocket::message> m = co_await ws.recv();
            if (!m) break;
            got.push_back(m->data);
        }
    }, quick);
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await open_ws(f);
        std::string frames;
        for (int i = 0; i < 10; ++i) frames += ws_encode(1, "m" + std::to_string(i));
        co_await c.write(frames);
        co_await zring::sleep_for(400ms);  // well past interval + timeout, with the reader stalled
        release.set();
        co_await zring_test::until("the handler reads all ten", [&] { return got.size() == 10; });
        CHECK(got.front() == "m0");
        CHECK(got.back() == "m9");
    };
    f.run(client);
}

TEST_CASE("messages wait within the inbox's byte bound and all arrive in order", "[http][websocket]") {
    http_fixture f;
    zring::http::websocket_options small;
    small.max_message_size = 100;  // two 60-byte messages do not fit together
    zring::event release;
    std::vector<std::string> got;
    f.app.route_websocket("/ws", [&](request&, websocket& ws) -> zring::task<void> {
        co_await release.wait();
        for (int i = 0; i < 10; ++i) {
            std::optional<websocket::message> m = co_await ws.recv();
            if (!m) break;
            got.push_back(m->data);
        }
    }, small);
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await open_ws(f);
        std::string frames;
        for (int i = 0; i < 10; ++i) frames += ws_encode(1, std::to_string(i) + std::string(59, 'x'));
        co_await c.write(frames);
        release.set();
        co_await zring_test::until("the handler reads all ten", [&] { return got.size() == 10; });
        for (int i = 0; i < 10; ++i) CHECK(got[static_cast<std::size_t>(i)].front() == static_cast<char>('0' + i));
    };
    f.run(client);
}
