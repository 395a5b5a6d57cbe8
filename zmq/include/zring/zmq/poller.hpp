#pragma once
// poller: await the first of several sockets to become ready, for proxies and
// brokers. Nothing is consumed: it reports readiness; the caller receives.
//
// A registered socket that is destroyed makes poll() throw socket_closed
// naming it; destroying the poller resumes its pending polls with
// object_destroyed.

#include <zring/coro/detail/intrusive_list.hpp>
#include <zring/coro/task.hpp>
#include <zring/zmq/socket.hpp>

#include <memory>
#include <optional>
#include <stop_token>
#include <vector>

namespace zring {

class poller {
public:
    struct item {
        socket* sock;
        short events;  // ZMQ_POLLIN and/or ZMQ_POLLOUT
    };

    poller() = default;
    ~poller();
    poller(const poller&) = delete;
    poller& operator=(const poller&) = delete;

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
    struct registration {
        item registered;
        std::shared_ptr<const detail::socket_identity> identity;
    };
    // A poll() in progress; the poller's destructor stops it.
    struct pending_poll : detail::list_hook {
        std::stop_source stop;
        bool destroyed = false;
    };

    task<std::vector<item>> poll(std::optional<socket::duration> timeout, std::stop_token token);
    // Throws socket_closed if a registered socket is gone.
    std::vector<item> ready_now() const;

    std::vector<registration> items_;
    detail::intrusive_list<pending_poll> polls_;
};

}  // namespace zring
