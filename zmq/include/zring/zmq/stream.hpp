#pragma once
// stream: callbacks over a socket, for people coming from pyzmq's ZMQStream.
//
//     zring::stream s(std::make_unique<zring::socket>(sched, ctx, zmq::socket_type::router));
//     s.on_recv([&](zring::stream::message& m) { s.send_multipart(std::move(m)); });
//
// A coroutine on the socket's scheduler receives every multipart message and
// calls the callback; sends are queued and written in order by another,
// which waits through backpressure. An exception escaping the callback goes
// to the scheduler's exception handler, and receiving goes on.

#include <zring/coro/event.hpp>
#include <zring/coro/task.hpp>
#include <zring/zmq/socket.hpp>

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace zring {

class stream {
public:
    using message = std::vector<zmq::message_t>;

    // Takes the socket over; it is closed with the stream.
    explicit stream(std::unique_ptr<socket> s);
    ~stream() { close(); }
    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;

    socket& get_socket() const noexcept { return *state_->sock; }

    // Starts (or redirects) delivery of every message to callback.
    void on_recv(std::function<void(message&)> callback);
    // Stops delivery; messages stay queued in the socket for later.
    void stop_on_recv() noexcept;
    bool receiving() const noexcept { return static_cast<bool>(state_->recv_stop); }

    // Queue a message for sending. Throws socket_closed after close().
    void send(std::string_view frame);
    void send(zmq::message_t frame);
    void send_multipart(message frames);
    std::size_t queued() const noexcept { return state_->outbox.size(); }
    // Completes once every queued message was handed to libzmq.
    task<void> flush();

    // Stops receiving and closes the socket; messages still queued here (not
    // yet flushed) are dropped.
    void close() noexcept;
    bool closed() const noexcept { return state_->closed; }

private:
    struct state {
        std::unique_ptr<socket> sock;
        std::function<void(message&)> callback;
        std::unique_ptr<std::stop_source> recv_stop;  // of the running receive loop
        std::deque<message> outbox;
        bool sending = false;
        event drained{true};
        bool closed = false;
    };
    static task<void> receive_loop(std::shared_ptr<state> st, std::stop_token token);
    static task<void> send_loop(std::shared_ptr<state> st);

    // Shared with the coroutines, which may outlive the stream object.
    std::shared_ptr<state> state_;
};

}  // namespace zring
