#pragma once
// TCP on the scheduler: Tornado's TCPServer, TCPClient and IOStream.
//
//     auto listener = zring::tcp_listener::listen(s, "127.0.0.1:0");
//     zring::tcp_stream client = co_await listener.accept();
//     zring::tcp_stream out = co_await zring::tcp_stream::connect(s, "example.com:80", 5s);
//
// Streams are byte_streams (read_some, read_until, write, ...) with
// TCP_NODELAY on, as Tornado and Asio users expect.

#include <zring/coro/task.hpp>
#include <zring/io/byte_stream.hpp>
#include <zring/io/endpoint.hpp>
#include <zring/io/stream_listener.hpp>

#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

namespace zring {

namespace detail {
template <class Stream>
struct accepted;
}

class tcp_stream : public byte_stream {
public:
    // Connects to "host:port" ("127.0.0.1:80", "[::1]:80", "localhost:80").
    // A numeric address is used as it is; a name is resolved off the loop
    // thread (getaddrinfo on the default thread pool) and each address it
    // gives is tried in turn. The timeout bounds the whole connect; a
    // resolver that hangs delays it until getaddrinfo returns (resolv.conf's
    // timeout and attempts bound that). Failures name the endpoint:
    // std::system_error with ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, ...;
    // timed_out; std::system_error(EHOSTUNREACH) for a name that resolves
    // to nothing, with the resolver's message.
    static task<tcp_stream> connect(scheduler& s, std::string host_port, std::optional<duration> timeout = {},
                                    std::stop_token token = {});
    static task<tcp_stream> connect(scheduler& s, endpoint to, std::optional<duration> timeout = {},
                                    std::stop_token token = {});

    void set_nodelay(bool on);
    bool nodelay() const;

private:
    template <class>
    friend struct detail::accepted;
    tcp_stream(scheduler& s, int fd);
};

namespace detail {

// An accept that hands over a Stream.
template <class Stream>
struct accepted : accept_waiter {
    explicit accepted(accept_waiter w) noexcept : accept_waiter(std::move(w)) {}
    Stream await_resume() {
        const int fd = take_fd();
        return Stream(home(), fd);
    }
};

}  // namespace detail

class tcp_listener : public stream_listener {
public:
    // Binds "0.0.0.0:80", "[::1]:8080", "127.0.0.1:0" (the kernel picks the
    // port: local_endpoint() says which) and listens. std::invalid_argument
    // for an endpoint that is not numeric, std::system_error (EADDRINUSE,
    // EACCES, ...) naming it if the kernel refuses.
    static tcp_listener listen(scheduler& s, std::string_view endpoint, listen_options options = {});

    // co_await l.accept() -> the next connection, a tcp_stream.
    detail::accepted<tcp_stream> accept(std::optional<duration> timeout = {}, std::stop_token token = {}) {
        return detail::accepted<tcp_stream>(accept_fd(timeout, std::move(token)));
    }

private:
    tcp_listener(scheduler& s, const endpoint& at, const listen_options& options)
        : stream_listener(s, at, options, "tcp_listener") {}
};

}  // namespace zring
