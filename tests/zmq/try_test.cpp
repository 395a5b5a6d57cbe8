// Timeouts as values: the try_ forms of recv and send.

#include "zmq_fixture.hpp"

#include <zring/coro/when_all.hpp>
#include <zring/io/timer.hpp>
#include <zring/zmq/socket.hpp>

#include <catch2/catch.hpp>

#include <optional>
#include <stop_token>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using zring_test::bind_ephemeral_tcp;

TEST_CASE("try_recv yields nothing on a timeout, consumes nothing, and the message once one comes",
          "[zmq][try]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull), push(s, ctx, zmq::socket_type::push);
    push.connect(bind_ephemeral_tcp(pull));
    zring_test::run(s, [&]() -> zring::task<void> {
        std::optional<zmq::message_t> none = co_await pull.try_recv(5ms);
        CHECK_FALSE(none.has_value());
        co_await push.send("kept");
        std::optional<zmq::message_t> got = co_await pull.try_recv(5s);
        REQUIRE(got.has_value());
        CHECK(got->to_string() == "kept");

        // Into a reused message: false leaves it empty.
        zmq::message_t m("old", 3);
        // (Results named first: g++ 12 mishandles co_await inside Catch's macros.)
        const bool early = co_await pull.try_recv(m, 5ms);
        CHECK_FALSE(early);
        CHECK(m.size() == 0);
        co_await push.send("second");
        const bool later = co_await pull.try_recv(m, 5s);
        CHECK(later);
        CHECK(m.to_string() == "second");
    }());
}

TEST_CASE("try_recv_multipart yields every frame, or nothing on a timeout", "[zmq][try]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull), push(s, ctx, zmq::socket_type::push);
    push.connect(bind_ephemeral_tcp(pull));
    zring_test::run(s, [&]() -> zring::task<void> {
        const auto none = co_await pull.try_recv_multipart(5ms);
        CHECK_FALSE(none.has_value());
        const std::vector<std::string> frames{"a", "b", "c"};
        co_await push.send_multipart(frames);
        auto got = co_await pull.try_recv_multipart(5s);
        REQUIRE(got.has_value());
        REQUIRE(got->size() == 3);
        CHECK((*got)[2].to_string() == "c");
    }());
}

TEST_CASE("try_recv_multipart into a multipart_t fills it, or yields false and leaves it as it was", "[zmq][try]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull), push(s, ctx, zmq::socket_type::push);
    push.connect(bind_ephemeral_tcp(pull));
    zring_test::run(s, [&]() -> zring::task<void> {
        zmq::multipart_t into;
        into.addstr("held before");
        const bool early = co_await pull.try_recv_multipart(into, 5ms);
        CHECK_FALSE(early);
        REQUIRE(into.size() == 1);
        CHECK(into.peekstr(0) == "held before");
        co_await push.send_multipart({"a", "b"});
        const bool later = co_await pull.try_recv_multipart(into, 5s);
        CHECK(later);
        REQUIRE(into.size() == 2);
        CHECK(into.peekstr(0) == "a");
        CHECK(into.peekstr(1) == "b");
    }());
}

TEST_CASE("try_send yields false and sends nothing when the peer cannot take the message in time", "[zmq][try]") {
    zmq::context_t ctx;
    zring::scheduler s;
    // A PUSH with no peer at all: nothing can go out, nothing is queued.
    zring::socket push(s, ctx, zmq::socket_type::push);
    zring_test::run(s, [&]() -> zring::task<void> {
        const bool lost = co_await push.try_send("lost", 5ms);
        CHECK_FALSE(lost);
        std::vector<zmq::message_t> parts;
        parts.emplace_back("x", 1);
        parts.emplace_back("y", 1);
        const bool lost_too = co_await push.try_send_multipart(std::move(parts), 5ms);
        CHECK_FALSE(lost_too);
        zring::socket pull(s, ctx, zmq::socket_type::pull);
        push.connect(bind_ephemeral_tcp(pull));
        const bool sent = co_await push.try_send("first", 5s);
        CHECK(sent);
        // Only what was sent arrives: the timed-out sends left nothing queued.
        auto got = co_await pull.try_recv(5s);
        REQUIRE(got.has_value());
        CHECK(got->to_string() == "first");
        const auto nothing_more = co_await pull.try_recv(20ms);
        CHECK_FALSE(nothing_more.has_value());
    }());
}

