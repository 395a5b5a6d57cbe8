// Streamed responses, Server-Sent Events and graceful shutdown.
#include "server_fixture.hpp"
#include "wait_until.hpp"
#include "ws_client.hpp"

#include <zring/coro/event.hpp>
#include <zring/http/errors.hpp>
#include <zring/io/timer.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace std::chrono_literals;
using zring::http::event_stream;
using zring::http::request;
using zring::http::response;
using zring::http::response_stream;
using zring_test::http_fixture;
using zring_test::raw_response;
using zring_test::read_response;

TEST_CASE("a streamed response arrives chunked, each write a chunk", "[http][server][stream]") {
    http_fixture f;
    f.app.route_stream("GET", "/count", [](request& r, response_stream& out) -> zring::task<void> {
        out.set_status(201);
        out.headers().set("Content-Type", "text/plain");
        const int n = std::stoi(std::string(r.query("n").value_or("3")));
        for (int i = 0; i < n; ++i) co_await out.write(std::to_string(i) + "\n");
    });
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write("GET /count?n=4 HTTP/1.1\r\nHost: t\r\n\r\nGET /count?n=2 HTTP/1.1\r\nHost: t\r\n\r\n");
        const raw_response r = co_await read_response(c);
        CHECK(r.status == 201);
        CHECK(r.headers.get("Transfer-Encoding") == "chunked");
        CHECK(r.body == "0\n1\n2\n3\n");
        const raw_response again = co_await read_response(c);
        CHECK(again.body == "0\n1\n");  // the connection is kept
    };
    f.run(client);
}

TEST_CASE("a streamed response to HTTP/1.0 ends with the connection", "[http][server][stream]") {
    http_fixture f;
    f.app.route_stream("GET", "/count", [](request&, response_stream& out) -> zring::task<void> {
        co_await out.write("a");
        co_await out.write("b");
    });
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write("GET /count HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        const raw_response r = co_await read_response(c);
        CHECK_FALSE(r.headers.contains("Transfer-Encoding"));
        CHECK(r.headers.get("Connection") == "close");
        CHECK(r.body == "ab");
    };
    f.run(client);
}

TEST_CASE("a streaming handler that throws before writing gets a 500", "[http][server][stream]") {
    http_fixture f;
    f.app.route_stream("GET", "/fail", [](request&, response_stream&) -> zring::task<void> {
        throw std::runtime_error("no data");
        co_return;
    });
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write("GET /fail HTTP/1.1\r\nHost: t\r\n\r\n");
        {
            const auto got = co_await read_response(c);
            CHECK(got.status == 500);
        }
    };
    f.run(client);
    REQUIRE(f.logged.size() == 1);
    CHECK_THAT(f.logged[0], Catch::Contains("no data"));
}

namespace {
// The next chunk of a chunked body: each event is one.
zring::task<std::string> next_chunk(zring::tcp_stream& c) {
    const std::string size_line = co_await c.read_until("\r\n", 64, zring_test::io_limit);
    const std::size_t n = std::stoul(size_line, nullptr, 16);
    std::string chunk = co_await c.read_exactly(n + 2, zring_test::io_limit);
    chunk.resize(n);
    co_return chunk;
}
}  // namespace

TEST_CASE("an event stream sends events in SSE format, multi-line data as several fields, queued ones in one write", "[http][server][sse]") {
    http_fixture f;
    f.app.route_events("/events", [](request&, event_stream& sse) -> zring::task<void> {
        co_await sse.send("first");
        co_await sse.send("two\nlines", "update", "7");
        co_await sse.retry(1500ms);
        sse.queue("a");
        sse.queue("b", "batch");
        co_await sse.flush();
        co_await sse.flush();  // nothing queued: nothing written
        bool refused = false;
        try {
            co_await sse.send("x", "bad\nevent");
        } catch (const std::invalid_argument&) {
            refused = true;
        }
        CHECK(refused);
    });
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write("GET /events HTTP/1.1\r\nHost: t\r\n\r\n");
        const raw_response head = co_await read_response(c, false);
        CHECK(head.status == 200);
        CHECK(head.headers.get("Content-Type") == "text/event-stream");
        CHECK(head.headers.get("Cache-Control") == "no-cache");
        {
            const auto got = co_await next_chunk(c);
            CHECK(got == "data: first\n\n");
        }
        {
            const auto got = co_await next_chunk(c);
            CHECK(got == "event: update\nid: 7\ndata: two\ndata: lines\n\n");
        }
        {
            const auto got = co_await next_chunk(c);
            CHECK(got == "retry: 1500\n\n");
        }
        {
            const auto got = co_await next_chunk(c);
            CHECK(got == "data: a\n\nevent: batch\ndata: b\n\n");  // queued together: one write, one chunk
        }
        const std::string last = co_await next_chunk(c);
        CHECK(last.empty());  // the handler returned: the stream ends
        {
            const auto got = co_await zring_test::closed_by_peer(c);
            CHECK(got);
        }
    };
    f.run(client);
}

