// The server over real connections, with a raw client.
#include "server_fixture.hpp"
#include "wait_until.hpp"

#include <zring/http/errors.hpp>
#include <zring/io/timer.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace std::chrono_literals;
using zring::http::request;
using zring::http::response;
using zring_test::http_fixture;
using zring_test::raw_response;
using zring_test::read_response;

namespace {

zring::task<response> hello(request&) { co_return response(200, "hello\n"); }

zring::task<response> echo_body(request& r) { co_return response(200, r.body(), "application/octet-stream"); }

}  // namespace

TEST_CASE("a routed GET is answered with its body, Content-Length and Date", "[http][server]") {
    http_fixture f;
    f.app.route("GET", "/hello", hello);
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
        const raw_response r = co_await read_response(c);
        CHECK(r.status == 200);
        CHECK(r.body == "hello\n");
        CHECK(r.headers.get("content-length") == "6");
        CHECK(r.headers.get("Content-Type") == "text/plain; charset=utf-8");
        CHECK(r.headers.get("Date").value_or("").ends_with(" GMT"));
        CHECK_FALSE(r.headers.contains("Connection"));
    };
    f.run(client);
}

TEST_CASE("path parameters and query arguments reach the handler decoded", "[http][server]") {
    http_fixture f;
    f.app.route("GET", "/items/{id}/parts/{part}", [](request& r) -> zring::task<response> {
        co_return response(200, r.param("id") + "|" + r.param("part") + "|" + std::string(r.query("q").value_or("-")));
    });
    f.app.route("GET", "/files/{path...}", [](request& r) -> zring::task<response> {
        co_return response(200, r.param("path"));
    });
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write("GET /items/a%2Fb/parts/x%20y?q=1+2 HTTP/1.1\r\nHost: t\r\n\r\n"
                         "GET /files/docs/a%20b.txt HTTP/1.1\r\nHost: t\r\n\r\n");
        const raw_response r = co_await read_response(c);
        CHECK(r.body == "a/b|x y|1 2");
        const raw_response rest = co_await read_response(c);
        CHECK(rest.body == "docs/a b.txt");
    };
    f.run(client);
}

TEST_CASE("an unrouted path is 404 and a path routed for other methods is 405 with Allow", "[http][server]") {
    http_fixture f;
    f.app.route("GET", "/thing", hello);
    f.app.route("PUT", "/thing", hello);
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write("GET /nothing HTTP/1.1\r\nHost: t\r\n\r\nDELETE /thing HTTP/1.1\r\nHost: t\r\n\r\n"
                         "GET /thing HTTP/1.1\r\nHost: t\r\n\r\n");
        {
            const auto got = co_await read_response(c);
            CHECK(got.status == 404);
        }
        const raw_response wrong = co_await read_response(c);
        CHECK(wrong.status == 405);
        CHECK(wrong.headers.get("Allow") == "GET, HEAD, PUT");
        const raw_response still = co_await read_response(c);
        CHECK(still.status == 200);  // the connection lives on
    };
    f.run(client);
}

TEST_CASE("a body sent to no route is answered 404 or 405 without being read", "[http][server]") {
    http_fixture f;
    f.app.route("GET", "/thing", hello);
    auto client = [&]() -> zring::task<void> {
        for (const char* head : {"POST /nowhere HTTP/1.1\r\nHost: t\r\nContent-Length: 50000000\r\n\r\n",
                                 "POST /thing HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"}) {
            zring::tcp_stream c = co_await f.connect();
            co_await c.write(std::string_view(head));  // and not a byte of the body
            const raw_response r = co_await read_response(c);
            CHECK((r.status == 404 || r.status == 405));
            CHECK(r.headers.get("Connection") == "close");
        }
    };
    f.run(client);
}

