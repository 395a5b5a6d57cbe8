#pragma once
// request: what a client asked, as a handler sees it.

#include <zring/coro/task.hpp>
#include <zring/http/headers.hpp>
#include <zring/io/endpoint.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zring::http {

namespace detail {
class request_parser;

// Where a streamed body comes from: the connection that reads it.
class body_source {
public:
    virtual task<std::string_view> read() = 0;
    virtual bool ended() const noexcept = 0;  // the whole body has been read

protected:
    ~body_source() = default;
};
}  // namespace detail

class request {
public:
    using argument = std::pair<std::string, std::string>;

    // "GET", "POST", ...
    const std::string& method() const noexcept { return method_; }
    // As sent: "/items/a%20b?x=1".
    const std::string& target() const noexcept { return target_; }
    // The target's path, percent-decoded: "/items/a b".
    const std::string& path() const noexcept { return path_; }
    // The decoded query arguments in order ('+' is a space).
    const std::vector<argument>& query_arguments() const noexcept { return query_; }
    // The first query argument of that name.
    std::optional<std::string_view> query(std::string_view name) const noexcept;
    // A path parameter of the route ("/items/{id}" -> param("id")); throws
    // std::out_of_range naming it if the route has none of that name.
    const std::string& param(std::string_view name) const;

    const http::headers& headers() const noexcept { return headers_; }
    std::optional<std::string_view> header(std::string_view name) const noexcept { return headers_.get(name); }
    // The whole body, within the route's max_body_size. Empty on a route
    // that streams its body: read_body() gives that.
    const std::string& body() const noexcept { return body_; }
    // The body as it arrives, on a route with route_options::stream_body:
    // the next piece (valid until the next call), empty once the body has
    // ended. Throws http_error 400 (malformed), 408 (body_timeout) or 413
    // (over the limit), which the handler may let through as the answer,
    // and client_disconnected. Elsewhere the whole body, then empty.
    task<std::string_view> read_body();
    // The form fields of an application/x-www-form-urlencoded body.
    std::vector<argument> form() const;

    int version_minor() const noexcept { return version_minor_; }  // HTTP/1.x
    const endpoint& peer() const noexcept { return peer_; }

private:
    friend class detail::request_parser;
    friend class server;
    friend class response_stream;

    // The body has been read to its end (or is read whole by the server).
    bool body_complete() const noexcept { return !body_source_ || body_source_->ended(); }

    // Empty again for the connection's next request, keeping the storage
    // of its fields (bounded: a large body's is let go).
    void clear() noexcept;

    std::string method_;
    std::string target_;
    std::string path_;
    std::vector<argument> query_;
    std::vector<argument> params_;
    http::headers headers_;
    std::string body_;
    // Not copied: a copy of the request has no connection to read from.
    struct source_ref {
        detail::body_source* source = nullptr;
        source_ref() noexcept = default;
        source_ref(detail::body_source* s) noexcept : source(s) {}
        source_ref(const source_ref&) noexcept {}
        source_ref& operator=(const source_ref&) noexcept {
            source = nullptr;
            return *this;
        }
        source_ref& operator=(detail::body_source* s) noexcept {
            source = s;
            return *this;
        }
        detail::body_source* operator->() const noexcept { return source; }
        explicit operator bool() const noexcept { return source != nullptr; }
    };
    source_ref body_source_;
    bool body_read_ = false;
    int version_minor_ = 1;
    endpoint peer_;
};

}  // namespace zring::http