TEST_CASE("a client that disconnects ends its event stream's handler promptly", "[http][server][sse]") {
    http_fixture f;
    zring::event subscribed, handler_ended;
    bool cancelled = false;
    f.app.route_events("/events", [&](request&, event_stream& sse) -> zring::task<void> {
        co_await sse.send("hello");
        subscribed.set();
        try {
            co_await zring::sleep_for(60s);  // waiting for an update that never comes
        } catch (const zring::operation_cancelled&) {
            cancelled = true;
        }
        handler_ended.set();
    });
    auto client = [&]() -> zring::task<void> {
        {
            zring::tcp_stream c = co_await f.connect();
            co_await c.write("GET /events HTTP/1.1\r\nHost: t\r\n\r\n");
            co_await read_response(c, false);
            {
                const auto got = co_await next_chunk(c);
                CHECK(got == "data: hello\n\n");
            }
            co_await subscribed.wait();
        }  // the client goes away
        co_await zring::when_any(handler_ended.wait(), zring::sleep_for(5s));
        CHECK(handler_ended.is_set());
        CHECK(cancelled);
    };
    f.run(client);
}

TEST_CASE("a quiet event stream sends keepalive comments", "[http][server][sse]") {
    zring::http::server_options o;
    o.event_keepalive = 100ms;
    http_fixture f(o);
    f.app.route_events("/events", [](request&, event_stream&) -> zring::task<void> {
        co_await zring::sleep_for(60s);
    });
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write("GET /events HTTP/1.1\r\nHost: t\r\n\r\n");
        co_await read_response(c, false);
        {
            const auto got = co_await next_chunk(c);
            CHECK(got == ":\n\n");
        }
        {
            const auto got = co_await next_chunk(c);
            CHECK(got == ":\n\n");
        }
    };
    f.run(client);
}

