#pragma once
// endpoint: a socket address, IPv4, IPv6 or Unix-domain, as the kernel
// takes it, with the text users write:
//   "127.0.0.1:8080"  "0.0.0.0:0"  "[::1]:8080"  "[fe80::1%eth0]:80"
//   "unix:/run/app.sock"  "unix:@name" (Linux's abstract namespace)
// parse() takes numeric addresses only; names are resolved by
// tcp_stream::connect, off the loop thread.

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace zring {

class endpoint {
public:
    endpoint() noexcept = default;
    // A numeric endpoint, as above; std::invalid_argument (naming the text
    // and what is wrong with it) otherwise.
    static endpoint parse(std::string_view text);
    // A Unix-domain endpoint: a path, or "@name" for the abstract namespace.
    // std::invalid_argument if it does not fit in sockaddr_un.
    static endpoint unix_path(std::string_view path);
    // What the kernel filled in (accept, getsockname, recvfrom).
    static endpoint from(const ::sockaddr* address, ::socklen_t length) noexcept;
    // The local or the peer address of a socket; an empty endpoint if the
    // kernel has none.
    static endpoint local_of(int fd) noexcept;
    static endpoint peer_of(int fd) noexcept;

    // AF_INET, AF_INET6, AF_UNIX, or AF_UNSPEC for an empty endpoint.
    int family() const noexcept { return storage_.ss_family; }
    bool empty() const noexcept { return length_ == 0; }
    // IP endpoints: the port (0 for the others).
    std::uint16_t port() const noexcept;
    // "127.0.0.1:8080", "[::1]:8080", "unix:/path", "unix:@name", or "" if empty.
    std::string to_string() const;

    const ::sockaddr* data() const noexcept { return reinterpret_cast<const ::sockaddr*>(&storage_); }
    ::sockaddr* data() noexcept { return reinterpret_cast<::sockaddr*>(&storage_); }
    ::socklen_t size() const noexcept { return length_; }
    static constexpr ::socklen_t capacity() noexcept { return sizeof(::sockaddr_storage); }
    void resize(::socklen_t length) noexcept { length_ = length; }

    friend bool operator==(const endpoint& a, const endpoint& b) noexcept;

private:
    ::sockaddr_storage storage_{};
    ::socklen_t length_ = 0;
};

namespace detail {
// "host:port" or "[host]:port" split at the last colon; false if there is
// no port or it is not a number up to 65535.
bool split_host_port(std::string_view text, std::string& host, std::uint16_t& port);
}  // namespace detail

}  // namespace zring
