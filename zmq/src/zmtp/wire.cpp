#include "zmtp/wire.hpp"

#include <algorithm>
#include <cstring>

namespace zring::zmtp::detail {

namespace {

std::uint64_t get_be(const std::byte* p, std::size_t n) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | std::to_integer<std::uint8_t>(p[i]);
    return v;
}

void put_be(std::byte* p, std::uint64_t v, std::size_t n) noexcept {
    for (std::size_t i = n; i-- > 0; v >>= 8) p[i] = static_cast<std::byte>(v & 0xff);
}

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequal(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace

std::array<std::byte, greeting_size> encode_greeting(std::string_view mechanism, bool as_server) {
    std::array<std::byte, greeting_size> g{};
    g[0] = std::byte{0xff};
    g[8] = std::byte{0x01};  // the padding, as libzmq writes it: a ZMTP 1.0 peer reads a length of 1
    g[9] = std::byte{0x7f};
    g[10] = std::byte{3};
    g[11] = std::byte{1};
    std::memcpy(g.data() + 12, mechanism.data(), std::min(mechanism.size(), mechanism_name_size));
    g[32] = std::byte{as_server ? std::uint8_t{1} : std::uint8_t{0}};
    return g;
}

void check_signature(bytes first) {
    if (first[0] != std::byte{0xff} || (std::to_integer<unsigned>(first[9]) & 1) == 0)
        throw protocol_error("bad ZMTP signature (a ZMTP 1.0 peer, or not ZeroMQ)");
    const unsigned major = std::to_integer<unsigned>(first[signature_size]);
    if (major < 3)
        throw protocol_error("peer speaks ZMTP " + std::string(major == 1 ? "2.0" : "1.0") +
                             ", which this engine does not (ZMTP 3.0 or later)");
}

greeting decode_greeting(bytes all) {
    check_signature(all);
    greeting g;
    g.major = std::to_integer<unsigned>(all[10]);
    g.minor = std::to_integer<unsigned>(all[11]);
    std::string_view name = as_text(all.subspan(12, mechanism_name_size));
    name = name.substr(0, name.find('\0'));
    g.mechanism = name;
    g.as_server = all[32] != std::byte{0};
    return g;
}

std::optional<frame_header> decode_frame_header(bytes in, std::int64_t max_size) {
    if (in.empty()) return std::nullopt;
    frame_header h;
    h.flags = std::to_integer<std::uint8_t>(in[0]);
    if (h.flags & ~(frame_flag::more | frame_flag::long_size | frame_flag::command))
        throw protocol_error("frame with reserved flag bits set");
    if (h.flags & frame_flag::long_size) {
        if (in.size() < 9) return std::nullopt;
        h.size = get_be(in.data() + 1, 8);
        h.header_size = 9;
        if (h.size >> 63) throw protocol_error("frame size of 2^63 bytes or more");
    } else {
        if (in.size() < 2) return std::nullopt;
        h.size = std::to_integer<std::uint8_t>(in[1]);
        h.header_size = 2;
    }
    if (max_size >= 0 && h.size > static_cast<std::uint64_t>(max_size))
        throw protocol_error("frame of " + std::to_string(h.size) + " bytes, over maxmsgsize " +
                             std::to_string(max_size));
    if (h.is_command() && h.more()) throw protocol_error("command frame with MORE set");
    return h;
}

std::size_t encode_frame_header(std::byte* out, std::uint64_t size, std::uint8_t flags) noexcept {
    if (size <= 255) {
        out[0] = std::byte{flags};
        out[1] = static_cast<std::byte>(size);
        return 2;
    }
    out[0] = std::byte{static_cast<std::uint8_t>(flags | frame_flag::long_size)};
    put_be(out + 1, size, 8);
    return 9;
}

command_view decode_command(bytes body) {
    if (body.empty()) throw protocol_error("empty command frame");
    const std::size_t n = std::to_integer<std::size_t>(body[0]);
    if (n == 0 || 1 + n > body.size()) throw protocol_error("command frame with a bad name length");
    return {as_text(body.subspan(1, n)), body.subspan(1 + n)};
}

::zmq::message_t command_body(std::string_view name, bytes data) {
    ::zmq::message_t m(1 + name.size() + data.size());
    auto* p = static_cast<std::byte*>(m.data());
    p[0] = static_cast<std::byte>(name.size());
    std::memcpy(p + 1, name.data(), name.size());
    if (!data.empty()) std::memcpy(p + 1 + name.size(), data.data(), data.size());
    return m;
}

void append_command(std::vector<std::byte>& out, std::string_view name, bytes data) {
    const std::size_t body = 1 + name.size() + data.size();
    std::byte header[max_header_size];
    const std::size_t h = encode_frame_header(header, body, frame_flag::command);
    out.insert(out.end(), header, header + h);
    out.push_back(static_cast<std::byte>(name.size()));
    const bytes n = as_bytes(name);
    out.insert(out.end(), n.begin(), n.end());
    out.insert(out.end(), data.begin(), data.end());
}

void append_properties(std::vector<std::byte>& out, const properties& props) {
    for (const auto& [name, value] : props) {
        out.push_back(static_cast<std::byte>(name.size()));
        const bytes n = as_bytes(name);
        out.insert(out.end(), n.begin(), n.end());
        std::byte size[4];
        put_be(size, value.size(), 4);
        out.insert(out.end(), size, size + 4);
        const bytes v = as_bytes(value);
        out.insert(out.end(), v.begin(), v.end());
    }
}

properties decode_properties(bytes data) {
    properties props;
    while (!data.empty()) {
        const std::size_t n = std::to_integer<std::size_t>(data[0]);
        if (n == 0 || data.size() < 1 + n + 4) throw protocol_error("malformed metadata property");
        std::string name(as_text(data.subspan(1, n)));
        const std::uint64_t size = get_be(data.data() + 1 + n, 4);
        data = data.subspan(1 + n + 4);
        if (size > data.size()) throw protocol_error("metadata property '" + name + "' runs past its command");
        props.emplace_back(std::move(name), std::string(as_text(data.first(size))));
        data = data.subspan(size);
    }
    return props;
}

std::optional<std::string_view> find_property(const properties& props, std::string_view name) noexcept {
    for (const auto& [n, v] : props)
        if (iequal(n, name)) return std::string_view(v);
    return std::nullopt;
}

std::vector<std::byte> error_data(std::string_view reason) {
    reason = reason.substr(0, 255);
    std::vector<std::byte> out;
    out.push_back(static_cast<std::byte>(reason.size()));
    const bytes r = as_bytes(reason);
    out.insert(out.end(), r.begin(), r.end());
    return out;
}

std::string decode_error(bytes data) {
    if (data.empty()) return {};
    const std::size_t n = std::min<std::size_t>(std::to_integer<std::size_t>(data[0]), data.size() - 1);
    return std::string(as_text(data.subspan(1, n)));
}

const char* socket_type_name(::zmq::socket_type type) noexcept {
    switch (type) {
        case ::zmq::socket_type::pair: return "PAIR";
        case ::zmq::socket_type::pub: return "PUB";
        case ::zmq::socket_type::sub: return "SUB";
        case ::zmq::socket_type::req: return "REQ";
        case ::zmq::socket_type::rep: return "REP";
        case ::zmq::socket_type::dealer: return "DEALER";
        case ::zmq::socket_type::router: return "ROUTER";
        case ::zmq::socket_type::pull: return "PULL";
        case ::zmq::socket_type::push: return "PUSH";
        case ::zmq::socket_type::xpub: return "XPUB";
        case ::zmq::socket_type::xsub: return "XSUB";
        default: return nullptr;
    }
}

std::optional<::zmq::socket_type> socket_type_from_name(std::string_view name) noexcept {
    using t = ::zmq::socket_type;
    for (t type : {t::pair, t::pub, t::sub, t::req, t::rep, t::dealer, t::router, t::pull, t::push, t::xpub, t::xsub})
        if (name == socket_type_name(type)) return type;
    return std::nullopt;
}

bool compatible(::zmq::socket_type ours, ::zmq::socket_type theirs) noexcept {
    using t = ::zmq::socket_type;
    const auto any_of = [theirs](std::initializer_list<t> types) {
        return std::find(types.begin(), types.end(), theirs) != types.end();
    };
    switch (ours) {
        case t::pair: return theirs == t::pair;
        case t::pub:
        case t::xpub: return any_of({t::sub, t::xsub});
        case t::sub:
        case t::xsub: return any_of({t::pub, t::xpub});
        case t::req: return any_of({t::rep, t::router});
        case t::rep: return any_of({t::req, t::dealer});
        case t::dealer: return any_of({t::rep, t::dealer, t::router});
        case t::router: return any_of({t::req, t::dealer, t::router});
        case t::push: return theirs == t::pull;
        case t::pull: return theirs == t::push;
        default: return false;
    }
}

}  // namespace zring::zmtp::detail