TEST_CASE("shutdown closes idle connections, ends event streams and WebSockets, and lets a request in flight finish",
          "[http][server][shutdown]") {
    http_fixture f;
    zring::event started, release;
    f.app.route("GET", "/slow", [&](request&) -> zring::task<response> {
        started.set();
        co_await release.wait();
        co_return response(200, "finished");
    });
    f.app.route("GET", "/hello", [](request&) -> zring::task<response> { co_return response(200, "hi"); });
    f.app.route_events("/events", [](request&, event_stream& sse) -> zring::task<void> {
        co_await sse.send("one");
        co_await zring::sleep_for(60s);
    });
    bool ws_handler_cancelled = false;
    f.app.route_websocket("/ws", [&](request&, zring::http::websocket& ws) -> zring::task<void> {
        try {
            co_await ws.recv();
        } catch (const zring::operation_cancelled&) {
            ws_handler_cancelled = true;
            throw;
        }
    });
    auto body = [&]() -> zring::task<void> {
        zring::tcp_stream idle = co_await f.connect();
        co_await idle.write("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
        {
            const auto got = co_await read_response(idle);
            CHECK(got.status == 200);
        }
        zring::tcp_stream events = co_await f.connect();
        co_await events.write("GET /events HTTP/1.1\r\nHost: t\r\n\r\n");
        co_await read_response(events, false);
        {
            const auto got = co_await next_chunk(events);
            CHECK(got == "data: one\n\n");
        }
        zring::tcp_stream busy = co_await f.connect();
        co_await busy.write("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
        co_await started.wait();
        zring::tcp_stream ws = co_await f.connect();
        co_await ws.write(zring_test::ws_handshake("/ws"));
        {
            const auto got = co_await read_response(ws, false);
            CHECK(got.status == 101);
        }
        zring::tcp_stream fresh = co_await f.connect();  // connected, no request yet
        co_await zring_test::until("the server has the fresh connection", [&] { return f.app.connections() == 5; });

        auto stop = [&]() -> zring::task<void> { co_await f.app.shutdown(10s); };
        auto check = [&]() -> zring::task<void> {
            {
                const auto got = co_await zring_test::closed_by_peer(idle);
                CHECK(got);
            }
            {
                const auto got = co_await next_chunk(events);
                CHECK(got.empty());  // the body's last chunk: a clean end, not a cut
            }
            {
                const auto got = co_await zring_test::closed_by_peer(events);
                CHECK(got);
            }
            const zring_test::ws_frame going = co_await zring_test::ws_read(ws);
            CHECK(going.opcode == 8);
            CHECK(going.close_code() == 1001);
            CHECK(ws_handler_cancelled);
            co_await ws.write(zring_test::ws_close(1001));
            {
                const auto got = co_await zring_test::closed_by_peer(ws);
                CHECK(got);
            }
            const bool fresh_closed = co_await zring_test::closed_by_peer(fresh);
            CHECK(fresh_closed);
            release.set();  // only now may the slow request finish
            const raw_response r = co_await read_response(busy);
            CHECK(r.body == "finished");
            CHECK(r.headers.get("Connection") == "close");
            {
                const auto got = co_await zring_test::closed_by_peer(busy);
                CHECK(got);
            }
        };
        co_await zring::when_all(stop(), check());
        CHECK(f.app.connections() == 0);
    };
    zring_test::run(f.s, zring::when_all(f.app.serve(f.listener), body()));
    CHECK(f.logged.empty());
}

TEST_CASE("shutdown cancels a request still running at its deadline, and says so", "[http][server][shutdown]") {
    http_fixture f;
    zring::event started;
    bool cancelled = false;
    f.app.route("GET", "/stuck", [&](request&) -> zring::task<response> {
        started.set();
        try {
            co_await zring::sleep_for(60s);
        } catch (const zring::operation_cancelled&) {
            cancelled = true;
            throw;
        }
        co_return response(200);
    });
    auto body = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write("GET /stuck HTTP/1.1\r\nHost: t\r\n\r\n");
        co_await started.wait();
        const auto from = std::chrono::steady_clock::now();
        co_await f.app.shutdown(200ms);
        CHECK(std::chrono::steady_clock::now() - from >= 200ms);
        CHECK(cancelled);
        {
            const auto got = co_await zring_test::closed_by_peer(c);
            CHECK(got);
        }
    };
    zring_test::run(f.s, zring::when_all(f.app.serve(f.listener), body()));
    REQUIRE(f.logged.size() == 1);
    CHECK_THAT(f.logged[0], Catch::Contains("1 connection(s) still busy"));
}

TEST_CASE("cancelling serve() closes every connection", "[http][server][shutdown]") {
    http_fixture f;
    f.app.route("GET", "/hello", [](request&) -> zring::task<response> { co_return response(200, "hi"); });
    std::optional<zring::tcp_stream> kept;
    auto body = [&]() -> zring::task<void> {
        kept.emplace(co_await f.connect());
        co_await kept->write("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
        {
            const auto got = co_await read_response(*kept);
            CHECK(got.status == 200);
        }
        CHECK(f.app.connections() == 1);
    };
    // when_any: the body finishing cancels serve().
    zring_test::run(f.s, zring::when_any(f.app.serve(f.listener), body()));
    CHECK(f.app.connections() == 0);
    auto closed = [&]() -> zring::task<bool> { co_return co_await zring_test::closed_by_peer(*kept); };
    CHECK(zring_test::run(f.s, closed()));
}

TEST_CASE("a streamed 304 or 204 carries no body and no framing, and the connection stays usable",
          "[http][server][stream]") {
    http_fixture f;
    f.app.route_stream("GET", "/status/{code}", [](request& r, response_stream& out) -> zring::task<void> {
        out.set_status(std::stoi(r.param("code")));
        co_return;
    });
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write("GET /status/304 HTTP/1.1\r\nHost: t\r\n\r\nGET /status/204 HTTP/1.1\r\nHost: t\r\n\r\n"
                         "GET /status/200 HTTP/1.1\r\nHost: t\r\n\r\n");
        for (int code : {304, 204}) {
            const raw_response r = co_await read_response(c);
            CHECK(r.status == code);
            CHECK_FALSE(r.headers.contains("Transfer-Encoding"));
            CHECK_FALSE(r.headers.contains("Content-Length"));
        }
        const raw_response ok = co_await read_response(c);  // no stray "0\r\n\r\n" before it
        CHECK(ok.status == 200);
    };
    f.run(client);
}
