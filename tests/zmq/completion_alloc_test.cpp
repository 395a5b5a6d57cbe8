// Completion paths under memory pressure: firing timers, serving a socket's
// waiters and resuming them are noexcept, so they must allocate nothing; a
// failure there would terminate the process. Each test refuses every
// allocation on the scheduler's thread while more completions arrive at
// once than the ready queue's block of callbacks holds. Runs in the
// executable that makes operator new fail on demand (allocation_counter.cpp).
#include "allocation_counter.hpp"
#include "zmq_fixture.hpp"

#include <zring/coro/event.hpp>
#include <zring/io/spawn.hpp>
#include <zring/io/timer.hpp>
#include <zring/zmq/socket.hpp>

#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <new>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using zring_test::unique_inproc;

namespace {

// More than the ready queue's block of 256 callbacks.
constexpr int many = 600;

}  // namespace

TEST_CASE("timers fire and resume their sleepers with every allocation refused", "[io][alloc]") {
    zring::scheduler s;
    std::optional<zring_test::failing_allocations> failing;
    std::size_t refused = 0;
    int callbacks_run = 0;
    int sleepers_resumed = 0;
    zring::event done;  // waiting on it allocates nothing
    auto sleeper = [](int& resumed, zring::scheduler::clock::time_point deadline) -> zring::task<void> {
        co_await zring::sleep_until(deadline);
        ++resumed;
    };
    zring_test::run(s, [&]() -> zring::task<void> {
        // Every deadline has passed already: all fire in the same turn.
        const auto due = zring::scheduler::clock::now() - 1s;
        for (int i = 0; i < many; ++i) zring::spawn(s, sleeper(sleepers_resumed, due));
        co_await s.yield();  // the sleepers start before this resumes, and arm their timers
        REQUIRE(sleepers_resumed == 0);
        for (int i = 0; i < many; ++i) s.call_at(due, [&] { ++callbacks_run; });
        // Fires last, once everything before it ran.
        s.call_at(due + 1ms, [&] {
            refused = failing->refused();
            failing.reset();
            done.set();
        });
        failing.emplace();  // from here until the last timer's callback
        co_await done.wait();
    }());
    CHECK_FALSE(failing.has_value());
    CHECK(callbacks_run == many);
    CHECK(sleepers_resumed == many);
    CHECK(refused == 0);
}

TEST_CASE("a socket serves and resumes its waiting receivers with every allocation refused", "[zmq][alloc]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull);
    const auto ep = unique_inproc("alloc-serve");
    pull.bind(ep);
    zmq::socket_t push(ctx, zmq::socket_type::push);
    push.connect(ep);
    std::optional<zring_test::failing_allocations> failing;
    std::size_t refused = 0;
    int received = 0;
    zring::event done;
    auto receiver = [&]() -> zring::task<void> {
        zmq::message_t m;
        co_await pull.recv(m);  // into a message: the result needs no allocation
        if (++received == many) {
            refused = failing->refused();
            failing.reset();
            done.set();
        }
    };
    zring_test::run(s, [&]() -> zring::task<void> {
        for (int i = 0; i < many; ++i) zring::spawn(s, receiver());
        co_await s.yield();  // every receiver is suspended now, queued on the socket
        REQUIRE(received == 0);
        for (int i = 0; i < many; ++i) push.send(zmq::message_t(&i, sizeof i), zmq::send_flags::none);
        failing.emplace();  // until the last receiver resumed
        co_await done.wait();
    }());
    CHECK_FALSE(failing.has_value());
    CHECK(received == many);
    CHECK(refused == 0);
}

TEST_CASE("a multipart message with no memory to keep it is dropped whole and the next arrives intact",
          "[zmq][alloc]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull);
    const auto ep = unique_inproc("alloc-multipart");
    pull.bind(ep);
    zmq::socket_t push(ctx, zmq::socket_type::push);
    push.connect(ep);
    std::optional<zring_test::failing_allocations> failing;
    int error = 0;  // the ENOMEM of socket_error, or -1 for std::bad_alloc
    std::vector<std::string> next;
    zring_test::run(s, [&]() -> zring::task<void> {
        push.send(zmq::str_buffer("dropped-1"), zmq::send_flags::sndmore);
        push.send(zmq::str_buffer("dropped-2"), zmq::send_flags::sndmore);
        push.send(zmq::str_buffer("dropped-3"), zmq::send_flags::none);
        push.send(zmq::str_buffer("kept-1"), zmq::send_flags::sndmore);
        push.send(zmq::str_buffer("kept-2"), zmq::send_flags::none);
        // Wait (bounded) until the first message is queued for the PULL.
        co_await pull.wait(ZMQ_POLLIN, 5s);
        try {
            failing.emplace();
            auto parts = co_await pull.recv_multipart();
            failing.reset();
        } catch (const zring::socket_error& e) {
            failing.reset();
            error = e.code().value();
        } catch (const std::bad_alloc&) {
            // With every allocation refused the socket_error's message
            // cannot be built either: this is what arrives.
            failing.reset();
            error = -1;
        }
        for (auto& frame : co_await pull.recv_multipart(5s)) next.push_back(frame.to_string());
    }());
    CHECK((error == ENOMEM || error == -1));  // the receive failed, and said it was memory
    CHECK(next == std::vector<std::string>{"kept-1", "kept-2"});
}
