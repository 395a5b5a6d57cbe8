#pragma once
// What every ZeroMQ test needs: a context, a scheduler, and endpoints that
// never collide between tests running in parallel.

#include <zring/coro/task.hpp>
#include <zring/zmq/socket.hpp>

#include <zmq.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <string>

namespace zring_test {

inline std::string unique_inproc(const char* what) {
    static std::atomic<int> counter{0};
    return std::string("inproc://") + what + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// Binds to an ephemeral loopback port and returns the endpoint to connect to.
inline std::string bind_ephemeral_tcp(zring::socket& s) {
    s.bind("tcp://127.0.0.1:*");
    return s.get(zmq::sockopt::last_endpoint);
}

// Whether awaiting a throws an Exception. Catch2's assertion macros must not
// contain co_await: their state would live across the suspension.
template <class Exception, class Awaitable>
zring::task<bool> throws(Awaitable a) {
    try {
        co_await std::move(a);
    } catch (const Exception&) {
        co_return true;
    }
    co_return false;
}

// Many sockets need many descriptors (libzmq uses one or two per socket):
// raise the soft limit as far as the hard one allows.
inline void raise_fd_limit(rlim_t wanted) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) return;
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace zring_test
