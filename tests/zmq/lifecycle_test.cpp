#include "wait_until.hpp"
#include "zmq_fixture.hpp"

#include <zring/coro/when_all.hpp>
#include <zring/io/spawn.hpp>
#include <zring/io/timer.hpp>
#include <zring/zmq/socket.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using zring_test::bind_ephemeral_tcp;
using zring_test::unique_inproc;

TEST_CASE("closing a socket resumes its waiters with socket_closed", "[zmq][lifecycle]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull);
    pull.bind(unique_inproc("close"));
    int closed = 0;
    auto waiter = [&]() -> zring::task<void> {
        try {
            co_await pull.recv();
        } catch (const zring::socket_closed& e) {
            CHECK_THAT(e.what(), Catch::Contains("zring::socket(PULL inproc://close"));
            ++closed;
        }
    };
    auto closer = [&]() -> zring::task<void> {
        REQUIRE(pull.waiting_to_receive() == 2);
        pull.close();
        co_return;
    };
    zring_test::run(s, zring::when_all(waiter(), waiter(), closer()));
    CHECK(closed == 2);
    CHECK_FALSE(pull.is_open());
}

TEST_CASE("an operation on a closed socket throws socket_closed", "[zmq][lifecycle]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket push(s, ctx, zmq::socket_type::push);
    push.close();
    push.close();  // idempotent
    auto t = [&]() -> zring::task<void> { co_await push.send("x"); };
    CHECK_THROWS_AS(zring_test::run(s, t()), zring::socket_closed);
    CHECK_THROWS_AS(push.bind("inproc://x"), zring::socket_closed);
}

TEST_CASE("bad endpoints are clear errors naming the socket and the operation", "[zmq][lifecycle]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket push(s, ctx, zmq::socket_type::push);
    try {
        push.connect("tcp://nohost:x");
        FAIL("no exception");
    } catch (const zring::socket_error& e) {
        CHECK(e.code().value() == EINVAL);
        CHECK_THAT(e.what(), Catch::Contains("zring::socket(PUSH)::connect(tcp://nohost:x)"));
    }
    try {
        push.bind("carrier-pigeon://coop");
        FAIL("no exception");
    } catch (const zring::socket_error& e) {
        CHECK(e.code().value() == EPROTONOSUPPORT);
        CHECK_THAT(e.what(), Catch::Contains("bind(carrier-pigeon://coop)"));
    }
}

TEST_CASE("a tcp port past 65535 is refused, not wrapped around", "[zmq][lifecycle]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull);
    for (const std::string endpoint : {"tcp://127.0.0.1:99999", "tcp://127.0.0.1:65536", "tcp://[::1]:123456"}) {
        try {
            pull.bind(endpoint);
            FAIL("bound " << endpoint << " as " << pull.get(zmq::sockopt::last_endpoint));
        } catch (const zring::socket_error& e) {
            CHECK(e.code().value() == EINVAL);
            CHECK_THAT(e.what(), Catch::Contains("bind(" + endpoint + "): port out of range"));
        }
    }
    CHECK_THROWS_WITH(pull.connect("tcp://127.0.0.1:1;127.0.0.1:70000"), Catch::Contains("port out of range"));
    pull.connect("tcp://127.0.0.1:65535");  // the largest port is fine
    pull.bind("tcp://127.0.0.1:*");          // and so is a wildcard
}

// libzmq may process its commands inside a call that then fails, taking
// the ZMQ_FD edge that the other direction's waiters poll for: the failed
// fast-path attempt must re-serve them, as a successful one does. Reading
// ZMQ_EVENTS behind zring's back stands for what the failing call took.
TEST_CASE("a send that fails at once still serves a receiver whose wake-up it took", "[zmq][lifecycle]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket req(s, ctx, zmq::socket_type::req);
    zmq::socket_t rep(ctx, zmq::socket_type::rep);
    const std::string endpoint = unique_inproc("fails-at-once");
    rep.bind(endpoint);
    req.connect(endpoint);
    void* raw_req = req.native().handle();  // nobody waits yet: no re-serve is scheduled
    auto receiver = [&]() -> zring::task<std::string> {
        co_await req.send("question");
        co_return (co_await req.recv()).to_string();
    };
    auto failing_sender = [&]() -> zring::task<void> {
        co_await zring_test::until("the receiver waits", [&] { return req.waiting_to_receive() == 1; });
        zmq::message_t request;
        REQUIRE(rep.recv(request));  // inproc: queued already
        REQUIRE(rep.send(zmq::str_buffer("answer")));
        int events = 0;
        std::size_t size = sizeof events;
        REQUIRE(zmq_getsockopt(raw_req, ZMQ_EVENTS, &events, &size) == 0);
        REQUIRE((events & ZMQ_POLLIN) != 0);  // the edge is gone; the reply waits in the pipe
        try {
            co_await req.send("out of turn");
            FAIL("no exception");
        } catch (const zring::socket_error& e) {
            CHECK(e.code().value() == EFSM);
        }
    };
    auto [answer, sent] = zring_test::run(s, zring::when_all(receiver(), failing_sender()));
    (void)sent;
    CHECK(answer == "answer");
}

