#pragma once
// The Boost.Beast baselines' server (http, ws), where Boost is installed:
// one thread, an Asio io_context (epoll), a coroutine per connection.

#include <utility>  // before Asio, whose awaitable.hpp uses std::exchange without it

#if __has_include(<boost/beast.hpp>)
#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include <iostream>

#define ZRING_BENCH_BEAST 1

namespace bench::beast_server {

namespace asio = boost::asio;
using session = asio::awaitable<void> (*)(asio::ip::tcp::socket);

inline asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, session serve_one) {
    for (;;) {
        asio::ip::tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
        socket.set_option(asio::ip::tcp::no_delay(true));
        asio::co_spawn(acceptor.get_executor(), serve_one(std::move(socket)), asio::detached);
    }
}

// Serves each connection to an ephemeral loopback port with serve_one,
// having said "listening on PORT", until killed.
inline int serve(session serve_one) {
    asio::io_context io(1);
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    std::cout << "listening on " << acceptor.local_endpoint().port() << std::endl;
    asio::co_spawn(io, accept_loop(acceptor, serve_one), asio::detached);
    io.run();
    return 0;
}

}  // namespace bench::beast_server
#endif
