#include "bounded_run.hpp"

#include <zring/coro/when_all.hpp>
#include <zring/io/poll.hpp>
#include <zring/io/scheduler.hpp>
#include <zring/io/timer.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

using namespace std::chrono_literals;

namespace {
struct pipe_pair {
    int fds[2];
    pipe_pair() { REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0); }
    ~pipe_pair() {
        ::close(fds[0]);
        ::close(fds[1]);
    }
    int read_end() const { return fds[0]; }
    int write_end() const { return fds[1]; }
};
}  // namespace

TEST_CASE("poll reports a pipe readable once data is written", "[io][poll]") {
    zring::scheduler s;
    pipe_pair p;
    auto reader = [&]() -> zring::task<char> {
        const unsigned events = co_await zring::poll(p.read_end(), POLLIN);
        CHECK((events & POLLIN) != 0);
        char c = 0;
        CHECK(::read(p.read_end(), &c, 1) == 1);
        co_return c;
    };
    s.call_later(2ms, [&] { CHECK(::write(p.write_end(), "z", 1) == 1); });
    CHECK(zring_test::run(s, reader()) == 'z');
}

TEST_CASE("poll reports a pipe writable at once", "[io][poll]") {
    zring::scheduler s;
    pipe_pair p;
    auto writer = [&]() -> zring::task<unsigned> { co_return co_await zring::poll(p.write_end(), POLLOUT); };
    CHECK((zring_test::run(s, writer()) & POLLOUT) != 0);
}

TEST_CASE("a cancelled poll ends with operation_cancelled and leaves the fd usable", "[io][poll][cancel]") {
    zring::scheduler s;
    pipe_pair p;
    std::stop_source source;
    auto cancelled_poll = [&]() -> zring::task<bool> {
        try {
            co_await zring::poll(p.read_end(), POLLIN, source.get_token());
        } catch (const zring::operation_cancelled&) {
            co_return true;
        }
        co_return false;
    };
    s.call_later(1ms, [&] { source.request_stop(); });
    CHECK(zring_test::run(s, cancelled_poll()));

    auto second_poll = [&]() -> zring::task<unsigned> { co_return co_await zring::poll(p.read_end(), POLLIN); };
    CHECK(::write(p.write_end(), "x", 1) == 1);
    CHECK((zring_test::run(s, second_poll()) & POLLIN) != 0);
}

TEST_CASE("poll on a negative fd is an error", "[io][poll]") {
    zring::scheduler s;
    auto t = []() -> zring::task<void> { co_await zring::poll(-1, POLLIN); };
    try {
        zring_test::run(s, t());
        FAIL("no exception");
    } catch (const std::system_error& e) {
        CHECK(e.code().value() == EBADF);
        CHECK_THAT(e.what(), Catch::Contains("invalid file descriptor -1"));
    }
}

TEST_CASE("poll on a closed fd is an error, not a hang", "[io][poll]") {
    zring::scheduler s;
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    ::close(fds[0]);
    ::close(fds[1]);
    auto t = [&]() -> zring::task<void> { co_await zring::poll(fds[0], POLLIN); };
    try {
        zring_test::run(s, t());
        FAIL("no exception");
    } catch (const std::system_error& e) {
        CHECK(e.code().value() == EBADF);
        CHECK_THAT(e.what(), Catch::Contains("zring::poll(fd="));
    }
}

TEST_CASE("many polls prepared in one turn are submitted together", "[io][poll]") {
    zring::scheduler s(zring::scheduler_options{4});  // fewer SQEs than polls
    pipe_pair p;
    int ready = 0;
    auto waiter = [&]() -> zring::task<void> {
        co_await zring::poll(p.read_end(), POLLIN);
        ++ready;
    };
    auto all = [&]() -> zring::task<void> {
        std::vector<zring::task<void>> tasks;
        for (int i = 0; i < 32; ++i) tasks.push_back(waiter());
        s.call_later(2ms, [&] { CHECK(::write(p.write_end(), "x", 1) == 1); });
        co_await zring::when_all(std::move(tasks));
    };
    zring_test::run(s, all());
    CHECK(ready == 32);
}
