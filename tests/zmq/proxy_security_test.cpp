#include "zmq_fixture.hpp"

#include <zring/coro/when_all.hpp>
#include <zring/io/spawn.hpp>
#include <zring/io/timer.hpp>
#include <zring/zmq/monitor.hpp>
#include <zring/zmq/proxy.hpp>
#include <zring/zmq/security.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>

using namespace std::chrono_literals;
using zring_test::bind_ephemeral_tcp;
using zring_test::unique_inproc;

TEST_CASE("a proxy forwards requests and replies between ROUTER and DEALER", "[zmq][proxy]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket frontend(s, ctx, zmq::socket_type::router), backend(s, ctx, zmq::socket_type::dealer);
    zring::socket client(s, ctx, zmq::socket_type::req), worker(s, ctx, zmq::socket_type::rep);
    zring::socket control(s, ctx, zmq::socket_type::pair), controller(s, ctx, zmq::socket_type::pair);
    const auto fe = unique_inproc("proxy-fe"), be = unique_inproc("proxy-be"), ce = unique_inproc("proxy-ctl");
    frontend.bind(fe);
    backend.bind(be);
    control.bind(ce);
    client.connect(fe);
    worker.connect(be);
    controller.connect(ce);
    auto serve = [&]() -> zring::task<void> {
        for (;;) {
            auto request = co_await worker.recv();
            co_await worker.send("re: " + request.to_string());
        }
    };
    auto drive = [&]() -> zring::task<std::vector<std::uint64_t>> {
        for (int i = 0; i < 3; ++i) {
            co_await client.send("q" + std::to_string(i));
            const auto reply = (co_await client.recv()).to_string();
            CHECK(reply == "re: q" + std::to_string(i));
        }
        co_await controller.send("STATISTICS");
        auto stats = zring_test::proxy_statistics(co_await controller.recv_multipart());
        co_await controller.send("TERMINATE");
        co_return stats;
    };
    zring::spawn(s, serve());
    auto [unused, stats] =
        zring_test::run(s, zring::when_all(zring::proxy(frontend, backend, nullptr, &control), drive()));
    REQUIRE(stats.size() == 8);
    CHECK(stats[0] == 3);  // frontend messages in
    CHECK(stats[2] == 3);  // frontend messages out (the replies)
    CHECK(stats[4] == 3);  // backend messages in
    CHECK(stats[6] == 3);  // backend messages out
}

TEST_CASE("a paused proxy holds messages until resumed", "[zmq][proxy]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket frontend(s, ctx, zmq::socket_type::pull), backend(s, ctx, zmq::socket_type::push);
    zring::socket producer(s, ctx, zmq::socket_type::push), consumer(s, ctx, zmq::socket_type::pull);
    zring::socket capture(s, ctx, zmq::socket_type::push), captured(s, ctx, zmq::socket_type::pull);
    zring::socket control(s, ctx, zmq::socket_type::pair), controller(s, ctx, zmq::socket_type::pair);
    const auto fe = unique_inproc("p-fe"), be = unique_inproc("p-be"), ca = unique_inproc("p-ca"),
               ce = unique_inproc("p-ctl");
    frontend.bind(fe);
    backend.bind(be);
    capture.bind(ca);
    control.bind(ce);
    producer.connect(fe);
    consumer.connect(be);
    captured.connect(ca);
    controller.connect(ce);
    auto drive = [&]() -> zring::task<void> {
        co_await producer.send("first");
        const auto forwarded = (co_await consumer.recv(5s)).to_string();
        const auto copied = (co_await captured.recv(5s)).to_string();
        CHECK(forwarded == "first");
        CHECK(copied == "first");
        co_await controller.send("PAUSE");
        // Commands are handled in order: the reply proves the pause is in force.
        co_await controller.send("STATISTICS");
        co_await controller.recv_multipart();
        co_await producer.send("second");
        const bool held = co_await zring_test::throws<zring::timed_out>(consumer.recv(20ms));
        CHECK(held);
        co_await controller.send("RESUME");
        const auto released = (co_await consumer.recv(5s)).to_string();
        CHECK(released == "second");
        co_await controller.send("TERMINATE");
    };
    zring_test::run(s, zring::when_all(zring::proxy(frontend, backend, &capture, &control), drive()));
}

