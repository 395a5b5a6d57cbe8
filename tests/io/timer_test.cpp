#include "bounded_run.hpp"

#include <zring/coro/when_all.hpp>
#include <zring/coro/when_any.hpp>
#include <zring/io/scheduler.hpp>
#include <zring/io/timer.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <stop_token>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

TEST_CASE("sleep_for never returns early", "[io][timer]") {
    zring::scheduler s;
    auto t = []() -> zring::task<clock_type::duration> {
        const auto start = clock_type::now();
        co_await zring::sleep_for(20ms);
        co_return clock_type::now() - start;
    };
    CHECK(zring_test::run(s, t()) >= 20ms);
}

TEST_CASE("timers fire in deadline order, and in arming order for equal deadlines", "[io][timer]") {
    zring::scheduler s;
    std::vector<int> order;
    const auto base = clock_type::now() + 5ms;
    s.call_at(base + 3ms, [&] { order.push_back(3); });
    s.call_at(base + 1ms, [&] { order.push_back(1); });
    s.call_at(base + 2ms, [&] { order.push_back(20); });
    s.call_at(base + 2ms, [&] { order.push_back(21); });
    s.call_at(base + 4ms, [&] { s.stop(); });
    s.run();
    CHECK(order == std::vector<int>{1, 20, 21, 3});
}

TEST_CASE("a call_later callback never runs before its delay", "[io][timer]") {
    zring::scheduler s;
    const auto start = clock_type::now();
    clock_type::time_point fired{};
    s.call_later(15ms, [&] {
        fired = clock_type::now();
        s.stop();
    });
    s.run();
    CHECK(fired - start >= 15ms);
}

TEST_CASE("a cancelled call_later callback does not run", "[io][timer]") {
    zring::scheduler s;
    bool ran = false;
    auto handle = s.call_later(1ms, [&] { ran = true; });
    CHECK(handle.pending());
    handle.cancel();
    CHECK_FALSE(handle.pending());
    s.call_later(5ms, [&] { s.stop(); });
    s.run();
    CHECK_FALSE(ran);
}

TEST_CASE("a timer handle stops being pending once its callback ran", "[io][timer]") {
    zring::scheduler s;
    auto handle = s.call_later(0ms, [&] { s.stop(); });
    s.run();
    CHECK_FALSE(handle.pending());
    handle.cancel();  // harmless after the fact
}

TEST_CASE("a cancelled sleep ends with operation_cancelled at once", "[io][timer][cancel]") {
    zring::scheduler s;
    std::stop_source source;
    auto sleeper = [&]() -> zring::task<bool> {
        try {
            co_await zring::sleep_for(1h, source.get_token());
        } catch (const zring::operation_cancelled&) {
            co_return true;
        }
        co_return false;
    };
    s.call_later(1ms, [&] { source.request_stop(); });
    CHECK(zring_test::run(s, sleeper()));
}

TEST_CASE("a sleep can be cancelled from another thread", "[io][timer][cancel][threads]") {
    zring::scheduler s;
    std::stop_source source;
    std::atomic<bool> sleeping{false};
    auto sleeper = [&]() -> zring::task<bool> {
        s.call_soon([&] { sleeping = true; });
        try {
            co_await zring::sleep_for(1h, source.get_token());
        } catch (const zring::operation_cancelled&) {
            co_return true;
        }
        co_return false;
    };
    std::jthread canceller([&](std::stop_token give_up) {  // joined on every path
        while (!sleeping && !give_up.stop_requested()) std::this_thread::yield();
        source.request_stop();
    });
    const bool cancelled = zring_test::run(s, sleeper());
    canceller.join();
    CHECK(cancelled);
}

TEST_CASE("when_any of sleeps returns the shortest and cancels the rest", "[io][timer][cancel]") {
    zring::scheduler s;
    auto nap = [](std::chrono::milliseconds d) -> zring::task<int> {
        co_await zring::sleep_for(d);
        co_return static_cast<int>(d.count());
    };
    auto race = [&]() -> zring::task<clock_type::duration> {
        const auto start = clock_type::now();
        auto r = co_await zring::when_any(nap(1h), nap(2ms), nap(2h));
        CHECK(r.index() == 1);
        CHECK(std::get<1>(r) == 2);
        co_return clock_type::now() - start;
    };
    CHECK(zring_test::run(s, race()) < 1h);
}

TEST_CASE("a periodic callback runs every period until stopped", "[io][timer]") {
    zring::scheduler s;
    std::vector<clock_type::time_point> calls;
    const auto start = clock_type::now();
    zring::periodic_callback tick(s, 5ms, [&] {
        calls.push_back(clock_type::now());
        if (calls.size() == 4) s.stop();
    });
    tick.start();
    CHECK(tick.running());
    s.run();
    tick.stop();
    REQUIRE(calls.size() == 4);
    for (std::size_t i = 0; i < calls.size(); ++i) CHECK(calls[i] - start >= (static_cast<int>(i) + 1) * 5ms);
}

TEST_CASE("a periodic callback rejects a non-positive period", "[io][timer]") {
    zring::scheduler s;
    CHECK_THROWS_AS(zring::periodic_callback(s, 0ms, [] {}), std::invalid_argument);
}

TEST_CASE("1,000 sleeping coroutines hold no kernel operation", "[io][timer]") {
    zring::scheduler s;
    int woke = 0;
    std::size_t idle = 0, while_sleeping = 0;
    auto sleeper = [&]() -> zring::task<void> {
        co_await zring::sleep_for(2ms);
        ++woke;
    };
    auto observer = [&]() -> zring::task<void> {
        while_sleeping = s.kernel_operations();  // every sleeper has suspended by now
        co_return;
    };
    auto all = [&]() -> zring::task<void> {
        idle = s.kernel_operations();
        std::vector<zring::task<void>> tasks;
        for (int i = 0; i < 1000; ++i) tasks.push_back(sleeper());
        tasks.push_back(observer());
        co_await zring::when_all(std::move(tasks));
    };
    zring_test::run(s, all());
    CHECK(woke == 1000);
    CHECK(idle == 0);
    CHECK(while_sleeping == 0);
}
