#include <zring/zmq/monitor.hpp>

#include <atomic>
#include <cstring>
#include <unistd.h>

namespace zring {

const char* monitor_event::name() const noexcept {
    switch (event) {
        case ZMQ_EVENT_CONNECTED: return "connected";
        case ZMQ_EVENT_CONNECT_DELAYED: return "connect_delayed";
        case ZMQ_EVENT_CONNECT_RETRIED: return "connect_retried";
        case ZMQ_EVENT_LISTENING: return "listening";
        case ZMQ_EVENT_BIND_FAILED: return "bind_failed";
        case ZMQ_EVENT_ACCEPTED: return "accepted";
        case ZMQ_EVENT_ACCEPT_FAILED: return "accept_failed";
        case ZMQ_EVENT_CLOSED: return "closed";
        case ZMQ_EVENT_CLOSE_FAILED: return "close_failed";
        case ZMQ_EVENT_DISCONNECTED: return "disconnected";
        case ZMQ_EVENT_MONITOR_STOPPED: return "monitor_stopped";
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: return "handshake_failed_no_detail";
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: return "handshake_succeeded";
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: return "handshake_failed_protocol";
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: return "handshake_failed_auth";
        default: return "unknown";
    }
}

monitor::monitor(socket& target, int mask) : target_(target.identity()) {
    static std::atomic<unsigned> counter{0};
    endpoint_ = "inproc://zring-monitor-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    void* raw = target.native("monitor").handle();
    if (zmq_socket_monitor(raw, endpoint_.c_str(), mask) != 0)
        throw socket_error(zmq_errno(), "zring::monitor(" + target.name() + ")");
    // The PAIR end lives in the target's context, as inproc requires.
    pair_ = std::make_unique<socket>(target.get_scheduler(), target.context(), zmq::socket_type::pair);
    pair_->connect(endpoint_);
}

monitor::~monitor() {
    // A closed target stopped its monitor itself.
    if (target_->handle) zmq_socket_monitor(target_->handle, nullptr, 0);
}

monitor_event monitor::parse(std::vector<zmq::message_t>& frames) {
    monitor_event e;
    if (frames.size() >= 1 && frames[0].size() >= 6) {
        const auto* data = static_cast<const unsigned char*>(frames[0].data());
        std::memcpy(&e.event, data, sizeof e.event);
        std::memcpy(&e.value, data + 2, sizeof e.value);
    }
    if (frames.size() >= 2) e.address = frames[1].to_string();
    return e;
}

task<monitor_event> monitor::next(std::stop_token token) {
    auto frames = co_await pair_->recv_multipart(std::move(token));
    co_return parse(frames);
}

task<monitor_event> monitor::next(socket::duration timeout, std::stop_token token) {
    auto frames = co_await pair_->recv_multipart(timeout, std::move(token));
    co_return parse(frames);
}

}  // namespace zring
