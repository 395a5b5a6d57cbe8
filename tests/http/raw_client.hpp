#pragma once
// A client for the server tests that zring's server did not write: raw
// bytes out, and a plain reading of the responses that come back.

#include <zring/coro/task.hpp>
#include <zring/http/headers.hpp>
#include <zring/io/tcp.hpp>

#include <charconv>
#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

namespace zring_test {

struct raw_response {
    int status = 0;
    zring::http::headers headers;
    std::string body;
};

inline constexpr std::chrono::seconds io_limit{10};

// One response: the status line, the headers, and the body its
// Content-Length or chunking says (no body if has_body is false: HEAD, 1xx).
inline zring::task<raw_response> read_response(zring::tcp_stream& s, bool has_body = true) {
    raw_response r;
    const std::string head = co_await s.read_until("\r\n\r\n", 256 * 1024, io_limit);
    std::string_view rest = head;
    if (!rest.starts_with("HTTP/1.1 ")) throw std::runtime_error("not an HTTP/1.1 response: " + head);
    std::from_chars(rest.data() + 9, rest.data() + 12, r.status);
    rest.remove_prefix(rest.find("\r\n") + 2);
    while (rest.size() > 2) {
        const std::size_t eol = rest.find("\r\n");
        const std::string_view line = rest.substr(0, eol);
        const std::size_t colon = line.find(':');
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        r.headers.add(std::string(line.substr(0, colon)), std::string(value));
        rest.remove_prefix(eol + 2);
    }
    if (!has_body || r.status < 200 || r.status == 204 || r.status == 304) co_return r;
    if (auto length = r.headers.get("Content-Length")) {
        std::size_t n = 0;
        std::from_chars(length->data(), length->data() + length->size(), n);
        if (n) r.body = co_await s.read_exactly(n, io_limit);
    } else if (r.headers.get("Transfer-Encoding") == "chunked") {
        for (;;) {
            const std::string size_line = co_await s.read_until("\r\n", 1024, io_limit);
            std::size_t n = 0;
            std::from_chars(size_line.data(), size_line.data() + size_line.size(), n, 16);
            const std::string chunk = co_await s.read_exactly(n + 2, io_limit);
            if (n == 0) break;
            r.body += chunk.substr(0, n);
        }
    } else {
        char buffer[4096];
        for (;;) {
            const std::size_t n = co_await s.read_some(std::as_writable_bytes(std::span(buffer)), io_limit);
            if (n == 0) break;
            r.body.append(buffer, n);
        }
    }
    co_return r;
}

// True if the server closes the connection (reads end) within the limit.
inline zring::task<bool> closed_by_peer(zring::tcp_stream& s, std::chrono::milliseconds limit = io_limit) {
    char buffer[512];
    try {
        for (;;) {
            const std::size_t n = co_await s.read_some(std::as_writable_bytes(std::span(buffer)), limit);
            if (n == 0) co_return true;
        }
    } catch (const zring::timed_out&) {
        co_return false;
    } catch (const std::system_error&) {
        co_return true;  // reset
    }
}

}  // namespace zring_test
