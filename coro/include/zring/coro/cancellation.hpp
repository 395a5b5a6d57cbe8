#pragma once
// One cancellation mechanism for all of zring: std::stop_token.
//
// Every task carries an ambient stop token, inherited from the coroutine that
// awaits it. Suspending operations observe the token they are given
// explicitly, or else the ambient one of the coroutine awaiting them, so
// when_any, task_group and a user's own stop_source cancel whole call trees.

#include <coroutine>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <utility>

namespace zring {

// Thrown by a suspending operation that ended because stop was requested.
// The object the operation was on stays usable.
class operation_cancelled : public std::runtime_error {
public:
    explicit operation_cancelled(const std::string& operation)
        : std::runtime_error(operation + ": operation cancelled") {}
};

namespace detail {

template <class Promise>
concept has_stop_token = requires(const Promise& p) {
    { p.stop_token() } -> std::convertible_to<const std::stop_token&>;
};

// The token an operation observes: the explicit one when it can be stopped,
// otherwise the ambient token of the awaiting coroutine.
template <class Promise>
std::stop_token effective_stop_token(const std::stop_token& explicit_token,
                                     std::coroutine_handle<Promise> awaiting) noexcept {
    if (explicit_token.stop_possible()) return explicit_token;
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
        token = detail::effective_stop_token({}, h);
        return false;
    }
    std::stop_token await_resume() noexcept { return std::move(token); }
};

}  // namespace zring
