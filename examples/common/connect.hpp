#pragma once
// The Guide's clients and workers recover from a dead peer by closing their
// socket and connecting a new one. Linger 0: what the old socket still held
// for the dead peer is dropped, not sent late to its successor.

#include <zring/zring.hpp>

#include <string>

namespace examples {

inline zring::socket connect(zring::scheduler& s, zmq::context_t& context, zmq::socket_type type,
                             const std::string& endpoint, const std::string& routing_id = {}) {
    zring::socket socket(s, context, type);
    if (!routing_id.empty()) socket.set(zmq::sockopt::routing_id, routing_id);
    socket.set(zmq::sockopt::linger, 0);
    socket.connect(endpoint);
    return socket;
}

}  // namespace examples
