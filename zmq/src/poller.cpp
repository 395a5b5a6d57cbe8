#include <zring/coro/when_any.hpp>
#include <zring/zmq/poller.hpp>

#include <algorithm>
#include <stdexcept>

namespace zring {

void poller::add(socket& s, short events) {
    if ((events & (ZMQ_POLLIN | ZMQ_POLLOUT)) == 0)
        throw std::invalid_argument("zring::poller::add: events must include ZMQ_POLLIN or ZMQ_POLLOUT");
    for (auto& i : items_) {
        if (i.sock == &s) {
            i.events = events;
            return;
        }
    }
    items_.push_back({&s, events});
}

void poller::remove(socket& s) noexcept {
    std::erase_if(items_, [&](const item& i) { return i.sock == &s; });
}

std::vector<poller::item> poller::ready_now() const {
    std::vector<item> ready;
    for (const auto& i : items_) {
        const short events = static_cast<short>(i.sock->get(zmq::sockopt::events) & i.events);
        if (events) ready.push_back({i.sock, events});
    }
    return ready;
}

task<std::vector<poller::item>> poller::poll(std::stop_token token) { return poll(std::nullopt, std::move(token)); }

task<std::vector<poller::item>> poller::poll(socket::duration timeout, std::stop_token token) {
    return poll(std::optional<socket::duration>(timeout), std::move(token));
}

task<std::vector<poller::item>> poller::poll(std::optional<socket::duration> timeout, std::stop_token token) {
    if (items_.empty()) throw std::logic_error("zring::poller::poll: no sockets registered");
    if (auto ready = ready_now(); !ready.empty()) co_return ready;
    if (!token.stop_possible()) token = co_await get_stop_token();
    std::vector<socket::awaiter<socket::wait_op>> waits;
    waits.reserve(items_.size());
    for (const auto& i : items_)
        waits.push_back(timeout ? i.sock->wait(i.events, *timeout, token) : i.sock->wait(i.events, token));
    try {
        co_await when_any(std::move(waits));
    } catch (const timed_out&) {
        co_return std::vector<item>{};
    }
    co_return ready_now();
}

}  // namespace zring
