#pragma once
// A socket of the Guide's clients and workers, connected. Linger 0: a
// socket closed for a dead peer (lpclient, ppworker reconnect on a new one)
// drops what it still held instead of sending it late to the successor, and
// a client that is done (asyncsrv) does not wait on a server that is gone.

#include "engine.hpp"

#include <zring/zring.hpp>

#include <string>

namespace examples {

template <class Engine>
typename Engine::socket connect(zring::scheduler& s, Engine& engine, zmq::socket_type type,
                                const std::string& endpoint, const std::string& routing_id = {}) {
    typename Engine::socket socket = engine.make(s, type);
    if (!routing_id.empty()) socket.set(zmq::sockopt::routing_id, routing_id);
    socket.set(zmq::sockopt::linger, 0);
    socket.connect(endpoint);
    return socket;
}

// The libzmq engine's, for the examples that run on it alone.
inline zring::socket connect(zring::scheduler& s, zmq::context_t& context, zmq::socket_type type,
                             const std::string& endpoint, const std::string& routing_id = {}) {
    zring::socket socket(s, context, type);
    if (!routing_id.empty()) socket.set(zmq::sockopt::routing_id, routing_id);
    socket.set(zmq::sockopt::linger, 0);
    socket.connect(endpoint);
    return socket;
}

}  // namespace examples
