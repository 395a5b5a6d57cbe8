// Sockets where io_uring is refused: the scheduler falls back to epoll and
// ZeroMQ works the same (the whole suite also runs on epoll in CI).

#include "in_child.hpp"
#include "zmq_fixture.hpp"

#include <zring/coro/when_any.hpp>
#include <zring/io/timer.hpp>
#include <zring/zmq/socket.hpp>

#include <catch2/catch.hpp>

#include <cerrno>
#include <string>

using namespace std::chrono_literals;

TEST_CASE("where io_uring is refused, sockets on an automatic scheduler complete a pub/sub exchange",
          "[zmq][backend]") {
    const int status = zring_test::in_child_refusing(zring_test::io_uring_syscalls, EPERM, [] {
        ::unsetenv("ZRING_BACKEND");
        zmq::context_t ctx;
        zring::scheduler s;
        if (s.backend() != zring::backend::epoll) return 1;
        zring::socket pub(s, ctx, zmq::socket_type::pub), sub(s, ctx, zmq::socket_type::sub);
        sub.subscribe("updates");
        sub.connect(zring_test::bind_ephemeral_tcp(pub));
        auto publish = [&]() -> zring::task<void> {
            // Until the subscription has reached the publisher and beyond:
            // the subscriber decides when this ends.
            for (int n = 1;; ++n) {
                co_await pub.send("updates " + std::to_string(n));
                co_await zring::sleep_for(2ms);
            }
        };
        auto subscribe = [&]() -> zring::task<int> {
            int previous = 0, received = 0;
            while (received < 5) {
                const std::string text = (co_await sub.recv()).to_string();
                const int n = std::stoi(text.substr(text.find(' ') + 1));
                if (n <= previous) co_return 3;  // out of order or duplicated
                previous = n;
                ++received;
            }
            co_return 0;
        };
        auto exchange = [&]() -> zring::task<int> {
            auto first = co_await zring::when_any(subscribe(), publish());
            co_return first.index() == 0 ? std::get<0>(first) : 4;
        };
        return zring_test::run(s, exchange(), 10s);
    });
    CHECK(status == 0);
}