TEST_CASE("pipelined requests are answered in request order on one connection", "[http][server]") {
    http_fixture f;
    // The first handler finishes last: order must still hold.
    f.app.route("GET", "/slow", [](request&) -> zring::task<response> {
        co_await zring::sleep_for(50ms);
        co_return response(200, "slow");
    });
    f.app.route("POST", "/echo", echo_body);
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"
                         "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\none"
                         "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n");
        {
            const auto got = co_await read_response(c);
            CHECK(got.body == "slow");
        }
        {
            const auto got = co_await read_response(c);
            CHECK(got.body == "one");
        }
        {
            const auto got = co_await read_response(c);
            CHECK(got.body == "two");
        }
        // And a fourth later, on the same connection.
        co_await c.write("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
        {
            const auto got = co_await read_response(c);
            CHECK(got.body == "slow");
        }
    };
    f.run(client);
}

TEST_CASE("Connection: close and HTTP/1.0 without keep-alive close after the response", "[http][server]") {
    http_fixture f;
    f.app.route("GET", "/hello", hello);
    auto client = [&]() -> zring::task<void> {
        for (const char* request_text : {"GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                                         "GET /hello HTTP/1.0\r\n\r\n"}) {
            zring::tcp_stream c = co_await f.connect();
            co_await c.write(std::string_view(request_text));
            const raw_response r = co_await read_response(c);
            CHECK(r.body == "hello\n");
            CHECK(r.headers.get("Connection") == "close");
            {
                const auto got = co_await zring_test::closed_by_peer(c);
                CHECK(got);
            }
        }
        // HTTP/1.0 asking for keep-alive keeps it.
        zring::tcp_stream c = co_await f.connect();
        co_await c.write("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /hello HTTP/1.0\r\n\r\n");
        {
            const auto got = co_await read_response(c);
            CHECK(got.body == "hello\n");
        }
        {
            const auto got = co_await read_response(c);
            CHECK(got.body == "hello\n");
        }
    };
    f.run(client);
}

TEST_CASE("HEAD is served by the GET route with its headers and no body", "[http][server]") {
    http_fixture f;
    f.app.route("GET", "/hello", hello);
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
        const raw_response head = co_await read_response(c, false);
        CHECK(head.status == 200);
        CHECK(head.headers.get("Content-Length") == "6");
        // The next bytes are the GET's response, not a body of the HEAD's.
        const raw_response get = co_await read_response(c);
        CHECK(get.body == "hello\n");
    };
    f.run(client);
}

TEST_CASE("Expect: 100-continue gets 100 Continue before the client sends its body", "[http][server]") {
    http_fixture f;
    f.app.route("PUT", "/up", echo_body);
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write("PUT /up HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
        const raw_response go_on = co_await read_response(c);
        CHECK(go_on.status == 100);
        co_await c.write("data");
        const raw_response r = co_await read_response(c);
        CHECK(r.status == 200);
        CHECK(r.body == "data");
    };
    f.run(client);
}

TEST_CASE("a request body of 1 MiB arrives whole, in Content-Length and chunked form", "[http][server]") {
    http_fixture f;
    f.app.route("POST", "/echo", echo_body);
    std::string big(1 << 20, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(big.size()) +
                         "\r\n\r\n");
        co_await c.write(big);
        {
            const auto got = co_await read_response(c);
            CHECK(got.body == big);
        }
        co_await c.write(std::string_view("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"));
        for (std::size_t at = 0; at < big.size(); at += 100000) {
            const std::string_view piece = std::string_view(big).substr(at, 100000);
            char size_line[16];
            std::snprintf(size_line, sizeof size_line, "%zx\r\n", piece.size());
            co_await c.write(std::string(size_line) + std::string(piece) + "\r\n");
        }
        co_await c.write(std::string_view("0\r\n\r\n"));
        {
            const auto got = co_await read_response(c);
            CHECK(got.body == big);
        }
    };
    f.run(client);
}