TEST_CASE("try_send_multipart of a vector leaves it as it was on a timeout and empties it once sent",
          "[zmq][try]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket push(s, ctx, zmq::socket_type::push);  // no peer yet: nothing can go out
    zring_test::run(s, [&]() -> zring::task<void> {
        std::vector<zmq::message_t> request;
        request.emplace_back(std::string_view("client-7"));
        request.emplace_back();
        request.emplace_back(std::string_view("work"));
        const bool early = co_await push.try_send_multipart(request, 5ms);
        CHECK_FALSE(early);
        REQUIRE(request.size() == 3);  // kept, frame for frame, to send again
        CHECK(request[0].to_string() == "client-7");
        CHECK(request[1].size() == 0);
        CHECK(request[2].to_string() == "work");
        zring::socket pull(s, ctx, zmq::socket_type::pull);
        push.connect(bind_ephemeral_tcp(pull));
        const bool later = co_await push.try_send_multipart(request, 5s);
        CHECK(later);
        CHECK(request.empty());
        std::vector<std::string> frames;
        for (auto& f : co_await pull.recv_multipart(5s)) frames.push_back(f.to_string());
        CHECK(frames == std::vector<std::string>{"client-7", "", "work"});
    }());
}

TEST_CASE("try_ forms still throw for cancellation and for a closed socket", "[zmq][try]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull);
    pull.bind(zring_test::unique_inproc("try-throws"));
    zring_test::run(s, [&]() -> zring::task<void> {
        std::stop_source stop;
        stop.request_stop();
        const bool cancelled = co_await zring_test::throws<zring::operation_cancelled>(pull.try_recv(1s, stop.get_token()));
        CHECK(cancelled);
        auto closer = [&]() -> zring::task<void> {
            REQUIRE(pull.waiting_to_receive() == 1);  // the waiter started first
            pull.close();
            co_return;
        };
        auto waiter = [&]() -> zring::task<void> {
            const bool closed = co_await zring_test::throws<zring::socket_closed>(pull.try_recv(5s));
            CHECK(closed);
        };
        co_await zring::when_all(waiter(), closer());
    }());
}

TEST_CASE("cppzmq's multipart_t is received into and sent from, envelope helpers included", "[zmq][multipart]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket router(s, ctx, zmq::socket_type::router), dealer(s, ctx, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::routing_id, "client-1");
    dealer.connect(bind_ephemeral_tcp(router));
    zring_test::run(s, [&]() -> zring::task<void> {
        zmq::multipart_t request;
        request.addstr("");
        request.addstr("hello");
        co_await dealer.send_multipart(std::move(request));

        zmq::multipart_t got;
        got.addstr("stale");  // replaced, not appended to
        co_await router.recv_multipart(got, 5s);
        REQUIRE(got.size() == 3);
        zmq::message_t identity = got.pop();  // the envelope: identity, then the empty delimiter
        CHECK(identity.to_string() == "client-1");
        CHECK(got.popstr().empty());
        const std::string body = got.popstr();
        CHECK(body == "hello");

        zmq::multipart_t reply;
        reply.addstr("world");
        reply.pushstr("");
        reply.push(std::move(identity));
        co_await router.send_multipart(std::move(reply), 5s);
        auto back = co_await dealer.try_recv_multipart(5s);
        REQUIRE(back.has_value());
        REQUIRE(back->size() == 2);
        CHECK((*back)[1].to_string() == "world");
    }());
}
