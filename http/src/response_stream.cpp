#include "wire.hpp"

#include <zring/http/errors.hpp>
#include <zring/http/request.hpp>
#include <zring/http/response_stream.hpp>

#include <cstdio>
#include <stdexcept>

namespace zring::http {

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
        if ((draining_ && *draining_) || (request_ && !request_->body_complete())) keep_alive_ = false;
        if (!keep_alive_) headers_.add("Connection", "close");
        detail::write_head(head, status_, headers_);
        started_ = true;
    }
    if (head_only_ || chunk.empty()) {
        const std::string_view pieces[] = {head};
        co_await put(pieces);
        co_return;
    }
    if (length_) written_ += chunk.size();
    if (length_ || !chunked_) {
        const std::string_view pieces[] = {head, chunk};
        co_await put(pieces);
        co_return;
    }
    char size_line[24];
    const int length = std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
    const std::string_view pieces[] = {head, std::string_view(size_line, static_cast<std::size_t>(length)), chunk,
                                       "\r\n"};
    co_await put(pieces);
}

task<void> response_stream::put(std::span<const std::string_view> pieces) {
    if (broken_) throw client_disconnected("zring::http::response_stream::write: an earlier write did not complete");
    try {
        co_await detail::write_pieces(stream_, pieces, write_timeout_);
    } catch (...) {
        // Cancelled, timed out or failed, it may have sent part of a chunk:
        // nothing can follow it, not even the body's end.
        broken_ = true;
        keep_alive_ = false;
        throw;
    }
}

task<void> response_stream::finish() {
    if (finished_) co_return;
    if (broken_) {  // the client cannot be told the body ended: the connection closes
        finished_ = true;
        co_return;
    }
    if (!started_) co_await start();
    finished_ = true;
    if (chunked_ && !length_ && !head_only_) {
        const std::string_view pieces[] = {"0\r\n\r\n"};
        co_await put(pieces);
    }
}

}  // namespace zring::http
