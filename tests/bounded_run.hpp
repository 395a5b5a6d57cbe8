#pragma once
// Every test's coroutine runs under a time limit: a regression that makes an
// await hang fails in seconds with a message naming the limit, instead of
// waiting for the watchdog. The limit cancels the test's coroutine through
// its ambient stop token, which every zring operation observes.

#include <zring/coro/task.hpp>
#include <zring/coro/when_any.hpp>
#include <zring/io/scheduler.hpp>
#include <zring/io/timer.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace zring_test {

// Generous: sanitizer builds on a loaded 2-core machine run 10x slower.
inline constexpr std::chrono::seconds default_limit{20};

struct test_timed_out : std::runtime_error {
    explicit test_timed_out(std::chrono::milliseconds limit)
        : std::runtime_error("the test's coroutine did not finish within " + std::to_string(limit.count()) + " ms") {}
};

template <class T>
zring::task<T> within(zring::task<T> body, std::chrono::milliseconds limit) {
    auto outcome = co_await zring::when_any(std::move(body), zring::sleep_for(limit));
    if (outcome.index() == 1) throw test_timed_out(limit);
    if constexpr (!std::is_void_v<T>) co_return std::get<0>(std::move(outcome));
}

// s.run(body), bounded by limit.
template <class T>
T run(zring::scheduler& s, zring::task<T> body, std::chrono::milliseconds limit = default_limit) {
    return s.run(within(std::move(body), limit));
}

// s.run(awaitable) (when_all(...), ...), bounded by limit.
template <zring::awaitable A>
decltype(auto) run(zring::scheduler& s, A&& a, std::chrono::milliseconds limit = default_limit) {
    auto as_task = [](A inner) -> zring::task<zring::await_result_t<A>> { co_return co_await std::move(inner); };
    return run(s, as_task(std::forward<A>(a)), limit);
}

}  // namespace zring_test
