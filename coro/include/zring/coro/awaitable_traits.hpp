#pragma once
// What `co_await a` yields, for combinators that accept any awaitable.

#include <coroutine>
#include <type_traits>
#include <utility>
#include <variant>

namespace zring {

namespace detail {

template <class A>
decltype(auto) get_awaiter(A&& a) {
    if constexpr (requires { std::forward<A>(a).operator co_await(); })
        return std::forward<A>(a).operator co_await();
    else if constexpr (requires { operator co_await(std::forward<A>(a)); })
        return operator co_await(std::forward<A>(a));
    else
        return std::forward<A>(a);
}

// `co_await promise_of<P>{}` inside a coroutine of promise type P yields its
// promise without suspending.
template <class Promise>
struct promise_of {
    Promise* promise = nullptr;
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<Promise> h) noexcept {
        promise = &h.promise();
        return false;
    }
    Promise& await_resume() const noexcept { return *promise; }
};

}  // namespace detail

template <class A>
concept awaitable = requires(A&& a) {
    { detail::get_awaiter(std::forward<A>(a)).await_ready() } -> std::convertible_to<bool>;
    detail::get_awaiter(std::forward<A>(a)).await_resume();
};

template <awaitable A>
using await_result_t = decltype(detail::get_awaiter(std::declval<A>()).await_resume());

// void results become std::monostate inside tuples and variants.
template <class T>
using non_void_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

}  // namespace zring
