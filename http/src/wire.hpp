#pragma once
// How a response head is written on the wire.

#include <zring/http/headers.hpp>

#include <string>

namespace zring::http::detail {

// "HTTP/1.1 200 OK\r\n", the fields, the Date (unless given), "\r\n".
// std::invalid_argument for a field a client would misread (CR, LF or NUL
// in it, or a name that is not a token): a handler cannot split a response.
void write_head(std::string& out, int status, const headers& fields);

}  // namespace zring::http::detail
