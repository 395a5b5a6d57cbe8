#pragma once
// Whether awaiting something throws a given exception. Catch2's assertion
// macros must not contain co_await: their state would live across the
// suspension (and, after a hop, on another thread), and g++ 12 may await
// an expression a macro expands more than once several times. Await with
// this first, then assert on the result (tests/lint/check_co_await.sh).

#include <zring/coro/task.hpp>

#include <utility>

namespace zring_test {

template <class Exception, class Awaitable>
zring::task<bool> throws(Awaitable a) {
    try {
        co_await std::move(a);
    } catch (const Exception&) {
        co_return true;
    }
    co_return false;
}

}  // namespace zring_test
