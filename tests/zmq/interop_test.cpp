#include "zmq_fixture.hpp"

#include <zring/io/spawn.hpp>
#include <zring/io/timer.hpp>
#include <zring/zmq/socket.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using zring_test::bind_ephemeral_tcp;

// The peers here are plain blocking libzmq sockets on their own threads, as
// any other ZMTP 3 program would be.

TEST_CASE("a zring subscriber receives from a plain blocking libzmq publisher", "[zmq][interop][threads]") {
    zmq::context_t ctx;
    zmq::socket_t pub(ctx, zmq::socket_type::pub);
    pub.bind("tcp://127.0.0.1:*");
    const std::string endpoint = pub.get(zmq::sockopt::last_endpoint);
    // A jthread: stopped and joined on every path out of the test.
    std::jthread publisher([&](std::stop_token done) {
        for (int i = 0; !done.stop_requested(); ++i) {
            pub.send(zmq::buffer("updates " + std::to_string(i)), zmq::send_flags::none);
            std::this_thread::sleep_for(1ms);  // a publisher's pace, not synchronisation
        }
    });
    zring::scheduler s;
    zring::socket sub(s, ctx, zmq::socket_type::sub);
    sub.connect(endpoint);
    sub.subscribe("updates");
    auto t = [&]() -> zring::task<std::string> { co_return (co_await sub.recv(10s)).to_string(); };
    const auto got = zring_test::run(s, t());
    CHECK(got.rfind("updates ", 0) == 0);
}

TEST_CASE("a plain blocking libzmq REQ client talks to a zring REP server", "[zmq][interop][threads]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket rep(s, ctx, zmq::socket_type::rep);
    const auto endpoint = bind_ephemeral_tcp(rep);
    std::string reply;
    std::jthread client([&] {  // joined on every path; its receive is bounded
        zmq::socket_t req(ctx, zmq::socket_type::req);
        req.set(zmq::sockopt::rcvtimeo, 20'000);
        req.set(zmq::sockopt::linger, 0);
        req.connect(endpoint);
        req.send(zmq::buffer(std::string("hello")), zmq::send_flags::none);
        zmq::message_t m;
        (void)req.recv(m);
        reply = m.to_string();
    });
    auto serve = [&]() -> zring::task<void> {
        auto request = co_await rep.recv(10s);
        co_await rep.send("world, " + request.to_string());
    };
    zring_test::run(s, serve());
    client.join();  // before reading reply
    CHECK(reply == "world, hello");
}
