#pragma once
// The operations of both sockets, each one DONTWAIT attempt: 0 on success,
// or a zmq errno. socket_awaiter drives them. They reach the engine through
// the calls below: libzmq's for a void* handle, the native engine's (found
// by argument-dependent lookup) for its own.

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <cerrno>
#include <cstddef>
#include <new>
#include <utility>
#include <vector>

namespace zring::detail {

inline int msg_recv(void* raw, zmq_msg_t* message, int flags) noexcept {
    return zmq_msg_recv(message, raw, flags) >= 0 ? 0 : zmq_errno();
}
inline int msg_send(void* raw, zmq_msg_t* message, int flags) noexcept {
    return zmq_msg_send(message, raw, flags) >= 0 ? 0 : zmq_errno();
}
inline bool msg_more(void*, zmq_msg_t* message) noexcept { return zmq_msg_more(message) != 0; }
inline int socket_events(void* raw, int& events) noexcept {
    std::size_t size = sizeof events;
    return zmq_getsockopt(raw, ZMQ_EVENTS, &events, &size) == 0 ? 0 : zmq_errno();
}

// `fresh_eagain`: an attempt that fails with EAGAIN has processed libzmq's
// pending commands unthrottled, as reading ZMQ_EVENTS does (a receive does;
// a send throttles them, so its EAGAIN proves nothing about ZMQ_FD).

struct socket_recv_op {
    static constexpr bool inbound = true;
    static constexpr bool fresh_eagain = true;
    static constexpr const char* name = "recv";
    ::zmq::message_t message;
    template <class Raw>
    int attempt(Raw raw) noexcept {
        return msg_recv(raw, message.handle(), ZMQ_DONTWAIT);
    }
    ::zmq::message_t result() noexcept { return std::move(message); }
};

struct socket_recv_into_op {
    static constexpr bool inbound = true;
    static constexpr bool fresh_eagain = true;
    static constexpr const char* name = "recv";
    ::zmq::message_t* message;
    template <class Raw>
    int attempt(Raw raw) noexcept {
        return msg_recv(raw, message->handle(), ZMQ_DONTWAIT);
    }
    void result() noexcept {}
};

struct socket_recv_multipart_op {
    static constexpr bool inbound = true;
    static constexpr bool fresh_eagain = true;
    static constexpr const char* name = "recv_multipart";
    std::vector<::zmq::message_t> parts;
    template <class Raw>
    int attempt(Raw raw) noexcept;
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
    template <class Raw>
    int attempt(Raw raw) noexcept {
        return msg_send(raw, message.handle(), flags | ZMQ_DONTWAIT);
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
    template <class Raw>
    int attempt(Raw raw) noexcept;
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
    template <class Raw>
    int attempt(Raw raw) noexcept {
        int current = 0;
        if (const int rc = socket_events(raw, current)) return rc;
        ready = static_cast<short>(current & events);
        return ready ? 0 : EAGAIN;
    }
    short result() noexcept { return ready; }
};

template <class Raw>
int socket_recv_multipart_op::attempt(Raw raw) noexcept {
    ::zmq::message_t frame;
    if (const int rc = msg_recv(raw, frame.handle(), ZMQ_DONTWAIT)) return rc;
    parts.clear();
    // Both engines deliver a multipart message atomically: the rest is
    // queued. A signal (EINTR) must not split it: take the frame again.
    // Where there is no memory to keep a frame, the rest is still taken, so
    // the next receive starts at a message boundary: the message is dropped
    // whole and the waiter gets ENOMEM.
    int stored = 0;
    for (;;) {
        const bool more = msg_more(raw, frame.handle());
        if (stored == 0) {
            try {
                parts.push_back(std::move(frame));
            } catch (const std::bad_alloc&) {
                stored = ENOMEM;
                parts.clear();
            }
        }
        if (!more) return stored;
        frame.rebuild();
        while (const int rc = msg_recv(raw, frame.handle(), 0))
            if (rc != EINTR) return rc;
    }
}

template <class Raw>
int socket_send_multipart_op::attempt(Raw raw) noexcept {
    // A frame the engine refuses (EAGAIN) is left as it was; one it takes is emptied.
    std::vector<::zmq::message_t>& frames = borrowed ? *borrowed : parts;
    if (frames.empty()) return EINVAL;
    for (; next < frames.size(); ++next) {
        const int more = next + 1 < frames.size() ? ZMQ_SNDMORE : 0;
        if (const int rc = msg_send(raw, frames[next].handle(), more | ZMQ_DONTWAIT)) return rc;
    }
    return 0;
}

}  // namespace zring::detail
