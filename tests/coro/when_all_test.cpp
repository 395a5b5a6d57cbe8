#include <zring/coro/event.hpp>
#include <zring/coro/sync_wait.hpp>
#include <zring/coro/task.hpp>
#include <zring/coro/when_all.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace {
zring::task<int> value(int v) { co_return v; }
zring::task<void> nothing() { co_return; }
zring::task<int> after(zring::event& e, int v) {
    co_await e;
    co_return v;
}
}  // namespace

TEST_CASE("when_all returns every result in argument order", "[coro][when_all]") {
    auto [a, b, c] = zring::sync_wait(zring::when_all(value(1), nothing(), value(3)));
    CHECK(a == 1);
    CHECK(b == std::monostate{});
    CHECK(c == 3);
}

TEST_CASE("when_all resumes only after the last child finishes", "[coro][when_all]") {
    zring::event first, second;
    bool done = false;
    auto parent = [&]() -> zring::task<int> {
        auto [x, y] = co_await zring::when_all(after(first, 10), after(second, 20));
        done = true;
        co_return x + y;
    };
    auto controller = [&]() -> zring::task<void> {
        CHECK_FALSE(done);
        second.set();
        CHECK_FALSE(done);
        first.set();
        CHECK(done);
        co_return;
    };
    auto [sum, unused] = zring::sync_wait(zring::when_all(parent(), controller()));
    CHECK(sum == 30);
}

TEST_CASE("when_all over a vector returns results in order", "[coro][when_all]") {
    std::vector<zring::task<int>> tasks;
    for (int i = 0; i < 100; ++i) tasks.push_back(value(i));
    auto results = zring::sync_wait(zring::when_all(std::move(tasks)));
    REQUIRE(results.size() == 100);
    for (int i = 0; i < 100; ++i) CHECK(results[static_cast<std::size_t>(i)] == i);
}

TEST_CASE("when_all over an empty vector completes at once", "[coro][when_all]") {
    auto results = zring::sync_wait(zring::when_all(std::vector<zring::task<int>>{}));
    CHECK(results.empty());
}

TEST_CASE("when_all waits for every child and rethrows the first failure", "[coro][when_all]") {
    int finished = 0;
    auto fails = [&](std::string what) -> zring::task<int> {
        ++finished;
        throw std::runtime_error(what);
        co_return 0;
    };
    auto ok = [&]() -> zring::task<int> {
        ++finished;
        co_return 1;
    };
    CHECK_THROWS_WITH(zring::sync_wait(zring::when_all(ok(), fails("first"), fails("second"))), "first");
    CHECK(finished == 3);
}