TEST_CASE("bad requests get 400, 413 or 431 and their connection is closed", "[http][server]") {
    zring::http::server_options o;
    o.max_header_size = 4096;
    o.max_body_size = 1000;
    http_fixture f(o);
    f.app.route("POST", "/echo", echo_body);
    f.app.route("GET", "/echo", echo_body);
    struct bad_case {
        std::string bytes;
        int status;
    };
    const bad_case cases[] = {
        {"NOT HTTP AT ALL\r\n\r\n", 400},
        {"GET /echo HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n", 400},
        {"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        {"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400},
        {"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n", 413},
        {"GET /echo HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(8000, 'x') + "\r\n\r\n", 431},
    };
    auto client = [&]() -> zring::task<void> {
        for (const bad_case& bad : cases) {
            INFO(bad.bytes.substr(0, 60));
            zring::tcp_stream c = co_await f.connect();
            co_await c.write(bad.bytes);
            const raw_response r = co_await read_response(c);
            CHECK(r.status == bad.status);
            CHECK(r.headers.get("Connection") == "close");
            {
                const auto got = co_await zring_test::closed_by_peer(c);
                CHECK(got);
            }
        }
    };
    f.run(client);
}

TEST_CASE("a client that trickles its head is answered 408 at the header timeout", "[http][server]") {
    zring::http::server_options o;
    o.header_timeout = 300ms;
    http_fixture f(o);
    f.app.route("GET", "/hello", hello);
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        const auto started = std::chrono::steady_clock::now();
        // A byte every 50 ms for up to 3 s: each read is quick, the head never completes.
        auto trickle = [&]() -> zring::task<void> {
            try {
                for (char byte : std::string("GET /hello HTTP/1.1\r\nHost: t\r\nX-Slow: ") + std::string(60, 'x')) {
                    co_await c.write(std::string_view(&byte, 1));
                    co_await zring::sleep_for(50ms);
                }
            } catch (const std::system_error&) {
                // the server closed: the trickle has done its part
            }
        };
        auto answer = [&]() -> zring::task<raw_response> {
            raw_response r = co_await read_response(c);
            co_return r;
        };
        auto [unused, r] = co_await zring::when_all(trickle(), answer());
        (void)unused;
        CHECK(r.status == 408);
        CHECK(std::chrono::steady_clock::now() - started < 2s);  // the deadline, not the 3 s trickle
    };
    f.run(client);
}

TEST_CASE("a connection that sends nothing, or only empty lines, is answered 408 at the header timeout",
          "[http][server]") {
    zring::http::server_options o;
    o.header_timeout = 300ms;
    http_fixture f(o);
    f.app.route("GET", "/hello", hello);
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream silent = co_await f.connect();
        zring::tcp_stream blank = co_await f.connect();
        auto feed_blank_lines = [&]() -> zring::task<void> {
            try {
                for (int i = 0; i < 60; ++i) {  // CRLFs before a request are skipped, not a start
                    co_await blank.write(std::string_view("\r\n"));
                    co_await zring::sleep_for(50ms);
                }
            } catch (const std::system_error&) {
            }
        };
        auto answers = [&]() -> zring::task<void> {
            const raw_response first = co_await read_response(silent);
            CHECK(first.status == 408);
            const raw_response second = co_await read_response(blank);
            CHECK(second.status == 408);
        };
        const auto started = std::chrono::steady_clock::now();
        co_await zring::when_all(feed_blank_lines(), answers());
        CHECK(std::chrono::steady_clock::now() - started < 2s);
    };
    f.run(client);
}

TEST_CASE("a body that trickles in is answered 408 at the body timeout", "[http][server]") {
    zring::http::server_options o;
    o.body_timeout = 300ms;
    http_fixture f(o);
    f.app.route("POST", "/echo", echo_body);
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        const auto started = std::chrono::steady_clock::now();
        co_await c.write("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n");
        auto trickle = [&]() -> zring::task<void> {
            try {
                for (int i = 0; i < 60; ++i) {
                    co_await c.write(std::string_view("b"));
                    co_await zring::sleep_for(50ms);
                }
            } catch (const std::system_error&) {
            }
        };
        auto answer = [&]() -> zring::task<raw_response> {
            raw_response r = co_await read_response(c);
            co_return r;
        };
        auto [unused, r] = co_await zring::when_all(trickle(), answer());
        (void)unused;
        CHECK(r.status == 408);
        CHECK(std::chrono::steady_clock::now() - started < 2s);
    };
    f.run(client);
}

