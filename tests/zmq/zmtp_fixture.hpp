#pragma once
// The native engine's tests: each runs with the native socket on one side
// and, in turn, the native engine or libzmq (zring::socket) on the other,
// the native side binding and connecting.

#include "zmq_fixture.hpp"

#include <zring/zmq/zmtp_socket.hpp>

#include <unistd.h>

#include <atomic>
#include <string>
#include <vector>

namespace zring_test {

struct native_engine {
    static constexpr const char* name = "native";
    static zring::zmtp::socket make(zring::scheduler& s, zmq::context_t&, zmq::socket_type type) {
        return zring::zmtp::socket(s, type);
    }
};

struct libzmq_engine {
    static constexpr const char* name = "libzmq";
    static zring::socket make(zring::scheduler& s, zmq::context_t& context, zmq::socket_type type) {
        return zring::socket(s, context, type);
    }
};

// Which engine binds and which connects.
template <class Binder, class Connector>
struct engines {
    using binder = Binder;
    using connector = Connector;
};
using native_to_native = engines<native_engine, native_engine>;
using native_binds_libzmq_connects = engines<native_engine, libzmq_engine>;
using libzmq_binds_native_connects = engines<libzmq_engine, native_engine>;

// A fresh endpoint to bind: tcp on an ephemeral port, or an abstract ipc name.
inline std::string fresh_bind_endpoint(const std::string& transport) {
    static std::atomic<int> counter{0};
    if (transport == "tcp") return "tcp://127.0.0.1:*";
    return "ipc://@zring-zmtp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// Binds and returns the endpoint to connect to.
template <class Socket>
std::string bind_fresh(Socket& s, const std::string& transport) {
    s.bind(fresh_bind_endpoint(transport));
    return s.template get(zmq::sockopt::last_endpoint);
}

inline zmq::message_t msg(std::string_view text) { return zmq::message_t(text.data(), text.size()); }

}  // namespace zring_test
