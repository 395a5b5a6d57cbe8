#include <zring/io/endpoint.hpp>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <stdexcept>

namespace zring {

namespace {

[[noreturn]] void refuse(std::string_view text, const char* why) {
    throw std::invalid_argument("zring::endpoint(\"" + std::string(text) + "\"): " + why);
}

}  // namespace

bool detail::split_host_port(std::string_view text, std::string& host, std::uint16_t& port) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    std::string_view h = text.substr(0, colon);
    const std::string_view p = text.substr(colon + 1);
    if (p.empty() || p.size() > 5 || !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    unsigned value = 0;
    for (char c : p) value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > 65535) return false;
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    host.assign(h);
    port = static_cast<std::uint16_t>(value);
    return true;
}

endpoint endpoint::parse(std::string_view text) {
    if (text.substr(0, 5) == "unix:") return unix_path(text.substr(5));
    std::string host;
    std::uint16_t port = 0;
    if (!detail::split_host_port(text, host, port)) refuse(text, "expected HOST:PORT with a port from 0 to 65535");
    endpoint e;
    auto* v4 = reinterpret_cast<::sockaddr_in*>(&e.storage_);
    if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        e.length_ = sizeof(::sockaddr_in);
        return e;
    }
    auto* v6 = reinterpret_cast<::sockaddr_in6*>(&e.storage_);
    std::string address = host;
    if (const auto percent = host.find('%'); percent != std::string::npos) {  // a zone: fe80::1%eth0
        address = host.substr(0, percent);
        const std::string zone = host.substr(percent + 1);
        v6->sin6_scope_id = ::if_nametoindex(zone.c_str());
        if (v6->sin6_scope_id == 0) refuse(text, "no such network interface for the IPv6 zone");
    }
    if (text.find('[') == std::string_view::npos && host.find(':') != std::string::npos)
        refuse(text, "an IPv6 address goes in brackets: [ADDRESS]:PORT");
    if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) != 1)
        refuse(text, "not a numeric IPv4 or IPv6 address (names are resolved by connect)");
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    e.length_ = sizeof(::sockaddr_in6);
    return e;
}

endpoint endpoint::unix_path(std::string_view path) {
    endpoint e;
    auto* un = reinterpret_cast<::sockaddr_un*>(&e.storage_);
    if (path.empty()) refuse(path, "an empty Unix-domain path");
    if (path.size() >= sizeof un->sun_path) refuse(path, "too long for a Unix-domain address (107 bytes at most)");
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, path.data(), path.size());
    if (path.front() == '@') {
        un->sun_path[0] = '\0';  // the abstract namespace: no terminator, the length says where it ends
        e.length_ = static_cast<::socklen_t>(offsetof(::sockaddr_un, sun_path) + path.size());
    } else {
        e.length_ = static_cast<::socklen_t>(offsetof(::sockaddr_un, sun_path) + path.size() + 1);
    }
    return e;
}

endpoint endpoint::from(const ::sockaddr* address, ::socklen_t length) noexcept {
    endpoint e;
    if (!address || length == 0) return e;
    e.length_ = std::min<::socklen_t>(length, sizeof e.storage_);
    std::memcpy(&e.storage_, address, e.length_);
    return e;
}

endpoint endpoint::local_of(int fd) noexcept {
    endpoint e;
    e.length_ = sizeof e.storage_;
    if (::getsockname(fd, e.data(), &e.length_) != 0) return {};
    return e;
}

endpoint endpoint::peer_of(int fd) noexcept {
    endpoint e;
    e.length_ = sizeof e.storage_;
    if (::getpeername(fd, e.data(), &e.length_) != 0) return {};
    return e;
}

std::uint16_t endpoint::port() const noexcept {
    if (family() == AF_INET) return ntohs(reinterpret_cast<const ::sockaddr_in*>(&storage_)->sin_port);
    if (family() == AF_INET6) return ntohs(reinterpret_cast<const ::sockaddr_in6*>(&storage_)->sin6_port);
    return 0;
}

std::string endpoint::to_string() const {
    char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2] = {};
    if (family() == AF_INET) {
        const auto* v4 = reinterpret_cast<const ::sockaddr_in*>(&storage_);
        ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
        return std::string(text) + ":" + std::to_string(port());
    }
    if (family() == AF_INET6) {
        const auto* v6 = reinterpret_cast<const ::sockaddr_in6*>(&storage_);
        ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
        std::string address = text;
        if (char zone[IF_NAMESIZE]; v6->sin6_scope_id != 0 && ::if_indextoname(v6->sin6_scope_id, zone))
            address += std::string("%") + zone;
        return "[" + address + "]:" + std::to_string(port());
    }
    if (family() == AF_UNIX) {
        const auto* un = reinterpret_cast<const ::sockaddr_un*>(&storage_);
        const std::size_t room = length_ > offsetof(::sockaddr_un, sun_path) ? length_ - offsetof(::sockaddr_un, sun_path) : 0;
        if (room == 0) return "unix:";  // an unnamed socket (a socketpair, an unbound client)
        if (un->sun_path[0] == '\0') return "unix:@" + std::string(un->sun_path + 1, room - 1);
        return "unix:" + std::string(un->sun_path, ::strnlen(un->sun_path, room));
    }
    return {};
}

bool operator==(const endpoint& a, const endpoint& b) noexcept {
    return a.length_ == b.length_ && std::memcmp(&a.storage_, &b.storage_, a.length_) == 0;
}

}  // namespace zring