TEST_CASE("connections past max_connections are closed at once, and served again below it", "[http][server]") {
    zring::http::server_options o;
    o.max_connections = 2;
    http_fixture f(o);
    f.app.route("GET", "/hello", hello);
    auto client = [&]() -> zring::task<void> {
        std::optional<zring::tcp_stream> a(co_await f.connect()), b(co_await f.connect());
        co_await a->write("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
        co_await b->write("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
        const raw_response ra = co_await read_response(*a);
        const raw_response rb = co_await read_response(*b);
        CHECK((ra.status == 200 && rb.status == 200));
        zring::tcp_stream third = co_await f.connect();
        const bool refused = co_await zring_test::closed_by_peer(third);
        CHECK(refused);
        a.reset();  // one ends: room again
        co_await zring_test::until("the server sees a connection end", [&] { return f.app.connections() < 2; });
        zring::tcp_stream fourth = co_await f.connect();
        co_await fourth.write("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
        const raw_response r4 = co_await read_response(fourth);
        CHECK(r4.status == 200);
    };
    f.run(client);
    REQUIRE(f.logged.size() == 1);
    CHECK_THAT(f.logged[0], Catch::Contains("more than 2 connections"));
}

TEST_CASE("an idle keep-alive connection is closed after the idle timeout", "[http][server]") {
    zring::http::server_options o;
    o.idle_timeout = 200ms;
    http_fixture f(o);
    f.app.route("GET", "/hello", hello);
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        const auto idle_from = std::chrono::steady_clock::now();  // before the server's idle timer starts
        co_await c.write("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
        const raw_response r = co_await read_response(c);
        CHECK(r.status == 200);
        {
            const auto got = co_await zring_test::closed_by_peer(c);
            CHECK(got);
        }
        CHECK(std::chrono::steady_clock::now() - idle_from >= 200ms);
        CHECK(f.app.connections() == 0);
    };
    f.run(client);
}

TEST_CASE("a handler that throws gets a logged 500, and http_error its own status", "[http][server]") {
    http_fixture f;
    f.app.route("GET", "/boom", [](request&) -> zring::task<response> {
        throw std::runtime_error("the database is on fire");
        co_return response(200);
    });
    f.app.route("GET", "/missing", [](request& r) -> zring::task<response> {
        throw zring::http::http_error(404, "no item " + std::string(r.query("id").value_or("")));
        co_return response(200);
    });
    f.app.route("GET", "/split", [](request&) -> zring::task<response> {
        response r(200, "x");
        r.headers.set("X-Injected", "a\r\nSet-Cookie: evil=1");
        co_return r;
    });
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write("GET /boom HTTP/1.1\r\nHost: t\r\n\r\nGET /missing?id=7 HTTP/1.1\r\nHost: t\r\n\r\n"
                         "GET /split HTTP/1.1\r\nHost: t\r\n\r\n");
        const raw_response boom = co_await read_response(c);
        CHECK(boom.status == 500);
        CHECK(boom.body.find("fire") == std::string::npos);  // the details go to the log, not the client
        const raw_response missing = co_await read_response(c);
        CHECK(missing.status == 404);
        CHECK(missing.body == "no item 7\n");
        const raw_response split = co_await read_response(c);
        CHECK(split.status == 500);
        CHECK_FALSE(split.headers.contains("Set-Cookie"));
    };
    f.run(client);
    REQUIRE(f.logged.size() == 2);
    CHECK_THAT(f.logged[0], Catch::Contains("GET /boom") && Catch::Contains("the database is on fire"));
    CHECK_THAT(f.logged[1], Catch::Contains("X-Injected"));
}