TEST_CASE("curve keypairs are Z85 and the public key derives from the secret", "[zmq][security]") {
    const auto kp = zring::make_curve_keypair();
    CHECK(kp.public_key.size() == 40);
    CHECK(kp.secret_key.size() == 40);
    CHECK(zring::curve_public_key(kp.secret_key) == kp.public_key);
    CHECK_THROWS_AS(zring::curve_public_key("short"), zring::socket_error);
}

namespace {
// A CURVE server PULL and a client PUSH with the given client keys; returns
// whether a message got through, judged by the server's handshake events.
bool curve_message_gets_through(const zring::curve_keypair& allowed_client, const zring::curve_keypair& used_client) {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::authenticator auth(s, ctx);
    auth.allow_curve_key(allowed_client.public_key);
    zring::spawn(s, auth.run());
    const auto server_keys = zring::make_curve_keypair();
    zring::socket server(s, ctx, zmq::socket_type::pull), client(s, ctx, zmq::socket_type::push);
    client.set(zmq::sockopt::linger, 0);
    zring::make_curve_server(server, server_keys);
    zring::make_curve_client(client, used_client, server_keys.public_key);
    zring::monitor handshakes(server, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    client.connect(bind_ephemeral_tcp(server));
    auto t = [&]() -> zring::task<bool> {
        // A refused client may have no pipe to send into (libzmq drops it
        // with the refused connection and makes a new one per reconnect):
        // the send is bounded, and the server's handshake event decides.
        co_await zring_test::throws<zring::timed_out>(client.send(zmq::message_t(std::string("secret")), 2s));
        const auto event = co_await handshakes.next(10s);
        if (event.event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
            // Refused by the authenticator: nothing may have arrived.
            const bool nothing = co_await zring_test::throws<zring::timed_out>(server.recv(0ms));
            CHECK(nothing);
            co_return false;
        }
        co_return (co_await server.recv(10s)).to_string() == "secret";
    };
    const bool through = zring_test::run(s, t());
    CHECK(auth.requests() >= 1);
    return through;
}
}  // namespace

TEST_CASE("a CURVE client with an allowed key gets its message through", "[zmq][security]") {
    const auto client = zring::make_curve_keypair();
    CHECK(curve_message_gets_through(client, client));
}

TEST_CASE("a CURVE client with an unknown key gets no message through", "[zmq][security]") {
    CHECK_FALSE(curve_message_gets_through(zring::make_curve_keypair(), zring::make_curve_keypair()));
}

TEST_CASE("the authenticator refuses a denied IP address", "[zmq][security]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::authenticator auth(s, ctx);
    auth.deny("127.0.0.1");
    zring::spawn(s, auth.run());
    zring::socket server(s, ctx, zmq::socket_type::pull), client(s, ctx, zmq::socket_type::push);
    client.set(zmq::sockopt::linger, 0);
    server.set(zmq::sockopt::zap_domain, "global");  // NULL connections consult ZAP only with a domain
    zring::monitor handshakes(server, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    client.connect(bind_ephemeral_tcp(server));
    auto t = [&]() -> zring::task<std::uint16_t> {
        // Bounded: the refusal may have taken the client's only pipe.
        co_await zring_test::throws<zring::timed_out>(client.send(zmq::message_t(std::string("x")), 2s));
        co_return (co_await handshakes.next(10s)).event;
    };
    CHECK(zring_test::run(s, t()) == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    CHECK(auth.refused() >= 1);
}

TEST_CASE("only one authenticator can serve a context", "[zmq][security]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::authenticator first(s, ctx);
    CHECK_THROWS_AS(zring::authenticator(s, ctx), zring::socket_error);
}
