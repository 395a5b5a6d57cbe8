#include "zmq_fixture.hpp"

#include <zring/coro/when_all.hpp>
#include <zring/coro/when_any.hpp>
#include <zring/io/timer.hpp>
#include <zring/zmq/monitor.hpp>
#include <zring/zmq/poller.hpp>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using zring_test::bind_ephemeral_tcp;
using zring_test::unique_inproc;

TEST_CASE("a monitor reports a connection being accepted and lost", "[zmq][monitor]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket server(s, ctx, zmq::socket_type::pull);
    zring::monitor events(server, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED);
    const auto ep = bind_ephemeral_tcp(server);
    auto client = std::make_unique<zring::socket>(s, ctx, zmq::socket_type::push);
    auto t = [&]() -> zring::task<std::vector<std::string>> {
        std::vector<std::string> seen;
        client->connect(ep);
        seen.push_back((co_await events.next(5s)).name());
        client.reset();  // closing the peer disconnects it
        auto e = co_await events.next(5s);
        seen.push_back(e.name());
        CHECK_THAT(e.address, Catch::StartsWith("tcp://127.0.0.1:"));
        co_return seen;
    };
    CHECK(zring_test::run(s, t()) == std::vector<std::string>{"accepted", "disconnected"});
}

TEST_CASE("a poller reports every ready socket and consumes nothing", "[zmq][poller]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket a(s, ctx, zmq::socket_type::pull), b(s, ctx, zmq::socket_type::pull),
        c(s, ctx, zmq::socket_type::pull);
    zring::socket to_a(s, ctx, zmq::socket_type::push), to_c(s, ctx, zmq::socket_type::push);
    const auto ea = unique_inproc("poll-a"), eb = unique_inproc("poll-b"), ec = unique_inproc("poll-c");
    a.bind(ea);
    b.bind(eb);
    c.bind(ec);
    to_a.connect(ea);
    to_c.connect(ec);
    zring::poller p;
    p.add(a, ZMQ_POLLIN);
    p.add(b, ZMQ_POLLIN);
    p.add(c, ZMQ_POLLIN);
    auto t = [&]() -> zring::task<void> {
        auto sender = [&]() -> zring::task<void> {
            // The poll waits on every socket before anything arrives.
            REQUIRE((a.waiting_to_receive() == 1 && b.waiting_to_receive() == 1 && c.waiting_to_receive() == 1));
            co_await to_a.send("for a");
            co_await to_c.send("for c");
        };
        auto [ready, unused] = co_await zring::when_all(p.poll(), sender());
        REQUIRE_FALSE(ready.empty());
        CHECK(ready[0].sock == &a);
        // Still there: the poll consumed nothing.
        const auto kept = (co_await a.recv()).to_string();
        CHECK(kept == "for a");
        auto again = co_await p.poll();
        REQUIRE(again.size() == 1);
        CHECK(again[0].sock == &c);
        CHECK(again[0].events == ZMQ_POLLIN);
        // Looked up by socket, as pyzmq's dict(poller.poll()).
        CHECK(again.ready(c) == ZMQ_POLLIN);
        CHECK(again.ready(a) == 0);
        CHECK(again.ready(b) == 0);
        CHECK(again.ready(to_a) == 0);  // not registered
        int seen = 0;
        for (const auto& item : again) seen += item.sock == &c;
        CHECK(seen == 1);
    };
    zring_test::run(s, t());
}

TEST_CASE("a poller with a timeout returns empty when nothing is ready", "[zmq][poller]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket a(s, ctx, zmq::socket_type::pull);
    a.bind(unique_inproc("poll-empty"));
    zring::poller p;
    p.add(a, ZMQ_POLLIN);
    CHECK(zring_test::run(s, p.poll(3ms)).empty());
    zring::poller none;
    CHECK_THROWS_AS(zring_test::run(s, none.poll()), std::logic_error);
    CHECK_THROWS_AS(p.add(a, 0), std::invalid_argument);
}

TEST_CASE("when_any over socket waits picks the first readable socket", "[zmq][poller]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket a(s, ctx, zmq::socket_type::pull), b(s, ctx, zmq::socket_type::pull);
    zring::socket to_b(s, ctx, zmq::socket_type::push);
    a.bind(unique_inproc("any-a"));
    const auto eb = unique_inproc("any-b");
    b.bind(eb);
    to_b.connect(eb);
    auto t = [&]() -> zring::task<std::size_t> {
        auto sender = [&]() -> zring::task<void> {
            REQUIRE((a.waiting_to_receive() == 1 && b.waiting_to_receive() == 1));
            co_await to_b.send("x");
        };
        auto [r, unused] = co_await zring::when_all(zring::when_any(a.wait(ZMQ_POLLIN), b.wait(ZMQ_POLLIN)), sender());
        const auto kept = (co_await b.recv()).to_string();
        CHECK(kept == "x");
        co_return r.index();
    };
    CHECK(zring_test::run(s, t()) == 1);
}
