// A scheduler's teardown under memory pressure: destroying a scheduler
// with coroutines suspended in every kind of io and coro wait (sleep, poll,
// a callback timer, event, mutex, channel send and recv) runs their
// destructors, which unlink, disarm and withdraw; none may need memory.
// Every allocation on this thread is refused while the scheduler is
// destroyed. (ZeroMQ sockets are left out: libzmq allocates when a socket
// closes and asserts if it cannot.) Runs in the executable that makes
// operator new fail on demand (allocation_counter.cpp).
#include "allocation_counter.hpp"
#include "bounded_run.hpp"

#include <zring/coro/channel.hpp>
#include <zring/coro/event.hpp>
#include <zring/coro/mutex.hpp>
#include <zring/io/poll.hpp>
#include <zring/io/scheduler.hpp>
#include <zring/io/spawn.hpp>
#include <zring/io/timer.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>

using namespace std::chrono_literals;

TEST_CASE("a scheduler tears down suspended coroutines of every kind with every allocation refused", "[io][alloc]") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    zring::event never;
    zring::mutex held;
    REQUIRE(held.try_lock());  // never unlocked: its waiters stay suspended
    zring::channel<int> full(1), empty(1);
    int first = 1;
    REQUIRE(full.try_send(first));
    int started = 0, finished = 0;
    std::size_t refused = 0;
    {
        auto s = std::make_unique<zring::scheduler>();
        // Each waits for ever; the frame is destroyed at the teardown.
        auto waits = [&](auto awaitable) -> zring::task<void> {
            ++started;
            co_await std::move(awaitable);
            ++finished;
        };
        constexpr int each = 50;
        zring_test::run(*s, [&]() -> zring::task<void> {
            for (int i = 0; i < each; ++i) {
                zring::spawn(*s, waits(zring::sleep_for(1h)));
                zring::spawn(*s, waits(zring::poll(fds[0], POLLIN)));
                zring::spawn(*s, waits(never.wait()));
                zring::spawn(*s, waits(held.lock()));
                zring::spawn(*s, waits(full.send(2)));
                zring::spawn(*s, waits(empty.recv()));
            }
            s->call_later(1h, [&] { ++finished; });
            co_await s->yield();  // every spawned task starts, and suspends
            REQUIRE(started == 6 * each);
            REQUIRE(s->kernel_operations() >= 1);  // the polls are armed
        }());
        zring_test::failing_allocations failing;
        s.reset();
        refused = failing.refused();
    }
    CHECK(refused == 0);
    CHECK(finished == 0);  // torn down, not resumed
    ::close(fds[0]);
    ::close(fds[1]);
}
