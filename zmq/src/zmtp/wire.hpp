#pragma once
// ZMTP 3.1's wire format (RFC 37), without I/O: the greeting, frame headers,
// and the commands of the NULL mechanism and the traffic phase. The engine
// reads bytes into a buffer and asks this code what they are; what it gets
// wrong about a peer is a protocol_error naming the fault.

#include <zmq.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace zring::zmtp::detail {

// A peer broke the protocol; the connection is dropped with what().
struct protocol_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

using bytes = std::span<const std::byte>;

inline std::string_view as_text(bytes b) noexcept { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
inline bytes as_bytes(std::string_view s) noexcept { return std::as_bytes(std::span(s.data(), s.size())); }

// ---- the greeting: 64 bytes each way ----

inline constexpr std::size_t greeting_size = 64;
// The first bytes say whether the peer speaks ZMTP 3 at all: the signature
// (10 bytes), then the major version.
inline constexpr std::size_t signature_size = 10;
inline constexpr std::size_t mechanism_name_size = 20;

struct greeting {
    unsigned major = 3;
    unsigned minor = 1;
    std::string mechanism;  // "NULL", "PLAIN", "CURVE"
    bool as_server = false;
};

std::array<std::byte, greeting_size> encode_greeting(std::string_view mechanism, bool as_server);
// After the first signature_size + 1 bytes: throws for a bad signature
// (ZMTP 1.0 has none) and for a version before 3.0.
void check_signature(bytes first);
// The whole greeting, after check_signature. The padding of the signature
// and the filler are not checked: libzmq puts a non-zero byte in the padding.
greeting decode_greeting(bytes all);

// ---- frames ----

enum frame_flag : std::uint8_t { more = 0x01, long_size = 0x02, command = 0x04 };

struct frame_header {
    std::uint8_t flags = 0;
    std::uint64_t size = 0;
    std::size_t header_size = 0;  // 2 or 9
    bool more() const noexcept { return flags & frame_flag::more; }
    bool is_command() const noexcept { return flags & frame_flag::command; }
};

// The header at the start of in, if whole; throws for reserved flags, a
// size past 2^63 - 1, or a frame over max_size (a negative max: no limit),
// and for a command with MORE.
std::optional<frame_header> decode_frame_header(bytes in, std::int64_t max_size);

inline constexpr std::size_t max_header_size = 9;
// Writes the header of a frame of `size` bytes into out; returns its length.
std::size_t encode_frame_header(std::byte* out, std::uint64_t size, std::uint8_t flags) noexcept;

// ---- commands ----

// A command frame's body: its name and its data.
struct command_view {
    std::string_view name;
    bytes data;
};
command_view decode_command(bytes body);

// A command frame's body, as a message for a pipe's queue.
::zmq::message_t command_body(std::string_view name, bytes data);
// A whole command frame (header and body), appended to out.
void append_command(std::vector<std::byte>& out, std::string_view name, bytes data);

// READY and the metadata of other mechanisms: name-value properties.
using properties = std::vector<std::pair<std::string, std::string>>;
void append_properties(std::vector<std::byte>& out, const properties& props);
properties decode_properties(bytes data);
// The value of a property, by its case-insensitive name.
std::optional<std::string_view> find_property(const properties& props, std::string_view name) noexcept;

// ERROR's data: a reason of at most 255 bytes.
std::vector<std::byte> error_data(std::string_view reason);
std::string decode_error(bytes data);

// ---- socket types ----

// "PUSH", as READY's Socket-Type says it; nullptr for a type ZMTP lacks.
const char* socket_type_name(::zmq::socket_type type) noexcept;
std::optional<::zmq::socket_type> socket_type_from_name(std::string_view name) noexcept;
// Whether a socket of type `ours` may talk to a peer of type `theirs` (RFC 37's table).
bool compatible(::zmq::socket_type ours, ::zmq::socket_type theirs) noexcept;

}  // namespace zring::zmtp::detail
