#include "zmq_fixture.hpp"

#include <zring/coro/when_all.hpp>
#include <zring/io/spawn.hpp>
#include <zring/zmq/poller.hpp>
#include <zring/zmq/socket.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using zring_test::bind_ephemeral_tcp;
using zring_test::unique_inproc;

TEST_CASE("a moved socket keeps its connections; the moved-from one is closed and keeps its name",
          "[zmq][socket][move]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull), push(s, ctx, zmq::socket_type::push);
    const auto ep = unique_inproc("moved");
    pull.bind(ep);
    push.connect(ep);
    const std::string name = pull.name();
    zring::socket moved(std::move(pull));
    CHECK(moved.is_open());
    CHECK(moved.name() == name);
    CHECK_FALSE(pull.is_open());
    CHECK(pull.name() == name);
    auto t = [&]() -> zring::task<std::string> {
        co_await push.send("hello");
        co_return (co_await moved.recv(5s)).to_string();
    };
    CHECK(zring_test::run(s, t()) == "hello");
    auto stale = [&]() -> zring::task<void> { co_await pull.recv(5s); };
    try {
        zring_test::run(s, stale());
        FAIL("no exception");
    } catch (const zring::socket_closed& e) {
        CHECK_THAT(e.what(), Catch::Contains(name));
    }
}

