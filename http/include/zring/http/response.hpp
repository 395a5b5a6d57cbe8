#pragma once
// response: what a handler answers. The server adds Date, Content-Length
// and Connection; a HEAD request gets the headers without the body.
//
//     co_return zring::http::response(200, "hello\n");
//     co_return zring::http::response(201, json, "application/json");

#include <zring/http/headers.hpp>

#include <string>
#include <string_view>

namespace zring::http {

struct response {
    response() = default;
    explicit response(int status_code, std::string body_text = {},
                      std::string_view content_type = "text/plain; charset=utf-8")
        : status(status_code), body(std::move(body_text)) {
        headers.reserve(4);  // room for what the server adds: one allocation per response
        if (!body.empty()) headers.add("Content-Type", std::string(content_type));
    }

    int status = 200;
    http::headers headers;
    std::string body;
};

// "OK", "Not Found", ...; "Unknown" for a code without one.
std::string_view reason_phrase(int status) noexcept;

}  // namespace zring::http
