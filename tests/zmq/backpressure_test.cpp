#include "zmq_fixture.hpp"
#include "wait_until.hpp"

#include <zring/coro/when_all.hpp>
#include <zring/io/timer.hpp>
#include <zring/zmq/socket.hpp>

#include <catch2/catch.hpp>

#include <cstring>

using namespace std::chrono_literals;
using zring_test::bind_ephemeral_tcp;
using zring_test::unique_inproc;

namespace {
zmq::message_t number(int i) { return zmq::message_t(&i, sizeof i); }
int number(const zmq::message_t& m) {
    int i;
    std::memcpy(&i, m.data(), sizeof i);
    return i;
}
}  // namespace

TEST_CASE("send suspends at the high-water mark until the receiver makes room", "[zmq][backpressure]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull), push(s, ctx, zmq::socket_type::push);
    push.set(zmq::sockopt::sndhwm, 10);
    pull.set(zmq::sockopt::rcvhwm, 10);
    const auto ep = unique_inproc("hwm");
    pull.bind(ep);
    push.connect(ep);
    constexpr int total = 10'000;
    int sent = 0;
    auto sender = [&]() -> zring::task<void> {
        for (int i = 0; i < total; ++i) {
            co_await push.send(number(i));
            ++sent;
        }
    };
    auto receiver = [&]() -> zring::task<int> {
        // The sender ran first, until the high-water marks (10 + 10 over
        // inproc) held it back: not failed, not dropped, not unbounded.
        CHECK(sent >= 10);
        CHECK(sent < 100);
        int in_order = 0;
        for (int i = 0; i < total; ++i) in_order += number(co_await pull.recv()) == i;
        co_return in_order;
    };
    auto [unused, in_order] = zring_test::run(s, zring::when_all(sender(), receiver()));
    CHECK(sent == total);
    CHECK(in_order == total);
}

TEST_CASE("PUSH/PULL over tcp with a slow receiver loses nothing", "[zmq][backpressure]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull), push(s, ctx, zmq::socket_type::push);
    push.set(zmq::sockopt::sndhwm, 100);
    pull.set(zmq::sockopt::rcvhwm, 100);
    push.connect(bind_ephemeral_tcp(pull));
    constexpr int total = 50'000;
    int sent = 0;
    auto sender = [&]() -> zring::task<void> {
        for (; sent < total; ++sent) co_await push.send(number(sent));
    };
    int waits_seen = 0;
    auto receiver = [&]() -> zring::task<int> {
        int in_order = 0;
        for (int i = 0; i < total; ++i) {
            if (i % 5000 == 0) {  // slow: the sender fills the pipe (and the kernel's buffers) and waits
                co_await zring_test::until("the sender waits or is done",
                                           [&] { return push.waiting_to_send() == 1 || sent == total; });
                waits_seen += push.waiting_to_send() == 1;
            }
            in_order += number(co_await pull.recv()) == i;
        }
        co_return in_order;
    };
    auto [unused, in_order] = zring_test::run(s, zring::when_all(sender(), receiver()));
    CHECK(in_order == total);
    CHECK(waits_seen > 0);  // the receiver was slow enough to hold the sender back
}

TEST_CASE("PUB drops at its high-water mark instead of blocking", "[zmq][backpressure]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pub(s, ctx, zmq::socket_type::pub), sub(s, ctx, zmq::socket_type::sub);
    pub.set(zmq::sockopt::sndhwm, 10);
    sub.set(zmq::sockopt::rcvhwm, 10);
    const auto ep = unique_inproc("pubhwm");
    pub.bind(ep);
    sub.connect(ep);
    sub.subscribe("");
    constexpr int total = 10'000;
    auto run = [&]() -> zring::task<int> {
        for (;;) {
            co_await pub.send(number(-1));
            const bool timed_out = co_await zring_test::throws<zring::timed_out>(sub.recv(5ms));
            if (!timed_out) break;
        }
        // Nobody reads while the publisher sends everything: it never waits.
        for (int i = 0; i < total; ++i) co_await pub.send(number(i));
        int received = 0;
        for (;;) {
            zmq::message_t m;
            const bool timed_out = co_await zring_test::throws<zring::timed_out>(sub.recv(m, 50ms));
            if (timed_out) break;
            if (number(m) >= 0) ++received;
        }
        co_return received;
    };
    const int received = zring_test::run(s, run());
    CHECK(received > 0);
    CHECK(received < total);  // the rest was dropped at the high-water marks
}
