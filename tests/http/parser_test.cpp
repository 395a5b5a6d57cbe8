// The request parser, fed bytes directly: no sockets.
#include <zring/http/detail/request_parser.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

using zring::http::request;
using zring::http::detail::request_parser;
using event = request_parser::event;

namespace {

constexpr zring::http::detail::parser_limits limits{1024, 4096};

struct parsed {
    std::vector<request> requests;
    int error_status = 0;
    std::string error_reason;
    bool continue_expected = false;
};

// Feeds the bytes in pieces of `step` (0: all at once), as a server would.
parsed parse(std::string_view bytes, std::size_t step = 0, zring::http::detail::parser_limits l = limits) {
    request_parser p(l);
    parsed out;
    while (!bytes.empty()) {
        std::string_view piece = step ? bytes.substr(0, step) : bytes;
        bytes.remove_prefix(piece.size());
        while (!piece.empty()) {
            const auto [what, consumed] = p.feed(piece);
            piece.remove_prefix(consumed);
            if (what == event::headers) {
                out.continue_expected = out.continue_expected || p.expects_continue();
                p.resume();
            } else if (what == event::message) {
                out.requests.push_back(p.current());
                p.next();
            } else if (what == event::error) {
                out.error_status = p.error_status();
                out.error_reason = p.error_reason();
                return out;
            } else {
                REQUIRE(piece.empty());
            }
        }
    }
    if (p.finish().what == event::error) {
        out.error_status = p.error_status();
        out.error_reason = p.error_reason();
    }
    return out;
}

const std::string get_with_query =
    "GET /items/a%20b?x=1&name=J%C3%BCrgen+K&empty=&flag HTTP/1.1\r\n"
    "Host: example\r\n"
    "X-Custom:  value with spaces \r\n"
    "X-Empty:\r\n"
    "X-Custom: second\r\n"
    "\r\n";

}  // namespace

TEST_CASE("a request fed byte by byte parses as when fed whole", "[http][parser]") {
    for (std::size_t step : {0, 1, 7}) {
        const parsed p = parse(get_with_query, step);
        INFO("step " << step);
        REQUIRE(p.error_status == 0);
        REQUIRE(p.requests.size() == 1);
        const request& r = p.requests[0];
        CHECK(r.method() == "GET");
        CHECK(r.target() == "/items/a%20b?x=1&name=J%C3%BCrgen+K&empty=&flag");
        CHECK(r.path() == "/items/a b");
        CHECK(r.query("x") == "1");
        CHECK(r.query("name") == "J\xc3\xbcrgen K");
        CHECK(r.query("empty") == "");
        CHECK(r.query("flag") == "");
        CHECK_FALSE(r.query("missing"));
        CHECK(r.header("host") == "example");
        CHECK(r.header("x-custom") == "value with spaces");
        CHECK(r.headers().count("X-CUSTOM") == 2);
        CHECK(r.header("X-Empty") == "");
        CHECK(r.body().empty());
        CHECK(r.version_minor() == 1);
    }
}

TEST_CASE("pipelined requests in one buffer parse as separate requests in order", "[http][parser]") {
    const std::string bytes =
        "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
        "GET /b HTTP/1.1\r\nHost: h\r\n\r\n"
        "DELETE /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    const parsed p = parse(bytes);
    REQUIRE(p.error_status == 0);
    REQUIRE(p.requests.size() == 3);
    CHECK(p.requests[0].method() == "POST");
    CHECK(p.requests[0].body() == "hello");
    CHECK(p.requests[1].path() == "/b");
    CHECK(p.requests[2].method() == "DELETE");
}

TEST_CASE("a chunked body is decoded; its trailers do not become headers", "[http][parser]") {
    const std::string bytes =
        "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n";
    for (std::size_t step : {0, 1, 3}) {
        const parsed p = parse(bytes, step);
        REQUIRE(p.error_status == 0);
        REQUIRE(p.requests.size() == 1);
        CHECK(p.requests[0].body() == "hello, world");
        CHECK_FALSE(p.requests[0].header("X-Trailer"));
        CHECK(p.requests[0].headers().size() == 2);
    }
}

TEST_CASE("endless chunk extensions are refused with 400", "[http][parser]") {
    std::string bytes = "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 2000; ++i) bytes += "1;" + std::string(20, 'e') + "=v\r\nx\r\n";
    const parsed p = parse(bytes, 4096);
    CHECK(p.error_status == 400);
    CHECK_THAT(p.error_reason, Catch::Contains("chunk extensions"));
}

TEST_CASE("Content-Length beside Transfer-Encoding is refused as smuggling", "[http][parser]") {
    const parsed p = parse(
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    CHECK(p.requests.empty());
    CHECK(p.error_status == 400);
}

TEST_CASE("a repeated Content-Length is refused, even with equal values", "[http][parser]") {
    for (const char* second : {"5", "6"}) {
        const parsed p = parse(std::string("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: ") +
                               second + "\r\n\r\nhello");
        CHECK(p.requests.empty());
        CHECK(p.error_status == 400);
    }
}

TEST_CASE("a request head over the limit is refused with 431, in one header or in many", "[http][parser]") {
    const parsed one = parse("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n", 100);
    CHECK(one.error_status == 431);
    std::string many = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (int i = 0; i < 300; ++i) many += "a:\r\n";
    const parsed flood = parse(many + "\r\n");
    CHECK(flood.error_status == 431);
    const parsed url = parse("GET /" + std::string(2000, 'u') + " HTTP/1.1\r\nHost: h\r\n\r\n", 64);
    CHECK(url.error_status == 431);
}

TEST_CASE("a body over the limit is refused with 413, declared or chunked", "[http][parser]") {
    const parsed declared = parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n");
    CHECK(declared.error_status == 413);
    std::string chunked = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 5; ++i) chunked += "400\r\n" + std::string(1024, 'x') + "\r\n";
    const parsed streamed = parse(chunked + "0\r\n\r\n", 512);
    CHECK(streamed.error_status == 413);
}

TEST_CASE("malformed requests are refused with 400 and a reason", "[http][parser]") {
    for (const char* bad : {"GARBAGE\r\n\r\n", "GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n", "GET / HTTP/1.1\r\nNo colon\r\n\r\n",
                            "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", "GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n",
                            "GET /a%00b HTTP/1.1\r\nHost: h\r\n\r\n", "GET /?q=%4 HTTP/1.1\r\nHost: h\r\n\r\n",
                            "GET http://other/ HTTP/1.1\r\nHost: h\r\n\r\n", "GET / HTTP/1.1\r\n\r\n",
                            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked, identity\r\n\r\n"}) {
        INFO(bad);
        const parsed p = parse(bad);
        CHECK(p.requests.empty());
        CHECK(p.error_status == 400);
        CHECK_FALSE(p.error_reason.empty());
    }
}

TEST_CASE("a stream that ends within a request is an error, between requests it is not", "[http][parser]") {
    const parsed cut = parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nhalf");
    CHECK(cut.error_status == 400);
    const parsed whole = parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(whole.error_status == 0);
    CHECK(whole.requests.size() == 1);
}

TEST_CASE("Expect: 100-continue is reported at the head, another expectation is 417", "[http][parser]") {
    const parsed p = parse("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok");
    CHECK(p.continue_expected);
    CHECK(p.requests.size() == 1);
    const parsed other = parse("PUT / HTTP/1.1\r\nHost: h\r\nExpect: coffee\r\nContent-Length: 2\r\n\r\nok");
    CHECK(other.error_status == 417);
}
