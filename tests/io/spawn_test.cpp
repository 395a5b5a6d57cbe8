#include <zring/coro/event.hpp>
#include <zring/io/poll.hpp>
#include <zring/io/scheduler.hpp>
#include <zring/io/spawn.hpp>
#include <zring/io/timer.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

TEST_CASE("a spawned task starts on the next loop turn", "[io][spawn]") {
    zring::scheduler s;
    bool ran = false;
    auto t = [&]() -> zring::task<void> {
        ran = true;
        s.stop();
        co_return;
    };
    zring::spawn(s, t());
    CHECK_FALSE(ran);
    s.run();
    CHECK(ran);
}

TEST_CASE("a spawned task's exception reaches the exception handler", "[io][spawn]") {
    zring::scheduler s;
    std::string reported;
    s.set_exception_handler([&](std::exception_ptr e) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            reported = ex.what();
        }
        s.stop();
    });
    bool resumed = false;
    auto t = [&]() -> zring::task<int> {
        co_await s.yield();  // thrown from a resumption by the loop, not from spawn()
        resumed = true;
        throw std::runtime_error("spawned failure");
    };
    zring::spawn(s, t());
    CHECK_FALSE(resumed);
    s.run();
    CHECK(resumed);
    CHECK(reported == "spawned failure");
}

namespace {
struct frame_probe {
    int* alive;
    explicit frame_probe(int* a) : alive(a) { ++*alive; }
    frame_probe(const frame_probe&) = delete;
    ~frame_probe() { --*alive; }
};
}  // namespace

TEST_CASE("destroying a scheduler destroys pending spawned work", "[io][spawn]") {
    int alive = 0;
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    zring::event never;
    {
        zring::scheduler s;
        auto sleeper = [&]() -> zring::task<void> {
            frame_probe probe(&alive);
            co_await zring::sleep_for(1h);
        };
        auto poller = [&]() -> zring::task<void> {
            frame_probe probe(&alive);
            co_await zring::poll(pipe_fds[0], POLLIN);
        };
        auto waiter = [&]() -> zring::task<void> {
            frame_probe probe(&alive);
            co_await never;
        };
        zring::spawn(s, sleeper());
        zring::spawn(s, poller());
        zring::spawn(s, waiter());
        s.call_later(1h, [] {});
        s.call_soon([&] { s.stop(); });
        s.run();
        CHECK(alive == 3);
    }
    CHECK(alive == 0);  // and ASan sees no leak
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
}
