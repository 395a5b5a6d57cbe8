#pragma once
// The receiving side of every ZeroMQ benchmark, one loop per variant, over
// the same sockets, set up the same way:
//   raw          blocking libzmq recv, a thread per socket: the baseline
//   zring        a coroutine per socket awaiting zring::socket::recv, one scheduler
//                on the io_uring backend
//   zring-epoll  the same on the epoll backend
//   asio-drain   an Asio coroutine per socket on ZMQ_FD: recv with DONTWAIT until
//                EAGAIN, read ZMQ_EVENTS only then, async_wait on the fd
//   asio-events  the same, reading ZMQ_EVENTS before every recv (the common way)
// The Asio variants exist where Boost.Asio is installed (libboost-dev) and
// supports C++20 coroutines with this compiler (Boost 1.74 does with g++,
// not with clang).

#include <zring/zring.hpp>

#if __has_include(<boost/asio.hpp>)
#include <boost/asio/detail/config.hpp>
#endif
#if defined(BOOST_ASIO_HAS_CO_AWAIT)
#define ZRING_BENCH_HAVE_ASIO 1
#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/use_awaitable.hpp>
#else
#define ZRING_BENCH_HAVE_ASIO 0
#endif

#include <zmq.hpp>

#include <cerrno>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace bench {

// zring's variants, one per scheduler backend, and the backend of each.
inline const std::vector<std::pair<std::string, zring::backend>>& zring_variants() {
    static const std::vector<std::pair<std::string, zring::backend>> v{{"zring", zring::backend::io_uring},
                                                                       {"zring-epoll", zring::backend::epoll}};
    return v;
}
inline bool is_zring(const std::string& variant) {
    for (const auto& [name, b] : zring_variants())
        if (name == variant) return true;
    return false;
}
// The scheduler a zring variant measures.
inline zring::scheduler_options scheduler_options_for(const std::string& variant) {
    for (const auto& [name, b] : zring_variants())
        if (name == variant) return {.backend = b};
    throw std::invalid_argument("not a zring variant: " + variant);
}

inline std::vector<std::string> zmq_variants() {
    std::vector<std::string> v{"raw", "zring", "zring-epoll"};
    if (ZRING_BENCH_HAVE_ASIO) v.insert(v.end(), {"asio-drain", "asio-events"});
    return v;
}

struct receive_setup {
    zmq::context_t& context;
    zmq::socket_type type;
    int sockets = 1;
    // Binds, connects or subscribes socket `index`; runs on the calling thread.
    std::function<void(zmq::socket_ref, int index)> configure;
    // Runs once every socket is configured and every receiver is about to wait.
    std::function<void()> ready;
};

// Receives on every socket of the setup with the variant's loop, calling
// on_message(index) after each message, until one call returns false. With
// several raw sockets on_message runs on several threads at once.
template <class OnMessage>
void receive(const std::string& variant, const receive_setup& setup, OnMessage on_message);

