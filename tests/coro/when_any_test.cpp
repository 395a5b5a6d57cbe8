#include <zring/coro/event.hpp>
#include <zring/coro/sync_wait.hpp>
#include <zring/coro/task.hpp>
#include <zring/coro/when_any.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace {
zring::task<int> value(int v) { co_return v; }

// Waits on an event nobody sets: only cancellation ends it.
zring::task<std::string> forever(zring::event& never, int& cancelled) {
    try {
        co_await never;
    } catch (const zring::operation_cancelled&) {
        ++cancelled;
        throw;
    }
    co_return "unreachable";
}
}  // namespace

TEST_CASE("when_any returns the first result and cancels the losers", "[coro][when_any][cancel]") {
    zring::event never;
    int cancelled = 0;
    auto r = zring::sync_wait(zring::when_any(forever(never, cancelled), value(7), forever(never, cancelled)));
    REQUIRE(r.index() == 1);
    CHECK(std::get<1>(r) == 7);
    CHECK(cancelled == 2);
}

TEST_CASE("when_any returns only after every loser has finished", "[coro][when_any][cancel]") {
    zring::event never;
    bool loser_finished = false;
    auto loser = [&]() -> zring::task<void> {
        try {
            co_await never;
        } catch (const zring::operation_cancelled&) {
        }
        loser_finished = true;
    };
    auto parent = [&]() -> zring::task<bool> {
        co_await zring::when_any(loser(), value(1));
        co_return loser_finished;
    };
    CHECK(zring::sync_wait(parent()));
}

TEST_CASE("when_any rethrows the winner's exception", "[coro][when_any]") {
    zring::event never;
    int cancelled = 0;
    auto fails = []() -> zring::task<int> {
        throw std::runtime_error("winner failed");
        co_return 0;
    };
    CHECK_THROWS_WITH(zring::sync_wait(zring::when_any(forever(never, cancelled), fails())), "winner failed");
    CHECK(cancelled == 1);
}

TEST_CASE("when_any over a vector reports the winner's index", "[coro][when_any]") {
    zring::event never, go;
    int cancelled = 0;
    std::vector<zring::task<std::string>> tasks;
    tasks.push_back(forever(never, cancelled));
    auto second = [&]() -> zring::task<std::string> {
        co_await go;
        co_return "second";
    };
    tasks.push_back(second());
    tasks.push_back(forever(never, cancelled));
    auto parent = [&]() -> zring::task<std::pair<std::size_t, std::string>> {
        co_return co_await zring::when_any(std::move(tasks));
    };
    auto setter = [&]() -> zring::task<void> {
        go.set();
        co_return;
    };
    auto both = zring::when_all(parent(), setter());
    auto [winner, unused] = zring::sync_wait(std::move(both));
    CHECK(winner.first == 1);
    CHECK(winner.second == "second");
    CHECK(cancelled == 2);
}

TEST_CASE("when_any over an empty vector is an error", "[coro][when_any]") {
    CHECK_THROWS_AS(zring::when_any(std::vector<zring::task<int>>{}), std::invalid_argument);
}

TEST_CASE("stopping the parent's token cancels every when_any child", "[coro][when_any][cancel]") {
    zring::event never;
    int cancelled = 0;
    std::stop_source source;
    auto parent = [&]() -> zring::task<void> {
        co_await zring::when_any(forever(never, cancelled), forever(never, cancelled));
    };
    auto stopper = [&]() -> zring::task<void> {
        source.request_stop();
        co_return;
    };
    auto both = [&]() -> zring::task<void> {
        co_await zring::when_all(parent().with_stop_token(source.get_token()), stopper());
    };
    CHECK_THROWS_AS(zring::sync_wait(both()), zring::operation_cancelled);
    CHECK(cancelled == 2);
}
