#pragma once
// --engine: which socket an example runs on. libzmq (the default):
// zring::socket over a libzmq context. native: zring::zmtp::socket, zring's
// own ZMTP engine on the scheduler's ring, with no libzmq context or I/O
// thread (tcp and ipc). The example's code is the same for both: a template
// on the engine, whose make() opens a socket, and whose local_endpoint()
// names an endpoint between sockets of one process: inproc:// for libzmq,
// an abstract ipc:// name (nothing on disk, gone with the process) for the
// native engine, which has no inproc.

#include "cli.hpp"

#include <zring/zring.hpp>

#include <unistd.h>

#include <string>

namespace examples {

struct libzmq_engine {
    using socket = zring::socket;
    zmq::context_t context;
    socket make(zring::scheduler& s, zmq::socket_type type) { return socket(s, context, type); }
    static std::string local_endpoint(const std::string& name) { return "inproc://" + name; }
};

struct native_engine {
    using socket = zring::zmtp::socket;
    socket make(zring::scheduler& s, zmq::socket_type type) { return socket(s, type); }
    static std::string local_endpoint(const std::string& name) {
        return "ipc://@zring-" + name + "-" + std::to_string(::getpid());
    }
};

inline constexpr const char* engine_help = "libzmq (default), or native: zring's own ZMTP engine (tcp and ipc)";

// body(engine) with the engine --engine names; a name that is neither is
// a usage error (exit 2).
template <class Body>
int with_engine(const cli& args, Body&& body) {
    const std::string name = args.get("engine", "libzmq");
    if (name == "native") {
        native_engine e;
        return body(e);
    }
    if (name != "libzmq") args.fail("--engine is libzmq or native, not '" + name + "'");
    libzmq_engine e;
    return body(e);
}

}  // namespace examples
