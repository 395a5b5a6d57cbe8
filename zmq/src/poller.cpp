#include <zring/coro/detail/result.hpp>
#include <zring/coro/when_any.hpp>
#include <zring/zmq/poller.hpp>

#include <algorithm>
#include <stdexcept>

namespace zring {

namespace {
// What error messages call the poller.
template <class Socket>
constexpr const char* poller_name = "zring::poller";
template <>
constexpr const char* poller_name<zmtp::socket> = "zring::zmtp::poller";
}  // namespace

template <class Socket>
basic_poller<Socket>::~basic_poller() {
    while (pending_poll* p = polls_.pop_front()) {
        p->destroyed = true;
        p->stop.request_stop();
    }
}

template <class Socket>
void basic_poller<Socket>::add(Socket& s, short events) {
    if ((events & (ZMQ_POLLIN | ZMQ_POLLOUT)) == 0)
        throw std::invalid_argument(std::string(poller_name<Socket>) +
                                    "::add: events must include ZMQ_POLLIN or ZMQ_POLLOUT");
    // By identity, which follows the socket when it is moved.
    for (auto& r : items_) {
        if (r.identity == s.identity()) {
            r.events = events;
            return;
        }
    }
    items_.push_back({s.identity(), &s, events});
}

template <class Socket>
void basic_poller<Socket>::remove(Socket& s) noexcept {
    // Also what was registered as s before s was assigned another socket
    // (closing the registered one): that entry could be named no other way.
    std::erase_if(items_, [&](const registration& r) {
        return r.identity == s.identity() || (r.added_as == &s && !r.identity->handle);
    });
}

template <class Socket>
typename basic_poller<Socket>::result basic_poller<Socket>::ready_now() const {
    result ready;
    for (const auto& r : items_) {
        if (!r.identity->handle)
            throw socket_closed(std::string(poller_name<Socket>) + "::poll: registered " + Socket::class_name + "(" +
                                r.identity->name + ")");
        Socket* sock = r.identity->owner;
        const short events = static_cast<short>(sock->get(zmq::sockopt::events) & r.events);
        if (events) ready.add({sock, events});
    }
    return ready;
}

template <class Socket>
task<typename basic_poller<Socket>::result> basic_poller<Socket>::poll(std::stop_token token) {
    return poll(std::nullopt, std::move(token));
}

template <class Socket>
task<typename basic_poller<Socket>::result> basic_poller<Socket>::poll(duration timeout, std::stop_token token) {
    return poll(std::optional<duration>(timeout), std::move(token));
}

namespace {
// Waits for the first socket to be ready; true if one was, false on timeout.
template <class Socket>
task<bool> first_ready(std::vector<typename Socket::template awaiter<typename Socket::wait_op>> waits) {
    try {
        co_await when_any(std::move(waits));
    } catch (const timed_out&) {
        co_return false;
    }
    co_return true;
}
}  // namespace

template <class Socket>
task<typename basic_poller<Socket>::result> basic_poller<Socket>::poll(std::optional<duration> timeout,
                                                                     std::stop_token token) {
    if (items_.empty()) throw std::logic_error(std::string(poller_name<Socket>) + "::poll: no sockets registered");
    if (auto ready = ready_now(); !ready.empty()) co_return ready;
    std::vector<typename Socket::template awaiter<typename Socket::wait_op>> waits;
    waits.reserve(items_.size());
    for (const auto& r : items_) {
        Socket* sock = r.identity->owner;
        waits.push_back(timeout ? sock->wait(r.events, *timeout, token) : sock->wait(r.events, token));
    }
    pending_poll me;
    polls_.push_back(&me);
    detail::result<bool> any_ready;
    try {
        const bool ready = co_await first_ready<Socket>(std::move(waits)).with_stop_token(me.stop.get_token());
        any_ready.set_value(ready);
    } catch (...) {
        any_ready.set_exception(std::current_exception());
    }
    // From here on, `this` may be gone: only `me` tells.
    if (me.destroyed) throw object_destroyed(std::string(poller_name<Socket>) + "::poll");
    polls_.erase(&me);
    if (!any_ready.get()) co_return result{};
    co_return ready_now();
}

template class basic_poller<socket>;
template class basic_poller<zmtp::socket>;

}  // namespace zring
