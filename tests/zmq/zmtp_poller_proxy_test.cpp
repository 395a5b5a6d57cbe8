// The native engine's poller and proxy: the same meanings as zring::poller
// and zring::proxy over libzmq sockets.

#include "zmtp_fixture.hpp"

#include <zring/coro/when_all.hpp>
#include <zring/io/spawn.hpp>
#include <zring/zmq/poller.hpp>
#include <zring/zmq/proxy.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using zring_test::bind_fresh;
using zring_test::msg;

TEST_CASE("zmtp: a poller reports every ready socket, consumes nothing, and follows a moved socket",
          "[zmtp][poller]") {
    zring::scheduler s;
    using zring::zmtp::socket;
    socket a(s, zmq::socket_type::pull), b(s, zmq::socket_type::pull), c(s, zmq::socket_type::pull);
    socket to_a(s, zmq::socket_type::push), to_c(s, zmq::socket_type::push);
    to_a.connect(bind_fresh(a, "ipc"));
    bind_fresh(b, "ipc");
    to_c.connect(bind_fresh(c, "tcp"));
    zring::zmtp::poller p;
    p.add(a, ZMQ_POLLIN);
    p.add(b, ZMQ_POLLIN);
    p.add(c, ZMQ_POLLIN);
    CHECK(zring_test::run(s, p.poll(3ms)).empty());
    auto t = [&]() -> zring::task<void> {
        auto sender = [&]() -> zring::task<void> {
            // The poll waits on every socket before anything arrives.
            REQUIRE((a.waiting_to_receive() == 1 && b.waiting_to_receive() == 1 && c.waiting_to_receive() == 1));
            co_await to_a.send(msg("for a"), 5s);
        };
        auto [ready, unused] = co_await zring::when_all(p.poll(5s), sender());
        REQUIRE(ready.size() == 1);
        CHECK(ready[0].sock == &a);
        CHECK(ready.ready(a) == ZMQ_POLLIN);
        // Still there: the poll consumed nothing.
        const zmq::message_t kept = co_await a.recv(5s);
        CHECK(kept.to_string() == "for a");
        co_await to_c.send(msg("for c"), 5s);
        auto again = co_await p.poll(5s);
        REQUIRE(again.size() == 1);
        CHECK(again.ready(c) == ZMQ_POLLIN);
        CHECK(again.ready(a) == 0);
        CHECK(again.ready(to_c) == 0);  // not registered
        // A moved socket stays registered: the poll reports it where it went.
        socket moved = std::move(c);
        auto after_move = co_await p.poll(5s);
        REQUIRE(after_move.size() == 1);
        CHECK(after_move[0].sock == &moved);
        const zmq::message_t moved_kept = co_await moved.recv(5s);
        CHECK(moved_kept.to_string() == "for c");
        // POLLOUT: a PUSH with a connected peer can send.
        zring::zmtp::poller out;
        out.add(to_a, ZMQ_POLLOUT);
        auto writable = co_await out.poll(5s);
        CHECK(writable.ready(to_a) == ZMQ_POLLOUT);
    };
    zring_test::run(s, t());
    CHECK_THROWS_AS(p.add(a, 0), std::invalid_argument);
    zring::zmtp::poller none;
    CHECK_THROWS_WITH(zring_test::run(s, none.poll()), Catch::Contains("zring::zmtp::poller::poll"));
}

TEST_CASE("zmtp: a poller names a registered socket that was closed", "[zmtp][poller]") {
    zring::scheduler s;
    zring::zmtp::socket a(s, zmq::socket_type::pull);
    bind_fresh(a, "ipc");
    zring::zmtp::poller p;
    p.add(a, ZMQ_POLLIN);
    a.close();
    CHECK_THROWS_AS(zring_test::run(s, p.poll(5s)), zring::socket_closed);
    CHECK_THROWS_WITH(zring_test::run(s, p.poll(5s)), Catch::Contains("zring::zmtp::poller::poll") &&
                                                          Catch::Contains("zring::zmtp::socket(PULL ipc://"));
    p.remove(a);
    CHECK(p.size() == 0);
}

