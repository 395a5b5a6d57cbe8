// A scheduler destroyed under a spawned coroutine that waits on an object
// living in its own frame. Destroying the frame destroys the pending
// operation first and the object after it, so a waiter must leave the
// object's list as it dies (these run under ASan).

#include "zmq_fixture.hpp"

#include <zring/coro/channel.hpp>
#include <zring/coro/event.hpp>
#include <zring/coro/mutex.hpp>
#include <zring/io/shared_channel.hpp>
#include <zring/io/spawn.hpp>
#include <zring/io/timer.hpp>
#include <zring/zmq/poller.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using namespace std::chrono_literals;
using zring_test::unique_inproc;

namespace {

// How far a waiting coroutine got: 1 once at its await, 2 past it.
struct progress {
    int stage = 0;
};

// Spawns the coroutine `make(p)` returns, runs the loop until it is
// suspended at its await (with a kernel watch, if `in_kernel`), then
// destroys the scheduler with the frame still in it.
template <class Make>
void destroy_scheduler_under(Make make, bool in_kernel) {
    progress p;
    auto s = std::make_unique<zring::scheduler>();
    zring::spawn(*s, make(p));
    // The spawned task runs first and suspends; this one goes on once a
    // timer fired, after the loop entered the kernel with what it armed.
    const auto kernel = zring_test::run(*s, [](zring::scheduler& sched) -> zring::task<std::size_t> {
        co_await zring::sleep_for(std::chrono::milliseconds(0));
        co_return sched.kernel_operations();
    }(*s));
    REQUIRE(p.stage == 1);  // suspended at its await, not past it
    if (in_kernel) REQUIRE(kernel > 0);
    s.reset();
    CHECK(p.stage == 1);
}

}  // namespace

TEST_CASE("a scheduler destroyed under a poll on a poller in the frame frees nothing twice", "[zmq][lifetime][poller]") {
    zmq::context_t ctx;
    destroy_scheduler_under(
        [&](progress& p) -> zring::task<void> {
            zring::socket pull(*zring::scheduler::current(), ctx, zmq::socket_type::pull);
            pull.bind(unique_inproc("teardown-poller"));
            zring::poller poller;
            poller.add(pull, ZMQ_POLLIN);
            p.stage = 1;
            co_await poller.poll();
            p.stage = 2;
        },
        true);
}

TEST_CASE("a scheduler destroyed under a recv on a socket in the frame frees nothing twice", "[zmq][lifetime]") {
    zmq::context_t ctx;
    destroy_scheduler_under(
        [&](progress& p) -> zring::task<void> {
            zring::socket pull(*zring::scheduler::current(), ctx, zmq::socket_type::pull);
            pull.bind(unique_inproc("teardown-recv"));
            p.stage = 1;
            co_await pull.recv();
            p.stage = 2;
        },
        true);
}

TEST_CASE("a scheduler destroyed under a send on a socket in the frame frees nothing twice", "[zmq][lifetime]") {
    zmq::context_t ctx;
    destroy_scheduler_under(
        [&](progress& p) -> zring::task<void> {
            zring::socket push(*zring::scheduler::current(), ctx, zmq::socket_type::push);
            push.bind(unique_inproc("teardown-send"));  // no peer: a send waits
            p.stage = 1;
            co_await push.send("x");
            p.stage = 2;
        },
        true);
}

TEST_CASE("a scheduler destroyed under an event wait on an event in the frame frees nothing twice", "[io][lifetime]") {
    destroy_scheduler_under(
        [](progress& p) -> zring::task<void> {
            zring::event e;
            p.stage = 1;
            co_await e.wait();
            p.stage = 2;
        },
        false);
}

TEST_CASE("a scheduler destroyed under a lock wait on a mutex in the frame frees nothing twice", "[io][lifetime]") {
    destroy_scheduler_under(
        [](progress& p) -> zring::task<void> {
            zring::mutex m;
            auto held = co_await m.scoped_lock();
            p.stage = 1;
            auto second = co_await m.scoped_lock();  // waits for itself: suspended for good
            p.stage = 2;
        },
        false);
}

namespace {

// A send on a full channel, then a recv on an empty one, each local to the frame.
template <class Channel>
void destroy_scheduler_under_channel_waits() {
    destroy_scheduler_under(
        [](progress& p) -> zring::task<void> {
            Channel full(1);
            std::string first = "first";
            REQUIRE(full.try_send(first));
            p.stage = 1;
            co_await full.send("second");
            p.stage = 2;
        },
        false);
    destroy_scheduler_under(
        [](progress& p) -> zring::task<void> {
            Channel empty(1);
            p.stage = 1;
            auto value = co_await empty.recv();
            p.stage = 2;
        },
        false);
}

}  // namespace

TEST_CASE("a scheduler destroyed under a channel send and recv in the frame frees nothing twice", "[io][lifetime]") {
    destroy_scheduler_under_channel_waits<zring::channel<std::string>>();
}

TEST_CASE("a scheduler destroyed under a shared_channel send and recv in the frame frees nothing twice",
          "[io][lifetime][threads]") {
    destroy_scheduler_under_channel_waits<zring::shared_channel<std::string>>();
}
