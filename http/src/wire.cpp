#include "wire.hpp"

#include <zring/http/errors.hpp>
#include <zring/http/response.hpp>
#include <zring/io/errors.hpp>
#include <zring/io/tcp.hpp>

#include <array>
#include <ctime>
#include <stdexcept>
#include <system_error>

namespace zring::http {

std::string_view reason_phrase(int status) noexcept {
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

namespace detail {

namespace {

bool is_token(std::string_view name) noexcept {
    if (name.empty()) return false;
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
        if (!ok) return false;
    }
    return true;
}

// The Date header's value, formatted once a second.
std::string_view http_date() {
    thread_local std::time_t cached_at = 0;
    thread_local char text[40] = {};
    const std::time_t now = std::time(nullptr);
    if (now != cached_at) {
        std::tm utc{};
        gmtime_r(&now, &utc);
        std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
        cached_at = now;
    }
    return text;
}

}  // namespace

void write_head(std::string& out, int status, const headers& fields) {
    if (status < 100 || status > 999) throw std::invalid_argument("zring::http: status " + std::to_string(status));
    out += "HTTP/1.1 ";
    out += std::to_string(status);
    out += ' ';
    out += reason_phrase(status);
    out += "\r\n";
    for (const auto& [name, value] : fields) {
        if (!is_token(name)) throw std::invalid_argument("zring::http: header name \"" + name + "\" is not a token");
        if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
            throw std::invalid_argument("zring::http: header " + name + " has CR, LF or NUL in its value");
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    if (!fields.contains("Date")) {
        out += "Date: ";
        out += http_date();
        out += "\r\n";
    }
    out += "\r\n";
}

task<void> write_pieces(tcp_stream& stream, std::span<const std::string_view> pieces,
                        std::chrono::steady_clock::duration timeout) {
    std::array<std::span<const std::byte>, 4> buffers;
    std::size_t n = 0;
    for (std::string_view p : pieces)
        if (!p.empty()) buffers.at(n++) = std::as_bytes(std::span(p.data(), p.size()));
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

}  // namespace detail
}  // namespace zring::http
