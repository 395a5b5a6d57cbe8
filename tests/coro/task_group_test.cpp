#include <zring/coro/event.hpp>
#include <zring/coro/sync_wait.hpp>
#include <zring/coro/task.hpp>
#include <zring/coro/task_group.hpp>
#include <zring/coro/when_all.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>
#include <vector>

TEST_CASE("with_task_group returns after every child finished", "[coro][task_group]") {
    zring::event go;
    std::vector<int> finished;
    auto child = [&](int id) -> zring::task<void> {
        co_await go;
        finished.push_back(id);
    };
    auto group = [&]() -> zring::task<void> {
        co_await zring::with_task_group([&](zring::task_group& g) -> zring::task<void> {
            g.spawn(child(1));
            g.spawn(child(2));
            CHECK(g.running() == 2);
            co_return;
        });
        CHECK(finished.size() == 2);
    };
    auto release = [&]() -> zring::task<void> {
        CHECK(finished.empty());
        go.set();
        co_return;
    };
    zring::sync_wait(zring::when_all(group(), release()));
    CHECK(finished == std::vector<int>{1, 2});
}

TEST_CASE("a failing child cancels its siblings and the failure is rethrown", "[coro][task_group][cancel]") {
    zring::event never, fail_now;
    int cancelled = 0;
    auto sibling = [&]() -> zring::task<void> {
        try {
            co_await never;
        } catch (const zring::operation_cancelled&) {
            ++cancelled;
            throw;
        }
    };
    auto failing = [&]() -> zring::task<void> {
        co_await fail_now;
        throw std::runtime_error("child failed");
    };
    auto group = [&]() -> zring::task<void> {
        co_await zring::with_task_group([&](zring::task_group& g) -> zring::task<void> {
            g.spawn(sibling());
            g.spawn(failing());
            g.spawn(sibling());
            co_return;
        });
    };
    auto trigger = [&]() -> zring::task<void> {
        fail_now.set();
        co_return;
    };
    CHECK_THROWS_WITH(zring::sync_wait(zring::when_all(group(), trigger())), "child failed");
    CHECK(cancelled == 2);
}

TEST_CASE("a failing body cancels the children", "[coro][task_group][cancel]") {
    zring::event never;
    int cancelled = 0;
    auto child = [&]() -> zring::task<void> {
        try {
            co_await never;
        } catch (const zring::operation_cancelled&) {
            ++cancelled;
        }
    };
    auto group = [&]() -> zring::task<void> {
        co_await zring::with_task_group([&](zring::task_group& g) -> zring::task<void> {
            g.spawn(child());
            throw std::logic_error("body failed");
            co_return;
        });
    };
    CHECK_THROWS_AS(zring::sync_wait(group()), std::logic_error);
    CHECK(cancelled == 1);
}

TEST_CASE("a child that completes synchronously leaves the group empty", "[coro][task_group]") {
    int ran = 0;
    auto child = [&]() -> zring::task<void> {
        ++ran;
        co_return;
    };
    zring::sync_wait(zring::with_task_group([&](zring::task_group& g) -> zring::task<void> {
        for (int i = 0; i < 1000; ++i) g.spawn(child());
        CHECK(g.running() == 0);
        co_return;
    }));
    CHECK(ran == 1000);
}

TEST_CASE("request_stop ends a group without failure", "[coro][task_group][cancel]") {
    zring::event never;
    int cancelled = 0;
    auto child = [&]() -> zring::task<void> {
        try {
            co_await never;
        } catch (const zring::operation_cancelled&) {
            ++cancelled;
            throw;
        }
    };
    zring::sync_wait(zring::with_task_group([&](zring::task_group& g) -> zring::task<void> {
        g.spawn(child());
        g.spawn(child());
        g.request_stop();
        co_return;
    }));
    CHECK(cancelled == 2);
}

TEST_CASE("stopping the parent ends the group with operation_cancelled", "[coro][task_group][cancel]") {
    zring::event never;
    std::stop_source source;
    auto waits = [&]() -> zring::task<void> { co_await never; };
    auto group = [&]() -> zring::task<void> {
        co_await zring::with_task_group([&](zring::task_group& g) -> zring::task<void> {
            g.spawn(waits());
            co_return;
        });
    };
    auto stopper = [&]() -> zring::task<void> {
        source.request_stop();
        co_return;
    };
    auto both = [&]() -> zring::task<void> {
        co_await zring::when_all(group().with_stop_token(source.get_token()), stopper());
    };
    CHECK_THROWS_AS(zring::sync_wait(both()), zring::operation_cancelled);
}
