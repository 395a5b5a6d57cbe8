#pragma once
// response_stream: a response whose body a handler writes piece by piece
// (Tornado's RequestHandler.write + flush). Set status and headers, then
// each write sends a chunk (Transfer-Encoding: chunked; to an HTTP/1.0
// client the body ends with the connection). A write completes once the
// kernel holds the bytes: a client that reads slowly slows the handler,
// it does not grow the server's memory.
//
//     co_await out.write("first part\n");
//     co_await out.write("second part\n");

#include <zring/coro/task.hpp>
#include <zring/http/headers.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace zring {
class tcp_stream;
}

namespace zring::http {

class request;

class response_stream {
public:
    response_stream(const response_stream&) = delete;
    response_stream& operator=(const response_stream&) = delete;

    // Before the first write (std::logic_error after).
    void set_status(int status);
    http::headers& headers();
    // A body of exactly n bytes, sent as it is written, without chunking.
    // Writing past n is a std::logic_error; a handler that returns short
    // of n leaves the client a truncated body, so the connection closes.
    void set_content_length(std::uint64_t n);

    // Sends the status and headers now, without a body yet.
    task<void> start();
    // Sends one chunk (the head first, if not yet sent). An empty chunk sends nothing.
    task<void> write(std::string_view chunk);
    // Ends the body. The server does it when the handler returns; after it, writes throw.
    task<void> finish();

    bool started() const noexcept { return started_; }
    bool finished() const noexcept { return finished_; }
    // Whether the connection can carry another request after this response.
    bool reusable() const noexcept {
        const bool bodiless = status_ < 200 || status_ == 204 || status_ == 304;
        return keep_alive_ && (bodiless || head_only_ || !length_ || written_ == *length_);
    }

private:
    friend class server;
    response_stream(tcp_stream& stream, bool head_only, bool chunked, bool keep_alive,
                    std::chrono::steady_clock::duration write_timeout) noexcept
        : stream_(stream), head_only_(head_only), chunked_(chunked), keep_alive_(keep_alive),
          write_timeout_(write_timeout) {}
    // What may still close the connection after the response is built: the
    // server's shutdown, and a request body the handler leaves unread.
    // Looked at when the head is written.
    void close_if(const bool* draining, const request* req) noexcept {
        draining_ = draining;
        request_ = req;
    }

    // Every write goes through here: one that does not complete breaks the stream.
    task<void> put(std::span<const std::string_view> pieces);

    tcp_stream& stream_;
    int status_ = 200;
    http::headers headers_;
    bool head_only_;  // a HEAD request: the head, never a body
    bool chunked_;    // HTTP/1.1: chunked; HTTP/1.0: the body ends with the connection
    bool keep_alive_;
    std::chrono::steady_clock::duration write_timeout_;
    bool started_ = false;
    bool finished_ = false;
    std::optional<std::uint64_t> length_;  // set_content_length
    std::uint64_t written_ = 0;
    bool broken_ = false;  // a write did not complete: nothing more may follow it
    const bool* draining_ = nullptr;
    const request* request_ = nullptr;
};

}  // namespace zring::http