TEST_CASE("REQ/REP misuse is reported as EFSM", "[zmq][lifecycle]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket req(s, ctx, zmq::socket_type::req), rep(s, ctx, zmq::socket_type::rep);
    req.connect(bind_ephemeral_tcp(rep));
    auto recv_first = [&]() -> zring::task<void> { co_await req.recv(); };
    try {
        zring_test::run(s, recv_first());
        FAIL("no exception");
    } catch (const zring::socket_error& e) {
        CHECK(e.code().value() == EFSM);
        CHECK(e.code().category().name() == std::string("zmq"));
        CHECK_THAT(e.what(), Catch::Contains("zring::socket(REQ tcp://127.0.0.1:") && Catch::Contains("::recv"));
    }
    auto round_trip = [&]() -> zring::task<std::string> {
        co_await req.send("ping");
        auto request = co_await rep.recv();
        co_await rep.send("pong to " + request.to_string());
        co_return (co_await req.recv()).to_string();
    };
    CHECK(zring_test::run(s, round_trip()) == "pong to ping");
}

TEST_CASE("using a socket from another thread is a clear error", "[zmq][lifecycle][threads]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket push(s, ctx, zmq::socket_type::push);
    std::string message;
    std::thread other([&] {
        try {
            push.bind("inproc://elsewhere");
        } catch (const std::logic_error& e) {
            message = e.what();
        }
    });
    other.join();
    CHECK_THAT(message, Catch::Contains("thread other than its scheduler's"));
}

TEST_CASE("destroying the scheduler closes open sockets so the context terminates", "[zmq][lifecycle]") {
    zmq::context_t ctx;
    std::size_t watching = 0;
    {
        zring::scheduler s;
        zring_test::silent_tcp_peer peer;
        // Owned by a spawned coroutine's frame, waiting when the scheduler dies,
        // with an unsent message queued to a peer that never answers.
        auto owner = [&]() -> zring::task<void> {
            zring::socket pull(s, ctx, zmq::socket_type::pull);
            zring::socket sender(s, ctx, zmq::socket_type::push);
            sender.set(zmq::sockopt::linger, -1);  // would block zmq_ctx_term forever
            sender.connect(peer.endpoint());
            co_await sender.send("stuck");
            pull.bind(unique_inproc("shutdown"));
            // Stops the loop on the next turn, with this receive in the kernel:
            // a timer fires only after the loop entered it (a call_soon could
            // run in a later round of this same turn).
            s.call_later(std::chrono::milliseconds(0), [&] {
                watching = s.kernel_operations();
                s.stop();
            });
            co_await pull.recv();
        };
        zring::spawn(s, owner());
        s.run();
    }
    REQUIRE(watching > 0);  // the scheduler died with the receive waiting in the kernel
    // ctx.close() blocks until every socket is closed: bounded, so a socket
    // left lingering fails here instead of hanging the test.
    auto closed = std::async(std::launch::async, [&] { ctx.close(); });
    if (closed.wait_for(zring_test::default_limit) != std::future_status::ready) {
        std::fprintf(stderr, "zmq_ctx_term did not return within %lld s: a socket was left open\n",
                     static_cast<long long>(zring_test::default_limit.count()));
        std::abort();  // the closing thread is stuck in libzmq: nothing can be cleaned up
    }
}

TEST_CASE("a socket that outlives its scheduler is closed, not left dangling", "[zmq][lifecycle]") {
    zmq::context_t ctx;
    std::unique_ptr<zring::socket> pull;
    {
        zring::scheduler s;
        pull = std::make_unique<zring::socket>(s, ctx, zmq::socket_type::pull);
        pull->bind(unique_inproc("outlives"));
        auto waiter = [&]() -> zring::task<void> { co_await pull->recv(); };
        zring::spawn(s, waiter());
        s.call_later(1ms, [&] { s.stop(); });
        s.run();
    }
    CHECK_FALSE(pull->is_open());
    pull.reset();
    ctx.close();
}

TEST_CASE("a socket's own finite linger holds when the scheduler shuts down", "[zmq][lifecycle]") {
    using clock = std::chrono::steady_clock;
    constexpr auto linger = 400ms;
    zring_test::silent_tcp_peer peer;
    zmq::context_t ctx;
    std::unique_ptr<zring::socket> push;
    {
        zring::scheduler s;
        push = std::make_unique<zring::socket>(s, ctx, zmq::socket_type::push);
        push->set(zmq::sockopt::linger, static_cast<int>(linger.count()));
        push->connect(peer.endpoint());  // the handshake never completes: the message stays queued
        auto send = [&]() -> zring::task<void> { co_await push->send("kept"); };
        zring_test::run(s, send());
    }  // the scheduler closes the socket it outlived; libzmq keeps it for its linger
    CHECK_FALSE(push->is_open());
    const auto start = clock::now();
    ctx.close();  // waits for the queued message until the linger expires
    const auto waited = clock::now() - start;
    // A lower bound only, which load cannot break: shutdown once cut every
    // linger to 100 ms.
    CHECK(waited >= linger - 50ms);
}
