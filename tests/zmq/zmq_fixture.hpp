#pragma once
// What every ZeroMQ test needs: a context, a scheduler, and endpoints that
// never collide between tests running in parallel.

#include "bounded_run.hpp"
#include "throws.hpp"

#include <zring/coro/task.hpp>
#include <zring/zmq/socket.hpp>

#include <zmq.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace zring_test {

// A proxy's answer to STATISTICS: eight 64-bit counters, one per frame.
inline std::vector<std::uint64_t> proxy_statistics(const std::vector<zmq::message_t>& frames) {
    std::vector<std::uint64_t> stats;
    for (const auto& f : frames) {
        std::uint64_t v;
        if (f.size() != sizeof v) throw std::runtime_error("a STATISTICS frame of " + std::to_string(f.size()) + " bytes");
        std::memcpy(&v, f.data(), sizeof v);
        stats.push_back(v);
    }
    return stats;
}

inline std::string unique_inproc(const char* what) {
    static std::atomic<int> counter{0};
    return std::string("inproc://") + what + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// Binds to an ephemeral loopback port and returns the endpoint to connect to.
inline std::string bind_ephemeral_tcp(zring::socket& s) {
    s.bind("tcp://127.0.0.1:*");
    return s.get(zmq::sockopt::last_endpoint);
}

// A TCP peer that never answers: a listening socket on an ephemeral port
// that accepts nothing, so a ZeroMQ connection to it never completes its
// handshake and what is sent stays queued. It holds its port throughout.
class silent_tcp_peer {
public:
    silent_tcp_peer() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 8) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
            throw std::system_error(errno, std::system_category(), "silent_tcp_peer");
        endpoint_ = "tcp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    }
    ~silent_tcp_peer() { ::close(fd_); }
    silent_tcp_peer(const silent_tcp_peer&) = delete;
    silent_tcp_peer& operator=(const silent_tcp_peer&) = delete;
    const std::string& endpoint() const noexcept { return endpoint_; }

private:
    int fd_;
    std::string endpoint_;
};

// Many sockets need many descriptors (libzmq uses one or two per socket):
// raise the soft limit as far as the hard one allows.
inline void raise_fd_limit(rlim_t wanted) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) return;
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace zring_test