namespace detail {

template <class OnMessage>
void raw_loop(zmq::socket_t& s, int index, OnMessage& on_message) {
    zmq::message_t m;
    do {
        if (!s.recv(m)) throw std::runtime_error("raw recv: EAGAIN without a timeout");
    } while (on_message(index));
}

template <class OnMessage>
void receive_raw(const receive_setup& setup, OnMessage& on_message) {
    std::vector<zmq::socket_t> sockets;
    for (int i = 0; i < setup.sockets; ++i) {
        sockets.emplace_back(setup.context, setup.type);
        setup.configure(sockets.back(), i);
    }
    setup.ready();
    if (setup.sockets == 1) return raw_loop(sockets.front(), 0, on_message);
    // The first thread to finish shuts the context down: the others leave
    // their blocking recv with ETERM.
    std::vector<std::thread> threads;
    for (int i = 0; i < setup.sockets; ++i) {
        threads.emplace_back([&, i] {
            try {
                raw_loop(sockets[static_cast<std::size_t>(i)], i, on_message);
            } catch (const zmq::error_t& e) {
                if (e.num() == ETERM) return;
                throw;
            }
            setup.context.shutdown();
        });
    }
    for (auto& t : threads) t.join();
}

// Like raw_loop, it reuses one message.
template <class OnMessage>
zring::task<void> zring_loop(zring::socket& s, int index, OnMessage& on_message) {
    zmq::message_t m;
    do {
        co_await s.recv(m);
    } while (on_message(index));
    s.get_scheduler().stop();
}

template <class OnMessage>
void receive_zring(zring::scheduler_options options, const receive_setup& setup, OnMessage& on_message) {
    zring::scheduler scheduler(options);
    std::vector<std::unique_ptr<zring::socket>> sockets;
    for (int i = 0; i < setup.sockets; ++i) {
        sockets.push_back(std::make_unique<zring::socket>(scheduler, setup.context, setup.type));
        setup.configure(sockets.back()->native(), i);
        zring::spawn(scheduler, zring_loop(*sockets.back(), i, on_message));
    }
    scheduler.call_soon(setup.ready);  // after every receiver's first attempt
    scheduler.run();
}

#if ZRING_BENCH_HAVE_ASIO
namespace asio = boost::asio;

// ZMQ_FD belongs to libzmq: the descriptor is released, never closed.
struct borrowed_fd {
    asio::posix::stream_descriptor fd;
    borrowed_fd(asio::io_context& io, zmq::socket_t& s) : fd(io, s.get(zmq::sockopt::fd)) {}
    ~borrowed_fd() { fd.release(); }
};

template <class OnMessage>
asio::awaitable<void> asio_loop(asio::io_context& io, zmq::socket_t& s, asio::posix::stream_descriptor& fd, int index,
                                bool drain, OnMessage& on_message) {
    zmq::message_t m;
    for (;;) {
        if (drain) {
            while (s.recv(m, zmq::recv_flags::dontwait)) {
                if (!on_message(index)) co_return io.stop();
            }
            if (s.get(zmq::sockopt::events) & ZMQ_POLLIN) continue;
        } else if (s.get(zmq::sockopt::events) & ZMQ_POLLIN) {
            if (s.recv(m, zmq::recv_flags::dontwait) && !on_message(index)) co_return io.stop();
            continue;
        }
        co_await fd.async_wait(asio::posix::stream_descriptor::wait_read, asio::use_awaitable);
    }
}

template <class OnMessage>
void receive_asio(const receive_setup& setup, bool drain, OnMessage& on_message) {
    asio::io_context io(1);  // one thread: Asio may skip its locking
    std::vector<zmq::socket_t> sockets;
    std::vector<std::unique_ptr<borrowed_fd>> fds;
    for (int i = 0; i < setup.sockets; ++i) {
        sockets.emplace_back(setup.context, setup.type);
        setup.configure(sockets.back(), i);
    }
    for (int i = 0; i < setup.sockets; ++i) {
        auto& s = sockets[static_cast<std::size_t>(i)];
        fds.push_back(std::make_unique<borrowed_fd>(io, s));
        asio::co_spawn(io, asio_loop(io, s, fds.back()->fd, i, drain, on_message), asio::detached);
    }
    asio::post(io, setup.ready);
    io.run();
}
#endif

}  // namespace detail

template <class OnMessage>
void receive(const std::string& variant, const receive_setup& setup, OnMessage on_message) {
    if (variant == "raw") return detail::receive_raw(setup, on_message);
    if (is_zring(variant)) return detail::receive_zring(scheduler_options_for(variant), setup, on_message);
#if ZRING_BENCH_HAVE_ASIO
    if (variant == "asio-drain") return detail::receive_asio(setup, true, on_message);
    if (variant == "asio-events") return detail::receive_asio(setup, false, on_message);
#endif
    throw std::invalid_argument("unknown variant " + variant);
}

}  // namespace bench
