#include "bounded_run.hpp"

#include <zring/io/scheduler.hpp>
#include <zring/io/signal.hpp>

#include <catch2/catch.hpp>

#include <pthread.h>

#include <csignal>
#include <stdexcept>

TEST_CASE("signal() returns the number of the signal that arrived", "[io][signal][threads]") {
    zring::scheduler s;
    auto waiter = [&]() -> zring::task<int> {
        auto wait = zring::signal(SIGUSR1, SIGUSR2);  // blocks both right away
        s.call_later(std::chrono::milliseconds(2), [] { pthread_kill(pthread_self(), SIGUSR2); });
        co_return co_await std::move(wait);
    };
    CHECK(zring_test::run(s, waiter()) == SIGUSR2);
}

TEST_CASE("signal() rejects signals that cannot be caught", "[io][signal]") {
    CHECK_THROWS_AS(zring::signal(SIGKILL), std::invalid_argument);
    CHECK_THROWS_AS(zring::signal(), std::invalid_argument);
    CHECK_THROWS_AS(zring::block_signals(1000), std::invalid_argument);
}
