// Request bodies read as they arrive (route_options::stream_body) and
// per-route body limits.
#include "server_fixture.hpp"
#include "wait_until.hpp"

#include <zring/coro/event.hpp>
#include <zring/http/errors.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

using namespace std::chrono_literals;
using zring::http::request;
using zring::http::response;
using zring::http::route_options;
using zring_test::http_fixture;
using zring_test::raw_response;
using zring_test::read_response;

namespace {

const route_options streamed{.max_body_size = std::nullopt, .stream_body = true};

// What a streaming handler saw: the pieces, and where they ended.
struct reading {
    std::string body;
    std::size_t pieces = 0;
    std::size_t largest_piece = 0;
    std::string failure;
    zring::event first_piece;

    void reset() {
        body.clear();
        pieces = largest_piece = 0;
        failure.clear();
        first_piece.reset();
    }

    zring::task<void> read_all(request& r) {
        for (;;) {
            const std::string_view piece = co_await r.read_body();
            if (piece.empty()) break;
            body += piece;
            ++pieces;
            largest_piece = std::max(largest_piece, piece.size());
            first_piece.set();
        }
    }
};

std::string chunk(std::string_view data) {
    char size_line[16];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", data.size());
    return size_line + std::string(data) + "\r\n";
}

}  // namespace

TEST_CASE("a streamed body reaches its handler as it arrives, in Content-Length and chunked form",
          "[http][body]") {
    http_fixture f;
    reading seen;
    f.app.route(
        "POST", "/up",
        [&](request& r) -> zring::task<response> {
            CHECK(r.body().empty());
            co_await seen.read_all(r);
            co_return response(200, std::to_string(seen.body.size()) + " " + seen.body);
        },
        streamed);
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        // The second half is sent only once the handler holds the first:
        // the handler runs before the body is whole.
        co_await c.write(std::string_view("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhello"));
        co_await seen.first_piece.wait();
        CHECK(seen.body == "hello");
        co_await c.write(std::string_view("world"));
        {
            const auto got = co_await read_response(c);
            CHECK(got.status == 200);
            CHECK(got.body == "10 helloworld");
            CHECK_FALSE(got.headers.contains("Connection"));
        }
        seen.reset();
        co_await c.write("POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk("abc"));
        co_await seen.first_piece.wait();
        co_await c.write(chunk("defg") + "0\r\n\r\n");
        {
            const auto got = co_await read_response(c);
            CHECK(got.body == "7 abcdefg");
        }
        // The same connection serves on, a request without a body included.
        seen.reset();
        co_await c.write(std::string_view("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"));
        {
            const auto got = co_await read_response(c);
            CHECK(got.body == "0 ");
        }
    };
    f.run(client);
}

