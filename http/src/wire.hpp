#pragma once
// How a response head is written on the wire.

#include <zring/coro/task.hpp>
#include <zring/http/headers.hpp>

#include <chrono>
#include <span>
#include <string>
#include <string_view>

namespace zring {
class tcp_stream;
}

namespace zring::http::detail {

// "HTTP/1.1 200 OK\r\n", the fields, the Date (unless given), "\r\n".
// std::invalid_argument for a field a client would misread (CR, LF or NUL
// in it, or a name that is not a token): a handler cannot split a response.
void write_head(std::string& out, int status, const headers& fields);

// Writes the non-empty pieces (at most 4) as one gathered write. A client
// that went away (a reset, a closed stream) is client_disconnected, naming
// the stream; a timeout stays write_timed_out.
task<void> write_pieces(tcp_stream& stream, std::span<const std::string_view> pieces,
                        std::chrono::steady_clock::duration timeout);

}  // namespace zring::http::detail
