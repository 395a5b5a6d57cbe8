#include "cancellation_cases.hpp"

#include <zring/io/poll.hpp>
#include <zring/io/signal.hpp>
#include <zring/io/timer.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <csignal>

using namespace std::chrono_literals;

TEST_CASE("a sleep is stopped by either its own token or the ambient one", "[io][cancel]") {
    zring::scheduler s;
    zring_test::check_cancellation_composes(
        s, [](std::stop_token t) -> zring::task<void> { co_await zring::sleep_for(1h, std::move(t)); });
}

TEST_CASE("a poll is stopped by either its own token or the ambient one", "[io][cancel]") {
    zring::scheduler s;
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    zring_test::check_cancellation_composes(s, [&](std::stop_token t) -> zring::task<void> {
        co_await zring::poll(fds[0], POLLIN, std::move(t));  // nothing is ever written
    });
    CHECK(s.kernel_operations() == 0);  // every cancelled poll was reaped
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST_CASE("a signal wait is stopped by either its own token or the ambient one", "[io][cancel]") {
    zring::scheduler s;
    zring_test::check_cancellation_composes(s, [](std::stop_token t) -> zring::task<void> {
        co_await zring::signal(std::move(t), SIGUSR2);  // never raised
    });
}