TEST_CASE("zmtp: a native proxy forwards between ROUTER and DEALER, for native and libzmq peers", "[zmtp][proxy]") {
    zmq::context_t ctx;
    zring::scheduler s;
    using zring::zmtp::socket;
    socket frontend(s, zmq::socket_type::router), backend(s, zmq::socket_type::dealer);
    socket control(s, zmq::socket_type::pair), controller(s, zmq::socket_type::pair);
    socket native_client(s, zmq::socket_type::req), worker(s, zmq::socket_type::rep);
    zring::socket libzmq_client(s, ctx, zmq::socket_type::req);
    const auto fe = bind_fresh(frontend, "tcp");
    worker.connect(bind_fresh(backend, "ipc"));
    controller.connect(bind_fresh(control, "ipc"));
    native_client.connect(fe);
    libzmq_client.connect(fe);
    auto serve = [&]() -> zring::task<void> {
        try {
            for (;;) {
                auto request = co_await worker.recv();
                co_await worker.send(msg("re: " + request.to_string()));
            }
        } catch (const zring::socket_closed&) {
            // The test's end: closing the sockets flushes them on the loop, which resumes this.
        }
    };
    auto drive = [&]() -> zring::task<std::vector<std::uint64_t>> {
        for (int i = 0; i < 3; ++i) {
            co_await native_client.send(msg("n" + std::to_string(i)), 5s);
            const zmq::message_t native_reply = co_await native_client.recv(5s);
            CHECK(native_reply.to_string() == "re: n" + std::to_string(i));
            co_await libzmq_client.send(msg("l" + std::to_string(i)), 5s);
            const zmq::message_t libzmq_reply = co_await libzmq_client.recv(5s);
            CHECK(libzmq_reply.to_string() == "re: l" + std::to_string(i));
        }
        co_await controller.send(msg("STATISTICS"), 5s);
        auto stats = zring_test::proxy_statistics(co_await controller.recv_multipart(5s));
        co_await controller.send(msg("TERMINATE"), 5s);
        co_return stats;
    };
    zring::spawn(s, serve());
    auto [unused, stats] =
        zring_test::run(s, zring::when_all(zring::proxy(frontend, backend, nullptr, &control), drive()));
    REQUIRE(stats.size() == 8);
    CHECK(stats[0] == 6);  // frontend messages in
    CHECK(stats[2] == 6);  // frontend messages out (the replies)
    CHECK(stats[4] == 6);  // backend messages in
    CHECK(stats[6] == 6);  // backend messages out
}

TEST_CASE("zmtp: a paused native proxy holds messages until resumed, and its capture copies each", "[zmtp][proxy]") {
    zring::scheduler s;
    using zring::zmtp::socket;
    socket frontend(s, zmq::socket_type::pull), backend(s, zmq::socket_type::push);
    socket producer(s, zmq::socket_type::push), consumer(s, zmq::socket_type::pull);
    socket capture(s, zmq::socket_type::push), captured(s, zmq::socket_type::pull);
    socket control(s, zmq::socket_type::pair), controller(s, zmq::socket_type::pair);
    producer.connect(bind_fresh(frontend, "ipc"));
    consumer.connect(bind_fresh(backend, "ipc"));
    captured.connect(bind_fresh(capture, "ipc"));
    controller.connect(bind_fresh(control, "ipc"));
    auto drive = [&]() -> zring::task<void> {
        co_await producer.send(msg("first"), 5s);
        const zmq::message_t forwarded = co_await consumer.recv(5s);
        const zmq::message_t copied = co_await captured.recv(5s);
        CHECK(forwarded.to_string() == "first");
        CHECK(copied.to_string() == "first");
        co_await controller.send(msg("PAUSE"), 5s);
        // Commands are handled in order: the reply proves the pause is in force.
        co_await controller.send(msg("STATISTICS"), 5s);
        const auto paused_stats = zring_test::proxy_statistics(co_await controller.recv_multipart(5s));
        CHECK(paused_stats.at(0) == 1);  // frontend messages in
        co_await producer.send(msg("second"), 5s);
        const bool held = co_await zring_test::throws<zring::timed_out>(consumer.recv(20ms));
        CHECK(held);
        co_await controller.send(msg("RESUME"), 5s);
        const zmq::message_t released = co_await consumer.recv(5s);
        const zmq::message_t copied_again = co_await captured.recv(5s);
        CHECK(released.to_string() == "second");
        CHECK(copied_again.to_string() == "second");
        co_await controller.send(msg("TERMINATE"), 5s);
    };
    zring_test::run(s, zring::when_all(zring::proxy(frontend, backend, &capture, &control), drive()));
}

