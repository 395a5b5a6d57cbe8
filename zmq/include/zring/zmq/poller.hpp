#pragma once
// poller: await the first of several sockets to become ready, for proxies and
// brokers. Nothing is consumed: it reports readiness; the caller receives.

#include <zring/coro/task.hpp>
#include <zring/zmq/socket.hpp>

#include <stop_token>
#include <vector>

namespace zring {

class poller {
public:
    struct item {
        socket* sock;
        short events;  // ZMQ_POLLIN and/or ZMQ_POLLOUT
    };

    // Registers s (again: replaces its events). Throws std::invalid_argument
    // unless events include ZMQ_POLLIN or ZMQ_POLLOUT.
    void add(socket& s, short events);
    void remove(socket& s) noexcept;
    std::size_t size() const noexcept { return items_.size(); }

    // Every registered socket that is ready, with its ready events; waits
    // until at least one is. An empty poller is an error (std::logic_error).
    task<std::vector<item>> poll(std::stop_token token = {});
    // The same, or an empty vector once the timeout passed.
    task<std::vector<item>> poll(socket::duration timeout, std::stop_token token = {});

private:
    task<std::vector<item>> poll(std::optional<socket::duration> timeout, std::stop_token token);
    std::vector<item> ready_now() const;

    std::vector<item> items_;
};

}  // namespace zring
