#include "wire.hpp"

#include <zring/http/errors.hpp>
#include <zring/http/response_stream.hpp>
#include <zring/io/errors.hpp>
#include <zring/io/tcp.hpp>

#include <array>
#include <cstdio>
#include <span>
#include <stdexcept>
#include <system_error>

namespace zring::http {

namespace {

std::span<const std::byte> bytes(std::string_view s) noexcept { return std::as_bytes(std::span(s.data(), s.size())); }

// Writes the pieces as one gathered write; a peer that went away is
// client_disconnected, naming the stream.
task<void> write_pieces(tcp_stream& stream, std::span<const std::string_view> pieces,
                        std::chrono::steady_clock::duration timeout) {
    std::array<std::span<const std::byte>, 4> buffers;
    std::size_t n = 0;
    for (std::string_view p : pieces)
        if (!p.empty()) buffers.at(n++) = bytes(p);
    if (n == 0) co_return;
    bool gone = false;
    std::string why;
    try {
        co_await stream.write(std::span(buffers.data(), n), timeout);
    } catch (const std::system_error& e) {
        gone = true;
        why = e.what();
    } catch (const stream_closed& e) {
        gone = true;
        why = e.what();
    }
    if (gone) throw client_disconnected(why);
}

}  // namespace

void response_stream::set_status(int status) {
    if (started_) throw std::logic_error("zring::http::response_stream::set_status: the head is already sent");
    status_ = status;
}

http::headers& response_stream::headers() {
    if (started_) throw std::logic_error("zring::http::response_stream::headers: the head is already sent");
    return headers_;
}

void response_stream::set_content_length(std::uint64_t n) {
    if (started_) throw std::logic_error("zring::http::response_stream::set_content_length: the head is already sent");
    length_ = n;
}

task<void> response_stream::start() { co_await write({}); }

task<void> response_stream::write(std::string_view chunk) {
    if (finished_) throw std::logic_error("zring::http::response_stream::write: the response is finished");
    // 1xx, 204 and 304 have no body (RFC 9110 6.4.1): no framing headers either.
    const bool bodiless = status_ < 200 || status_ == 204 || status_ == 304;
    if (bodiless && !chunk.empty())
        throw std::logic_error("zring::http::response_stream::write: status " + std::to_string(status_) +
                               " has no body");
    if (length_ && !head_only_ && chunk.size() > *length_ - written_)
        throw std::logic_error("zring::http::response_stream::write: past the Content-Length of " +
                               std::to_string(*length_));
    std::string head;
    if (!started_) {
        headers_.erase("Content-Length");
        headers_.erase("Transfer-Encoding");
        headers_.erase("Connection");
        if (bodiless) {
            chunked_ = false;
        } else if (length_) {
            headers_.add("Content-Length", std::to_string(*length_));
        } else if (chunked_) {
            headers_.add("Transfer-Encoding", "chunked");
        }
        if (!keep_alive_) headers_.add("Connection", "close");
        detail::write_head(head, status_, headers_);
        started_ = true;
    }
    if (head_only_ || chunk.empty()) {
        const std::string_view pieces[] = {head};
        co_await write_pieces(stream_, pieces, write_timeout_);
        co_return;
    }
    if (length_) written_ += chunk.size();
    if (length_ || !chunked_) {
        const std::string_view pieces[] = {head, chunk};
        co_await write_pieces(stream_, pieces, write_timeout_);
        co_return;
    }
    char size_line[24];
    const int length = std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
    const std::string_view pieces[] = {head, std::string_view(size_line, static_cast<std::size_t>(length)), chunk,
                                       "\r\n"};
    co_await write_pieces(stream_, pieces, write_timeout_);
}

task<void> response_stream::finish() {
    if (finished_) co_return;
    if (!started_) co_await start();
    finished_ = true;
    if (chunked_ && !length_ && !head_only_) {
        const std::string_view pieces[] = {"0\r\n\r\n"};
        co_await write_pieces(stream_, pieces, write_timeout_);
    }
}

}  // namespace zring::http
