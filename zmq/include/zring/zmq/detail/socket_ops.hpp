#pragma once
// The operations of zring::socket, each one DONTWAIT attempt: 0 on success,
// or a zmq errno. socket_awaiter drives them.

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <cstddef>
#include <utility>
#include <vector>

namespace zring::detail {

// `fresh_eagain`: an attempt that fails with EAGAIN has processed libzmq's
// pending commands unthrottled, as reading ZMQ_EVENTS does (a receive does;
// a send throttles them, so its EAGAIN proves nothing about ZMQ_FD).

struct socket_recv_op {
    static constexpr bool inbound = true;
    static constexpr bool fresh_eagain = true;
    static constexpr const char* name = "recv";
    ::zmq::message_t message;
    int attempt(void* raw) noexcept { return zmq_msg_recv(message.handle(), raw, ZMQ_DONTWAIT) >= 0 ? 0 : zmq_errno(); }
    ::zmq::message_t result() noexcept { return std::move(message); }
};

struct socket_recv_into_op {
    static constexpr bool inbound = true;
    static constexpr bool fresh_eagain = true;
    static constexpr const char* name = "recv";
    ::zmq::message_t* message;
    int attempt(void* raw) noexcept {
        return zmq_msg_recv(message->handle(), raw, ZMQ_DONTWAIT) >= 0 ? 0 : zmq_errno();
    }
    void result() noexcept {}
};

struct socket_recv_multipart_op {
    static constexpr bool inbound = true;
    static constexpr bool fresh_eagain = true;
    static constexpr const char* name = "recv_multipart";
    std::vector<::zmq::message_t> parts;
    int attempt(void* raw) noexcept;
    std::vector<::zmq::message_t> result() noexcept { return std::move(parts); }
};

struct socket_recv_multipart_into_op : socket_recv_multipart_op {
    ::zmq::multipart_t* into;
    explicit socket_recv_multipart_into_op(::zmq::multipart_t* m) noexcept : into(m) {}
    // Built aside and moved in: out of memory, the caller's multipart keeps
    // what it held (the message is lost with std::bad_alloc).
    void result() {
        ::zmq::multipart_t received;
        for (auto& part : parts) received.add(std::move(part));
        *into = std::move(received);
    }
};

struct socket_send_op {
    static constexpr bool inbound = false;
    static constexpr bool fresh_eagain = false;
    static constexpr const char* name = "send";
    ::zmq::message_t message;
    int flags = 0;
    int attempt(void* raw) noexcept {
        return zmq_msg_send(message.handle(), raw, flags | ZMQ_DONTWAIT) >= 0 ? 0 : zmq_errno();
    }
    void result() noexcept {}
};

struct socket_send_multipart_op {
    static constexpr bool inbound = false;
    static constexpr bool fresh_eagain = false;
    static constexpr const char* name = "send_multipart";
    std::vector<::zmq::message_t> parts;
    // The caller's frames, sent from where they are, so that a timeout
    // leaves them as they were; else the op's own.
    std::vector<::zmq::message_t>* borrowed = nullptr;
    std::size_t next = 0;  // frames before it are sent: resumes mid-message
    int attempt(void* raw) noexcept;
    void result() noexcept {
        if (borrowed) borrowed->clear();  // every frame went out, leaving it empty
    }
};

struct socket_wait_op {
    static constexpr const char* name = "wait";
    static constexpr bool fresh_eagain = true;  // the attempt reads ZMQ_EVENTS
    short events = 0;
    short ready = 0;
    bool inbound = true;
    int attempt(void* raw) noexcept;
    short result() noexcept { return ready; }
};

}  // namespace zring::detail
