#pragma once
// request_parser: HTTP/1.1 requests from bytes, with the server's limits.
// llhttp does the parsing; this adds the limits, the request object and
// the checks llhttp leaves to its user. It owns no socket, so a test can
// feed it any bytes in any split.

#include <zring/http/request.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace zring::http::detail {

struct parser_limits {
    std::size_t max_header_size;  // request line and header block
    std::size_t max_body_size;    // the most any request may have; limit_body() lowers it for one
};

class request_parser {
public:
    enum class event {
        need_more,  // every byte was taken: feed more
        headers,    // the head is in (current()) and a body follows: answer now, or resume() to read it
        message,    // a whole request is in current(); next() once it is served
        error,      // the bytes are not an acceptable request: error_status(), error_reason()
    };
    struct result {
        event what;
        std::size_t consumed;  // bytes of the input taken; the rest belongs to what follows
    };

    explicit request_parser(parser_limits limits);
    ~request_parser();
    request_parser(const request_parser&) = delete;
    request_parser& operator=(const request_parser&) = delete;

    result feed(std::string_view bytes);
    // The peer ended the stream: an error if a request was under way.
    result finish();
    // At a headers event, before resume(): this request's body limit, at
    // most parser_limits::max_body_size. False, with the error set (413), if
    // the declared Content-Length is over it.
    bool limit_body(std::size_t max);
    // At a headers event: the body goes to streamed(), a piece at a time,
    // instead of to the request. The reader empties it as it goes.
    void stream_body() noexcept;
    std::string& streamed() noexcept;
    // Goes on after a headers event.
    void resume() noexcept;
    // After a message event, once the request is served: the parser ready
    // for the next one, in the same request object (its storage reused).
    void next() noexcept;

    // The request being read; its head is complete from the headers event
    // on, and all of it from the message event.
    request& current() noexcept;
    // Some byte of a request has been fed since the last next().
    bool started() const noexcept;
    // The head of the current request is complete: its body is being read.
    bool reading_body() const noexcept;
    // At the headers event: the client waits for "100 Continue" before its body.
    bool expects_continue() const noexcept;
    // From the headers event on: the connection may carry another request.
    bool keep_alive() const noexcept;
    // The current request is whole (a message event came).
    bool complete() const noexcept;
    // After message: the client asked to switch protocols (Upgrade); the
    // bytes after it are not HTTP.
    bool upgrade() const noexcept;

    // After an error: 400, 413 or 431, and why.
    int error_status() const noexcept;
    const std::string& error_reason() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// Percent-decoding of a URL component into out ('+' is a space in a query
// or form); false for a malformed escape.
bool percent_decode(std::string_view in, std::string& out, bool plus_is_space);
// "a=1&b=x%20y" into (name, value) pairs; false for a malformed escape.
bool parse_query(std::string_view query, std::vector<request::argument>& into);

}  // namespace zring::http::detail
