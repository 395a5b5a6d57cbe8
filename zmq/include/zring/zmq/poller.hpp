#pragma once
// poller: await the first of several sockets to become ready, for proxies and
// brokers. Nothing is consumed: it reports readiness; the caller receives.
// zring::poller polls zring::socket; zring::zmtp::poller the native
// engine's sockets, with the same meanings.
//
// A registered socket that is destroyed makes poll() throw socket_closed
// naming it; destroying the poller resumes its pending polls with
// object_destroyed.

#include <zring/coro/detail/intrusive_list.hpp>
#include <zring/coro/task.hpp>
#include <zring/zmq/socket.hpp>
#include <zring/zmq/zmtp_socket.hpp>

#include <memory>
#include <optional>
#include <stop_token>
#include <unordered_map>
#include <vector>

namespace zring {

template <class Socket>
class basic_poller {
public:
    using duration = typename Socket::duration;
    struct item {
        Socket* sock;
        short events;  // ZMQ_POLLIN and/or ZMQ_POLLOUT
    };

    // What poll() found ready: iterable (in registration order), and
    // answering "is this socket ready?" in O(1), as pyzmq's dict(poll()).
    class result {
    public:
        using const_iterator = typename std::vector<item>::const_iterator;
        const_iterator begin() const noexcept { return items_.begin(); }
        const_iterator end() const noexcept { return items_.end(); }
        std::size_t size() const noexcept { return items_.size(); }
        bool empty() const noexcept { return items_.empty(); }
        const item& operator[](std::size_t i) const { return items_[i]; }
        // The ready events of s (ZMQ_POLLIN, ZMQ_POLLOUT); 0 if it is not
        // ready, or not registered.
        short ready(const Socket& s) const noexcept {
            const auto it = by_socket_.find(&s);
            return it == by_socket_.end() ? 0 : it->second;
        }

    private:
        friend class basic_poller;
        void add(item i) {
            items_.push_back(i);
            by_socket_.emplace(i.sock, i.events);
        }
        std::vector<item> items_;
        std::unordered_map<const Socket*, short> by_socket_;
    };

    basic_poller() = default;
    ~basic_poller();
    basic_poller(const basic_poller&) = delete;
    basic_poller& operator=(const basic_poller&) = delete;

    // Registers s (again: replaces its events). Throws std::invalid_argument
    // unless events include ZMQ_POLLIN or ZMQ_POLLOUT.
    void add(Socket& s, short events);
    void remove(Socket& s) noexcept;
    std::size_t size() const noexcept { return items_.size(); }

    // Every registered socket that is ready, with its ready events; waits
    // until at least one is. An empty poller is an error (std::logic_error).
    task<result> poll(std::stop_token token = {});
    // The same, or an empty result once the timeout passed.
    task<result> poll(duration timeout, std::stop_token token = {});

private:
    struct registration {
        std::shared_ptr<const typename Socket::identity_type> identity;  // its owner is the socket, moved or not
        const Socket* added_as;  // the object add() was given, which may since hold another socket
        short events;
    };
    // A poll() in progress; the poller's destructor stops it.
    struct pending_poll : detail::list_hook {
        std::stop_source stop;
        bool destroyed = false;
    };

    task<result> poll(std::optional<duration> timeout, std::stop_token token);
    // Throws socket_closed if a registered socket is gone.
    result ready_now() const;

    std::vector<registration> items_;
    detail::intrusive_list<pending_poll> polls_;
};

using poller = basic_poller<socket>;
extern template class basic_poller<socket>;
extern template class basic_poller<zmtp::socket>;

namespace zmtp {
using poller = zring::basic_poller<socket>;
}

}  // namespace zring
