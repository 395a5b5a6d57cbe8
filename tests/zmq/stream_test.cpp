#include "zmq_fixture.hpp"

#include <zring/coro/event.hpp>
#include <zring/coro/when_all.hpp>
#include <zring/zmq/stream.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

using zring_test::unique_inproc;

TEST_CASE("a stream calls on_recv for every multipart message", "[zmq][stream]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::stream in(std::make_unique<zring::socket>(s, ctx, zmq::socket_type::pull));
    zring::socket out(s, ctx, zmq::socket_type::push);
    const auto ep = unique_inproc("stream");
    in.get_socket().bind(ep);
    out.connect(ep);
    std::vector<std::string> got;
    zring::event all_in;
    in.on_recv([&](zring::stream::message& m) {
        got.push_back(m[0].to_string() + "+" + std::to_string(m.size()));
        if (got.size() == 100) all_in.set();
    });
    auto t = [&]() -> zring::task<void> {
        for (int i = 0; i < 100; ++i) {
            const std::vector<std::string> frames{std::to_string(i), "tail"};
            co_await out.send_multipart(frames);
        }
        co_await all_in;
    };
    zring_test::run(s, t());
    REQUIRE(got.size() == 100);
    CHECK(got[0] == "0+2");
    CHECK(got[99] == "99+2");
}

TEST_CASE("stop_on_recv leaves later messages in the socket", "[zmq][stream]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::stream in(std::make_unique<zring::socket>(s, ctx, zmq::socket_type::pull));
    zring::socket out(s, ctx, zmq::socket_type::push);
    const auto ep = unique_inproc("stream-stop");
    in.get_socket().bind(ep);
    out.connect(ep);
    zring::event first_in;
    int calls = 0;
    in.on_recv([&](zring::stream::message&) {
        ++calls;
        in.stop_on_recv();
        first_in.set();
    });
    auto t = [&]() -> zring::task<std::string> {
        co_await out.send("one");
        co_await first_in;
        CHECK_FALSE(in.receiving());
        co_await out.send("two");
        co_return (co_await in.get_socket().recv()).to_string();
    };
    CHECK(zring_test::run(s, t()) == "two");
    CHECK(calls == 1);
}

TEST_CASE("stream sends are queued, written in order, and flushed", "[zmq][stream]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::stream out(std::make_unique<zring::socket>(s, ctx, zmq::socket_type::push));
    zring::socket in(s, ctx, zmq::socket_type::pull);
    const auto ep = unique_inproc("stream-send");
    in.bind(ep);
    out.get_socket().set(zmq::sockopt::sndhwm, 5);
    in.set(zmq::sockopt::rcvhwm, 5);
    out.get_socket().connect(ep);
    for (int i = 0; i < 50; ++i) out.send(std::to_string(i));
    CHECK(out.queued() == 50);
    auto t = [&]() -> zring::task<int> {
        int in_order = 0;
        for (int i = 0; i < 50; ++i) in_order += (co_await in.recv()).to_string() == std::to_string(i);
        co_await out.flush();
        CHECK(out.queued() == 0);
        co_return in_order;
    };
    CHECK(zring_test::run(s, t()) == 50);
}

TEST_CASE("a closed stream refuses sends and stops its coroutines", "[zmq][stream]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::stream st(std::make_unique<zring::socket>(s, ctx, zmq::socket_type::pull));
    st.get_socket().bind(unique_inproc("stream-close"));
    st.on_recv([](zring::stream::message&) {});
    st.close();
    CHECK(st.closed());
    CHECK_FALSE(st.get_socket().is_open());
    CHECK_THROWS_AS(st.send("x"), zring::socket_closed);
    s.call_soon([&] { s.stop(); });
    s.run();  // the receive loop ends on the closed socket
}

TEST_CASE("an exception from on_recv is reported and receiving goes on", "[zmq][stream]") {
    zmq::context_t ctx;
    zring::scheduler s;
    int reported = 0;
    s.set_exception_handler([&](std::exception_ptr) { ++reported; });
    zring::stream in(std::make_unique<zring::socket>(s, ctx, zmq::socket_type::pull));
    zring::socket out(s, ctx, zmq::socket_type::push);
    const auto ep = unique_inproc("stream-throw");
    in.get_socket().bind(ep);
    out.connect(ep);
    zring::event second;
    in.on_recv([&](zring::stream::message& m) {
        if (m[0].to_string() == "bad") throw std::runtime_error("callback failed");
        second.set();
    });
    auto t = [&]() -> zring::task<void> {
        co_await out.send("bad");
        co_await out.send("good");
        co_await second;
    };
    zring_test::run(s, t());
    CHECK(reported == 1);
}
