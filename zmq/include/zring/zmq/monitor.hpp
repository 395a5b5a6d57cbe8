#pragma once
// monitor: a socket's lifecycle events (zmq_socket_monitor) as an awaitable
// stream.
//
//     zring::monitor m(sock, ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED);
//     zring::monitor_event e = co_await m.next();

#include <zring/zmq/socket.hpp>

#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>

namespace zring {

struct monitor_event {
    std::uint16_t event = 0;  // one ZMQ_EVENT_* bit
    std::uint32_t value = 0;  // fd, errno or interval, depending on the event
    std::string address;      // the endpoint concerned

    // "connected", "disconnected", "handshake_failed_auth", ...
    const char* name() const noexcept;
};

class monitor {
public:
    // Starts monitoring target for the events in mask. Throws socket_error.
    explicit monitor(socket& target, int mask = ZMQ_EVENT_ALL);
    ~monitor();
    monitor(const monitor&) = delete;
    monitor& operator=(const monitor&) = delete;

    // The next event; cancellable, and bounded by an optional timeout.
    // Destroying the monitor ends a pending next() with socket_closed.
    task<monitor_event> next(std::stop_token token = {});
    task<monitor_event> next(socket::duration timeout, std::stop_token token = {});

private:
    static monitor_event parse(std::vector<zmq::message_t>& frames);

    // The target may be destroyed first: its identity says whether it is open.
    std::shared_ptr<const detail::socket_identity> target_;
    std::string endpoint_;
    std::unique_ptr<socket> pair_;
};

}  // namespace zring
