#pragma once
// One cancellation mechanism for all of zring: std::stop_token.
//
// Every task carries an ambient stop token, inherited from the coroutine that
// awaits it. A suspending operation observes both the token it is given
// explicitly and the ambient one of the coroutine awaiting it: either stops
// it. So when_any, task_group and a user's own stop_source cancel whole call
// trees, and passing a token of one's own never deafens an operation to them.

#include <zring/coro/errors.hpp>

#include <concepts>
#include <coroutine>
#include <stop_token>
#include <utility>

namespace zring {

namespace detail {

template <class Promise>
concept has_stop_token = requires(const Promise& p) {
    { p.stop_token() } -> std::convertible_to<const std::stop_token&>;
};

// The ambient token of the awaiting coroutine (none for foreign promises).
template <class Promise>
std::stop_token ambient_stop_token(std::coroutine_handle<Promise> awaiting) noexcept {
    if constexpr (has_stop_token<Promise>) return awaiting.promise().stop_token();
    return {};
}

}  // namespace detail

// `co_await zring::get_stop_token()` yields the ambient token of the current
// task without suspending.
struct get_stop_token {
    std::stop_token token;
    bool await_ready() const noexcept { return false; }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> h) noexcept {
        token = detail::ambient_stop_token(h);
        return false;
    }
    std::stop_token await_resume() noexcept { return std::move(token); }
};

}  // namespace zring
