#pragma once
// A raw WebSocket client for the tests: frames built and read by hand, so
// the tests can also send what a well-behaved client would not.

#include "raw_client.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace zring_test {

struct ws_frame {
    bool fin = true;
    int opcode = 0;
    std::string payload;
    // For a close frame: the code (0 if none) and the reason.
    std::uint16_t close_code() const {
        return payload.size() >= 2 ? static_cast<std::uint16_t>((std::uint8_t(payload[0]) << 8) | std::uint8_t(payload[1]))
                                   : 0;
    }
};

// One frame as a client sends it: masked (unless told otherwise).
inline std::string ws_encode(int opcode, std::string_view payload, bool fin = true, bool masked = true) {
    std::string f;
    f.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
    const char mask_bit = masked ? char(0x80) : char(0);
    if (payload.size() < 126) {
        f.push_back(static_cast<char>(mask_bit | static_cast<char>(payload.size())));
    } else if (payload.size() < 65536) {
        f.push_back(static_cast<char>(mask_bit | 126));
        f.push_back(static_cast<char>(payload.size() >> 8));
        f.push_back(static_cast<char>(payload.size() & 0xff));
    } else {
        f.push_back(static_cast<char>(mask_bit | 127));
        for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((std::uint64_t(payload.size()) >> (8 * i)) & 0xff));
    }
    const char key[4] = {0x12, 0x34, 0x56, 0x78};
    if (masked) f.append(key, 4);
    for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i]);
    return f;
}

inline std::string ws_close(std::uint16_t code, std::string_view reason = {}) {
    std::string p;
    p.push_back(static_cast<char>(code >> 8));
    p.push_back(static_cast<char>(code & 0xff));
    p.append(reason);
    return ws_encode(8, p);
}

// One frame from the server (unmasked, as RFC 6455 requires of it).
inline zring::task<ws_frame> ws_read(zring::tcp_stream& s) {
    const std::string head = co_await s.read_exactly(2, io_limit);
    ws_frame f;
    f.fin = (std::uint8_t(head[0]) & 0x80) != 0;
    f.opcode = std::uint8_t(head[0]) & 0x0f;
    if (std::uint8_t(head[1]) & 0x80) throw std::runtime_error("the server masked a frame");
    std::uint64_t n = std::uint8_t(head[1]) & 0x7f;
    if (n >= 126) {
        const std::size_t length_bytes = n == 126 ? 2 : 8;
        const std::string ext = co_await s.read_exactly(length_bytes, io_limit);
        n = 0;
        for (char c : ext) n = (n << 8) | std::uint8_t(c);
    }
    if (n) f.payload = co_await s.read_exactly(n, io_limit);
    co_return f;
}

inline std::string ws_handshake(std::string_view path, std::string_view extra = {}) {
    return "GET " + std::string(path) +
           " HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
           std::string(extra) + "\r\n";
}

}  // namespace zring_test