TEST_CASE("zmtp: a mandatory ROUTER is writable only while a connected peer has room, as libzmq's", "[zmtp][poller]") {
    zring::scheduler s;
    zring::zmtp::socket plain(s, zmq::socket_type::router), mandatory(s, zmq::socket_type::router);
    mandatory.set(zmq::sockopt::router_mandatory, true);
    CHECK(plain.get(zmq::sockopt::events) == ZMQ_POLLOUT);  // a send to nobody is dropped, not refused
    CHECK(mandatory.get(zmq::sockopt::events) == 0);
    zring::zmtp::socket dealer(s, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::routing_id, "d");
    dealer.connect(bind_fresh(mandatory, "ipc"));
    zring::zmtp::poller p;
    p.add(mandatory, ZMQ_POLLOUT);
    // Woken by the peer's handshake.
    const auto ready = zring_test::run(s, p.poll(5s));
    CHECK(ready.ready(mandatory) == ZMQ_POLLOUT);
}

TEST_CASE("zmtp: a socket moves only on its scheduler's thread", "[zmtp]") {
    zring::scheduler s;
    zring::zmtp::socket a(s, zmq::socket_type::pull);
    bind_fresh(a, "ipc");
    std::string refused;
    std::thread([&] {
        try {
            zring::zmtp::socket moved(std::move(a));
        } catch (const std::logic_error& e) {
            refused = e.what();
        }
    }).join();
    CHECK_THAT(refused, Catch::Contains("thread other than its scheduler's"));
    CHECK(a.is_open());
}

namespace {

// Destroys what owner holds, from a coroutine started after the waiters:
// they are suspended on it already.
template <class Owner>
zring::task<void> destroy_now(Owner& owner) {
    owner.reset();
    co_return;
}

}  // namespace

TEST_CASE("zmtp: destroying a native poller resumes its pending poll with object_destroyed", "[zmtp][poller]") {
    zring::scheduler s;
    zring::zmtp::socket pull(s, zmq::socket_type::pull);
    bind_fresh(pull, "ipc");
    auto p = std::make_unique<zring::zmtp::poller>();
    p->add(pull, ZMQ_POLLIN);
    auto waiter = [&]() -> zring::task<bool> {
        co_return co_await zring_test::throws<zring::object_destroyed>(p->poll(5s));
    };
    auto [destroyed, unused] = zring_test::run(s, zring::when_all(waiter(), destroy_now(p)));
    CHECK(destroyed);
}

TEST_CASE("zmtp: a native poller whose socket is destroyed during a poll throws socket_closed naming it",
          "[zmtp][poller]") {
    zring::scheduler s;
    zring::zmtp::poller p;
    auto pull = std::make_unique<zring::zmtp::socket>(s, zmq::socket_type::pull);
    const std::string endpoint = bind_fresh(*pull, "ipc");
    p.add(*pull, ZMQ_POLLIN);
    std::string error;
    auto waiter = [&]() -> zring::task<void> {
        try {
            co_await p.poll(5s);
        } catch (const zring::socket_closed& e) {
            error = e.what();
        }
    };
    zring_test::run(s, zring::when_all(waiter(), destroy_now(pull)));
    CHECK_THAT(error, Catch::Contains("PULL " + endpoint));
}

TEST_CASE("zmtp: a native proxy whose socket is destroyed ends with socket_closed", "[zmtp][proxy]") {
    zring::scheduler s;
    auto frontend = std::make_unique<zring::zmtp::socket>(s, zmq::socket_type::pull);
    zring::zmtp::socket backend(s, zmq::socket_type::push);
    bind_fresh(*frontend, "ipc");
    bind_fresh(backend, "ipc");
    auto proxied = [&]() -> zring::task<bool> {
        co_return co_await zring_test::throws<zring::socket_closed>(zring::proxy(*frontend, backend));
    };
    auto [closed, unused] = zring_test::run(s, zring::when_all(proxied(), destroy_now(frontend)));
    CHECK(closed);
}
