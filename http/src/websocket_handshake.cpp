#include "websocket_handshake.hpp"

#include <nettle/base64.h>
#include <nettle/sha1.h>

#include <cstdint>

namespace zring::http::detail {

namespace {

// A key is 16 random bytes in base64: 22 characters and "==".
bool valid_key(std::string_view key) noexcept {
    if (key.size() != 24 || !key.ends_with("==")) return false;
    for (const char c : key.substr(0, 22)) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                        c == '/';
        if (!ok) return false;
    }
    return true;
}

// Tornado's rule: an Origin whose host (and port) is the request's Host.
bool same_origin(std::string_view origin, const request& r) {
    const std::size_t scheme = origin.find("://");
    if (scheme == std::string_view::npos) return false;
    const std::string_view host = r.header("Host").value_or("");
    return iequals(origin.substr(scheme + 3), host);
}

response refusal(int status, std::string why) { return response(status, std::move(why) + "\n"); }

}  // namespace

std::optional<response> refuse_handshake(const request& r, const websocket_options& options) {
    const http::headers& h = r.headers();
    if (r.method() != "GET" || r.version_minor() < 1) return refusal(400, "a WebSocket handshake is an HTTP/1.1 GET");
    if (!h.has_token("Upgrade", "websocket")) return refusal(400, "Upgrade: websocket is missing");
    if (!h.has_token("Connection", "upgrade")) return refusal(400, "Connection: upgrade is missing");
    if (h.get("Sec-WebSocket-Version") != "13") {
        response r426 = refusal(426, "only WebSocket version 13 is served");
        r426.headers.set("Sec-WebSocket-Version", "13");
        return r426;
    }
    if (!valid_key(h.get("Sec-WebSocket-Key").value_or(""))) return refusal(400, "Sec-WebSocket-Key is not a key");
    const std::string_view origin = h.get("Origin").value_or("");
    const bool allowed = options.check_origin ? options.check_origin(origin, r) : origin.empty() || same_origin(origin, r);
    if (!allowed) return refusal(403, "cross-origin WebSocket refused");
    return std::nullopt;
}

response accept_handshake(const request& r) {
    response ok(101);
    ok.headers.set("Upgrade", "websocket");
    ok.headers.set("Connection", "Upgrade");
    ok.headers.set("Sec-WebSocket-Accept", accept_key(r.header("Sec-WebSocket-Key").value_or("")));
    return ok;
}

std::string accept_key(std::string_view key) {
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    sha1_ctx ctx;
    sha1_init(&ctx);
    sha1_update(&ctx, key.size(), reinterpret_cast<const std::uint8_t*>(key.data()));
    sha1_update(&ctx, guid.size(), reinterpret_cast<const std::uint8_t*>(guid.data()));
    std::uint8_t digest[SHA1_DIGEST_SIZE];
    sha1_digest(&ctx, SHA1_DIGEST_SIZE, digest);
    char encoded[BASE64_ENCODE_RAW_LENGTH(SHA1_DIGEST_SIZE)];
    base64_encode_raw(encoded, SHA1_DIGEST_SIZE, digest);
    return std::string(encoded, sizeof encoded);
}

bool is_utf8(std::string_view bytes) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto* end = p + bytes.size();
    while (p < end) {
        const unsigned char c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        int more;
        std::uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            more = 1, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            more = 2, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            more = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (end - p <= more) return false;
        for (int i = 1; i <= more; ++i) {
            if ((p[i] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        p += more + 1;
    }
    return true;
}

}  // namespace zring::http::detail
