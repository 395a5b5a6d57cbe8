#pragma once
// The four ways a suspending operation must be stoppable, checked for any
// operation that would otherwise wait forever: inside when_any, with and
// without a token of its own; inside a task_group that is stopped; and
// through its own token alone.

#include "bounded_run.hpp"

#include <zring/coro/task.hpp>
#include <zring/coro/task_group.hpp>
#include <zring/coro/when_any.hpp>
#include <zring/io/scheduler.hpp>
#include <zring/io/timer.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <stop_token>

namespace zring_test {

// Starts an operation that never completes by itself, observing token (and
// the ambient one); it may throw only operation_cancelled.
using blocking_operation = std::function<zring::task<void>(std::stop_token)>;

inline void check_cancellation_composes(zring::scheduler& s, const blocking_operation& op) {
    using namespace std::chrono_literals;
// g++ 12 at -O1 (the sanitizer presets) flags std::stop_source's own
// constructor as reading `never` uninitialized once scheduler::run(task),
// which holds a stop_source too, is inlined here: a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
    std::stop_source never;  // can stop, never does: must not deafen the operation
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

    auto raced = [&](std::stop_token own) -> zring::task<std::size_t> {
        co_return (co_await zring::when_any(op(own), zring::sleep_for(10ms))).index();
    };
    INFO("inside when_any, no token of its own");
    CHECK(run(s, raced({})) == 1);
    INFO("inside when_any, with a token of its own");
    CHECK(run(s, raced(never.get_token())) == 1);

    auto grouped = [&]() -> zring::task<void> {
        co_await zring::with_task_group([&](zring::task_group& group) -> zring::task<void> {
            group.spawn(op({}));
            group.spawn(op(never.get_token()));
            co_await zring::sleep_for(10ms);
            group.request_stop();
        });
    };
    INFO("inside a stopped task_group, with and without a token of its own");
    CHECK_NOTHROW(run(s, grouped()));

    auto own_token_only = [&]() -> zring::task<bool> {
        std::stop_source mine;
        auto stop_later = [&]() -> zring::task<void> {
            co_await zring::sleep_for(10ms);
            mine.request_stop();
        };
        bool cancelled = false;
        auto watched = [&]() -> zring::task<void> {
            try {
                co_await op(mine.get_token());
            } catch (const zring::operation_cancelled&) {
                cancelled = true;
            }
        };
        co_await zring::when_all(watched(), stop_later());
        co_return cancelled;
    };
    INFO("through its own token alone");
    CHECK(run(s, own_token_only()));
}

}  // namespace zring_test
