#include "zmq_fixture.hpp"

#include <zring/coro/when_all.hpp>
#include <zring/io/timer.hpp>
#include <zring/zmq/socket.hpp>

#include <catch2/catch.hpp>

#include <stop_token>
#include <string>

using namespace std::chrono_literals;
using zring_test::bind_ephemeral_tcp;

TEST_CASE("a timed-out recv consumes nothing: the next recv gets the message", "[zmq][cancel]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull), push(s, ctx, zmq::socket_type::push);
    push.connect(bind_ephemeral_tcp(pull));
    auto t = [&]() -> zring::task<std::string> {
        bool timed_out = false;
        try {
            co_await pull.recv(5ms);
        } catch (const zring::timed_out& e) {
            timed_out = true;
            CHECK_THAT(e.what(), Catch::Contains("zring::socket(PULL tcp://127.0.0.1:"));
        }
        CHECK(timed_out);
        co_await push.send("kept");
        co_return (co_await pull.recv(1s)).to_string();
    };
    CHECK(zring_test::run(s, t()) == "kept");
}

TEST_CASE("a timed-out recv into a message leaves it empty and consumes nothing", "[zmq][cancel]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull), push(s, ctx, zmq::socket_type::push);
    push.connect(bind_ephemeral_tcp(pull));
    auto t = [&]() -> zring::task<std::string> {
        zmq::message_t m("old", 3);
        const bool timed_out = co_await zring_test::throws<zring::timed_out>(pull.recv(m, 5ms));
        CHECK(timed_out);
        CHECK(m.size() == 0);
        co_await push.send("kept");
        co_await pull.recv(m, 1s);
        co_return m.to_string();
    };
    CHECK(zring_test::run(s, t()) == "kept");
}

TEST_CASE("a cancelled recv consumes nothing: the next recv gets the message", "[zmq][cancel]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull), push(s, ctx, zmq::socket_type::push);
    push.connect(bind_ephemeral_tcp(pull));
    std::stop_source source;
    auto cancelled = [&]() -> zring::task<bool> {
        try {
            co_await pull.recv(source.get_token());
        } catch (const zring::operation_cancelled&) {
            co_return true;
        }
        co_return false;
    };
    s.call_later(2ms, [&] { source.request_stop(); });
    CHECK(zring_test::run(s, cancelled()));
    auto next = [&]() -> zring::task<std::string> {
        co_await push.send("still here");
        co_return (co_await pull.recv()).to_string();
    };
    CHECK(zring_test::run(s, next()) == "still here");
}

TEST_CASE("a recv cancelled while others wait leaves the queue in order", "[zmq][cancel]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull), push(s, ctx, zmq::socket_type::push);
    push.connect(bind_ephemeral_tcp(pull));
    std::stop_source source;
    std::string first, third;
    bool second_cancelled = false;
    auto r1 = [&]() -> zring::task<void> { first = (co_await pull.recv()).to_string(); };
    auto r2 = [&]() -> zring::task<void> {
        try {
            co_await pull.recv(source.get_token());
        } catch (const zring::operation_cancelled&) {
            second_cancelled = true;
        }
    };
    auto r3 = [&]() -> zring::task<void> { third = (co_await pull.recv()).to_string(); };
    auto driver = [&]() -> zring::task<void> {
        REQUIRE(pull.waiting_to_receive() == 3);
        source.request_stop();
        co_await push.send("one");
        co_await push.send("two");
    };
    zring_test::run(s, zring::when_all(r1(), r2(), r3(), driver()));
    CHECK(second_cancelled);
    CHECK(first == "one");
    CHECK(third == "two");
}

TEST_CASE("a send with a timeout gives up when the peer does not read", "[zmq][cancel]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket push(s, ctx, zmq::socket_type::push);
    push.set(zmq::sockopt::linger, 0);
    push.bind(zring_test::unique_inproc("nobody"));  // and nobody connects: no pipe to send to
    auto t = [&]() -> zring::task<void> { co_await push.send(zmq::message_t(std::string("x")), 5ms); };
    CHECK_THROWS_AS(zring_test::run(s, t()), zring::timed_out);
}