TEST_CASE("a streamed body over the server's limit passes a route that allows it, in pieces of the read buffer",
          "[http][body]") {
    zring::http::server_options o;
    o.max_body_size = 64 * 1024;
    o.read_buffer_size = 8 * 1024;
    http_fixture f(o);
    reading seen;
    f.app.route(
        "PUT", "/big",
        [&](request& r) -> zring::task<response> {
            co_await seen.read_all(r);
            co_return response(200, std::to_string(seen.body.size()));
        },
        {.max_body_size = 4 << 20, .stream_body = true});
    std::string big(3 << 20, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write("PUT /big HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(big.size()) + "\r\n\r\n");
        co_await c.write(big);
        const raw_response r = co_await read_response(c);
        CHECK(r.status == 200);
        CHECK(r.body == std::to_string(big.size()));
    };
    f.run(client);
    CHECK(seen.body == big);
    CHECK(seen.largest_piece <= o.read_buffer_size);  // never held whole by the server
    CHECK(seen.pieces >= big.size() / o.read_buffer_size);
}

TEST_CASE("a route's max_body_size replaces the server's, above it and below it", "[http][body]") {
    zring::http::server_options o;
    o.max_body_size = 1000;
    http_fixture f(o);
    auto length = [](request& r) -> zring::task<response> { co_return response(200, std::to_string(r.body().size())); };
    f.app.route("POST", "/large", length, {.max_body_size = 100000});
    f.app.route("POST", "/small", length, {.max_body_size = 10});
    f.app.route("POST", "/default", length);
    reading seen;
    f.app.route(
        "POST", "/small-streamed",
        [&](request& r) -> zring::task<response> {
            co_await seen.read_all(r);  // its http_error(413) answers
            co_return response(200, "read all of it");
        },
        {.max_body_size = 10, .stream_body = true});
    struct exchange {
        std::string request;
        int status;
    };
    const std::string chunked_20 = "Transfer-Encoding: chunked\r\n\r\n" + chunk(std::string(20, 'c')) + "0\r\n\r\n";
    const exchange cases[] = {
        {"POST /large HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'x'), 200},
        {"POST /default HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n", 413},
        {"POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 20\r\n\r\n", 413},
        {"POST /small HTTP/1.1\r\nHost: t\r\n" + chunked_20, 413},
        {"POST /small-streamed HTTP/1.1\r\nHost: t\r\nContent-Length: 20\r\n\r\n", 413},
        {"POST /small-streamed HTTP/1.1\r\nHost: t\r\n" + chunked_20, 413},
        {"POST /small-streamed HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789", 200},
    };
    auto client = [&]() -> zring::task<void> {
        for (const exchange& e : cases) {
            INFO(e.request.substr(0, e.request.find('\r')));
            zring::tcp_stream c = co_await f.connect();
            co_await c.write(e.request);
            const raw_response r = co_await read_response(c);
            CHECK(r.status == e.status);
            if (e.status == 413) CHECK(r.headers.get("Connection") == "close");
        }
    };
    f.run(client);
}

TEST_CASE("a handler that leaves its streamed body unread is answered, and the connection closed",
          "[http][body]") {
    http_fixture f;
    f.app.route(
        "POST", "/ignore", [](request&) -> zring::task<response> { co_return response(202, "not read\n"); }, streamed);
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write("POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n" + std::string(5000, 'x'));
        const raw_response r = co_await read_response(c);
        CHECK(r.status == 202);
        CHECK(r.headers.get("Connection") == "close");
        // The rest of the body is not taken for a request: the server ends the connection.
        std::byte scratch[4096];
        std::size_t n = 1;
        while (n) n = co_await c.read_some(scratch, zring_test::io_limit);
    };
    f.run(client);
}

TEST_CASE("a streamed body cut short ends the handler's read: client_disconnected, or 408 at the body timeout",
          "[http][body]") {
    zring::http::server_options o;
    o.body_timeout = 300ms;
    http_fixture f(o);
    reading seen;
    f.app.route(
        "POST", "/up",
        [&](request& r) -> zring::task<response> {
            try {
                co_await seen.read_all(r);
            } catch (const zring::http::client_disconnected& e) {
                seen.failure = e.what();
                throw;
            } catch (const zring::http::http_error& e) {
                seen.failure = std::to_string(e.status());
                throw;
            }
            co_return response(200, "whole");
        },
        streamed);
    auto client = [&]() -> zring::task<void> {
        {
            zring::tcp_stream c = co_await f.connect();
            co_await c.write(std::string_view("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nsome"));
            co_await seen.first_piece.wait();
        }  // closed mid-body
        co_await zring_test::until("the handler saw the disconnect", [&] { return !seen.failure.empty(); });
        CHECK_THAT(seen.failure, Catch::Contains("within a request body"));
        seen.reset();
        zring::tcp_stream c = co_await f.connect();
        co_await c.write(std::string_view("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nsome"));
        const raw_response r = co_await read_response(c);
        CHECK(r.status == 408);
        CHECK(seen.failure == "408");
    };
    f.run(client);
    CHECK(f.logged.empty());  // neither is the handler's fault
}

TEST_CASE("read_body on a route that reads bodies whole gives the body once, then an end", "[http][body]") {
    http_fixture f;
    f.app.route("POST", "/whole", [](request& r) -> zring::task<response> {
        const std::string_view first = co_await r.read_body();
        const std::string_view then = co_await r.read_body();
        co_return response(200, std::string(first) + "|" + std::string(then) + "|" + r.body());
    });
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write(std::string_view("POST /whole HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"));
        const raw_response r = co_await read_response(c);
        CHECK(r.body == "abc||abc");
    };
    f.run(client);
}

TEST_CASE("a streamed response whose handler leaves the body unread says Connection: close in its head",
          "[http][body]") {
    http_fixture f;
    f.app.route_stream(
        "POST", "/early",
        [](request&, zring::http::response_stream& out) -> zring::task<void> {
            co_await out.write("answered before the body\n");
        },
        streamed);
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await f.connect();
        co_await c.write("POST /early HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n" + std::string(1000, 'x'));
        const raw_response r = co_await read_response(c);
        CHECK(r.status == 200);
        CHECK(r.body == "answered before the body\n");
        CHECK(r.headers.get("Connection") == "close");
    };
    f.run(client);
}

TEST_CASE("100 Continue goes out when a streaming handler reads, not when it answers first", "[http][body]") {
    http_fixture f;
    f.app.route(
        "PUT", "/guarded",
        [](request& r) -> zring::task<response> {
            if (r.header("Authorization") != "yes") co_return response(401, "no\n");
            std::string body;
            for (;;) {
                const std::string_view piece = co_await r.read_body();
                if (piece.empty()) break;
                body += piece;
            }
            co_return response(200, body);
        },
        streamed);
    auto client = [&]() -> zring::task<void> {
        {
            zring::tcp_stream c = co_await f.connect();
            co_await c.write(std::string_view(
                "PUT /guarded HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
            const raw_response refused = co_await read_response(c);
            CHECK(refused.status == 401);  // no 100 first: the client need not upload
            CHECK(refused.headers.get("Connection") == "close");
        }
        zring::tcp_stream c = co_await f.connect();
        co_await c.write(std::string_view("PUT /guarded HTTP/1.1\r\nHost: t\r\nAuthorization: yes\r\n"
                                          "Expect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
        const raw_response go_on = co_await read_response(c);
        CHECK(go_on.status == 100);
        co_await c.write(std::string_view("data"));
        const raw_response r = co_await read_response(c);
        CHECK(r.status == 200);
        CHECK(r.body == "data");
    };
    f.run(client);
}