TEST_CASE("a socket moved after waiting keeps serving its new waiters", "[zmq][socket][move]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull), push(s, ctx, zmq::socket_type::push);
    const auto ep = bind_ephemeral_tcp(pull);
    push.connect(ep);
    auto t = [&]() -> zring::task<std::vector<std::string>> {
        // Waiting arms the ZMQ_FD watch; it stays armed past the timeout.
        const auto none = co_await pull.try_recv(10ms);
        CHECK_FALSE(none.has_value());
        zring::socket moved(std::move(pull));
        auto receiver = [&]() -> zring::task<std::vector<std::string>> {
            std::vector<std::string> got;
            for (int i = 0; i < 3; ++i) got.push_back((co_await moved.recv(5s)).to_string());
            co_return got;
        };
        auto sender = [&]() -> zring::task<void> {  // starts once the receiver waits
            for (const char* m : {"a", "b", "c"}) co_await push.send(m);
        };
        auto [got, sent] = co_await zring::when_all(receiver(), sender());
        co_return got;
    };
    CHECK(zring_test::run(s, t()) == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("sockets live in a growing vector", "[zmq][socket][move]") {
    zmq::context_t ctx;
    zring::scheduler s;
    std::vector<zring::socket> pulls;
    zring::socket push(s, ctx, zmq::socket_type::push);
    constexpr int n = 20;
    for (int i = 0; i < n; ++i) {
        pulls.emplace_back(s, ctx, zmq::socket_type::pull);  // reallocates: moves the earlier ones
        const auto ep = unique_inproc("vector");
        pulls.back().bind(ep);
        push.connect(ep);
    }
    auto t = [&]() -> zring::task<int> {
        for (int i = 0; i < n; ++i) co_await push.send(std::to_string(i));  // round-robin: one each
        int received = 0;
        for (auto& p : pulls) received += (co_await p.try_recv(5s)).has_value();
        co_return received;
    };
    CHECK(zring_test::run(s, t()) == n);
}

TEST_CASE("moving a socket that a coroutine waits on throws std::logic_error naming it", "[zmq][socket][move]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull), push(s, ctx, zmq::socket_type::push);
    const auto ep = unique_inproc("waited");
    pull.bind(ep);
    push.connect(ep);
    auto receiver = [&]() -> zring::task<std::string> { co_return (co_await pull.recv(5s)).to_string(); };
    auto mover = [&]() -> zring::task<void> {
        // when_all started the receiver first: it waits now.
        CHECK_THROWS_WITH(zring::socket(std::move(pull)), Catch::Contains("PULL " + ep) && Catch::Contains("waiting"));
        zring::socket other(s, ctx, zmq::socket_type::pull);
        CHECK_THROWS_AS(other = std::move(pull), std::logic_error);
        CHECK(other.is_open());  // a refused move changes neither socket
        CHECK(pull.is_open());
        co_await push.send("still served");
    };
    auto [got, done] = zring_test::run(s, zring::when_all(receiver(), mover()));
    CHECK(got == "still served");
}

TEST_CASE("move-assigning closes the old socket: its waiters get socket_closed, its queued messages linger out",
          "[zmq][socket][move]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket sink(s, ctx, zmq::socket_type::pull);
    const auto ep = bind_ephemeral_tcp(sink);
    zring::socket push(s, ctx, zmq::socket_type::push);
    push.connect(ep);
    zring::socket idle(s, ctx, zmq::socket_type::pull);
    idle.bind(unique_inproc("idle"));
    constexpr int n = 100;
    auto waiter = [&]() -> zring::task<bool> {
        try {
            co_await idle.recv(5s);
        } catch (const zring::socket_closed&) {
            co_return true;
        }
        co_return false;
    };
    auto reassign = [&]() -> zring::task<std::multiset<std::string>> {
        // when_all started the waiter first: it waits on idle now.
        for (int i = 0; i < n; ++i) co_await push.send(std::to_string(i));
        push = zring::socket(s, ctx, zmq::socket_type::push);  // Lazy Pirate's close and reopen
        idle = zring::socket(s, ctx, zmq::socket_type::pull);
        push.connect(ep);
        co_await push.send("from the new socket");
        // Two connections now, fair-queued by the sink: no order between them.
        std::multiset<std::string> got;
        for (int i = 0; i <= n; ++i) got.insert((co_await sink.recv(5s)).to_string());
        co_return got;
    };
    auto [closed, got] = zring_test::run(s, zring::when_all(waiter(), reassign()));
    CHECK(closed);
    std::multiset<std::string> expected{"from the new socket"};
    for (int i = 0; i < n; ++i) expected.insert(std::to_string(i));
    CHECK(got == expected);
}

TEST_CASE("a poller follows a socket that was moved after it was registered", "[zmq][socket][move]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull), push(s, ctx, zmq::socket_type::push);
    const auto ep = unique_inproc("polled");
    pull.bind(ep);
    push.connect(ep);
    zring::poller p;
    p.add(pull, ZMQ_POLLIN);
    zring::socket moved(std::move(pull));
    auto t = [&]() -> zring::task<bool> {
        // The poll waits (nothing is queued yet), on the moved socket.
        auto polling = [&]() -> zring::task<zring::poller::result> { co_return co_await p.poll(5s); };
        auto sender = [&]() -> zring::task<void> { co_await push.send("ready"); };
        auto [result, sent] = co_await zring::when_all(polling(), sender());
        co_return result.size() == 1 && result.ready(moved) == ZMQ_POLLIN;
    };
    CHECK(zring_test::run(s, t()));
    p.remove(moved);
    CHECK(p.size() == 0);
}

TEST_CASE("a poller forgets a socket removed after it was assigned a new one", "[zmq][socket][move]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull);
    pull.bind(unique_inproc("reassigned"));
    zring::poller p;
    p.add(pull, ZMQ_POLLIN);
    pull = zring::socket(s, ctx, zmq::socket_type::pull);  // closes the registered one
    p.remove(pull);
    CHECK(p.size() == 0);
    p.add(pull, ZMQ_POLLIN);
    auto t = [&]() -> zring::task<std::size_t> { co_return (co_await p.poll(10ms)).size(); };
    CHECK(zring_test::run(s, t()) == 0);  // a timeout, not socket_closed from the old entry
}

TEST_CASE("moving a socket on another thread throws std::logic_error", "[zmq][socket][move][threads]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull);
    std::string error;
    std::thread([&] {
        try {
            zring::socket moved(std::move(pull));
        } catch (const std::logic_error& e) {
            error = e.what();
        }
    }).join();
    CHECK_THAT(error, Catch::Contains("zring::socket(PULL)") && Catch::Contains("thread"));
    CHECK(pull.is_open());
}
