#include "connect_fd.hpp"

#include <zring/io/offload.hpp>
#include <zring/io/tcp.hpp>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

namespace zring {

namespace {

std::vector<endpoint> resolve(const std::string& host, std::uint16_t port, const std::string& what) {
    ::addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    ::addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
    if (rc != 0) {
        const int error = rc == EAI_SYSTEM ? errno : EHOSTUNREACH;
        throw std::system_error(error, std::system_category(), what + ": cannot resolve '" + host + "': " + ::gai_strerror(rc));
    }
    std::vector<endpoint> out;
    for (const ::addrinfo* a = found; a; a = a->ai_next) out.push_back(endpoint::from(a->ai_addr, a->ai_addrlen));
    ::freeaddrinfo(found);
    return out;
}

}  // namespace

tcp_stream::tcp_stream(scheduler& s, int fd)
    : byte_stream(s, fd, "tcp_stream", endpoint::peer_of(fd), endpoint::peer_of(fd)) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // a Unix-domain pair has none: fine
}

void tcp_stream::set_nodelay(bool on) {
    check_usable("set_nodelay");
    const int value = on ? 1 : 0;
    if (::setsockopt(native_handle(), IPPROTO_TCP, TCP_NODELAY, &value, sizeof value) != 0)
        throw_error("set_nodelay", errno);
}

bool tcp_stream::nodelay() const {
    check_usable("nodelay");
    int value = 0;
    socklen_t size = sizeof value;
    if (::getsockopt(native_handle(), IPPROTO_TCP, TCP_NODELAY, &value, &size) != 0) throw_error("nodelay", errno);
    return value != 0;
}

task<tcp_stream> tcp_stream::connect(scheduler& s, endpoint to, std::optional<duration> timeout, std::stop_token token) {
    if (to.family() != AF_INET && to.family() != AF_INET6)
        throw std::invalid_argument("zring::tcp_stream::connect(" + to.to_string() + "): not an IPv4 or IPv6 endpoint");
    const int fd = co_await detail::connect_fd(s, to, timeout, std::move(token), "tcp_stream");
    co_return tcp_stream(s, fd);
}

task<tcp_stream> tcp_stream::connect(scheduler& s, std::string host_port, std::optional<duration> timeout,
                                     std::stop_token token) {
    const std::string what = "zring::tcp_stream::connect(" + host_port + ")";
    std::string host;
    std::uint16_t port = 0;
    if (!detail::split_host_port(host_port, host, port))
        throw std::invalid_argument(what + ": expected HOST:PORT with a port from 0 to 65535");
    std::vector<endpoint> candidates;
    try {
        candidates.push_back(endpoint::parse(host_port));
    } catch (const std::invalid_argument&) {
    }
    const auto start = detail::clock::now();
    if (candidates.empty())
        candidates = co_await offload([&] { return resolve(host, port, what); }, token);
    if (candidates.empty()) throw std::system_error(EHOSTUNREACH, std::system_category(), what + ": no address");
    int last_error = 0;
    for (const endpoint& candidate : candidates) {
        std::optional<duration> left = timeout;
        if (timeout) left = *timeout - (detail::clock::now() - start);
        if (left && *left <= duration::zero()) throw timed_out(what);
        try {
            tcp_stream connected = co_await connect(s, candidate, left, token);
            co_return connected;
        } catch (const std::system_error& e) {
            last_error = e.code().value();  // the next address, if there is one
        }
    }
    throw std::system_error(last_error, std::system_category(), what);
}

tcp_listener tcp_listener::listen(scheduler& s, std::string_view at, listen_options options) {
    const endpoint e = endpoint::parse(at);
    if (e.family() != AF_INET && e.family() != AF_INET6)
        throw std::invalid_argument("zring::tcp_listener::listen(" + std::string(at) +
                                    "): not an IPv4 or IPv6 endpoint");
    return tcp_listener(s, e, options);
}

}  // namespace zring
