#pragma once
// The opening handshake of RFC 6455, section 4.2, as the server checks it.

#include <zring/http/request.hpp>
#include <zring/http/response.hpp>
#include <zring/http/websocket.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace zring::http::detail {

// The refusal to send (400, 403, 426), or nullopt if the request is a
// handshake the server accepts.
std::optional<response> refuse_handshake(const request& r, const websocket_options& options);
// The 101 response that accepts it.
response accept_handshake(const request& r);
// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)).
std::string accept_key(std::string_view key);
// Whether bytes are well-formed UTF-8 (no overlongs, surrogates or code
// points past U+10FFFF), as a text message must be.
bool is_utf8(std::string_view bytes) noexcept;

}  // namespace zring::http::detail
