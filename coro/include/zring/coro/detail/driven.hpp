#pragma once
// driven<R, State>: the coroutine that zring starts without awaiting it
// (sync_wait, the children of when_all and when_any, scheduler::run). It
// awaits one awaitable and keeps its result<R>, value or exception. What
// happens when it ends is its driver's: State, a base of the promise, holds
// what the driver needs, and State::finished() returns the coroutine to
// resume next (std::noop_coroutine() for none).

#include <zring/coro/awaitable_traits.hpp>
#include <zring/coro/detail/result.hpp>

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

namespace zring::detail {

template <class R, class State>
class driven {
public:
    using result_type = R;

    struct promise_type : State {
        result<R> value;

        driven get_return_object() noexcept { return driven{std::coroutine_handle<promise_type>::from_promise(*this)}; }
        std::suspend_always initial_suspend() noexcept { return {}; }
        auto final_suspend() noexcept {
            struct finisher {
                bool await_ready() noexcept { return false; }
                std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
                    return h.promise().finished();
                }
                void await_resume() noexcept {}
            };
            return finisher{};
        }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { value.set_exception(std::current_exception()); }
    };

    explicit driven(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
    driven(driven&& o) noexcept : handle_(std::exchange(o.handle_, {})) {}
    driven& operator=(driven&&) = delete;
    ~driven() {
        if (handle_) handle_.destroy();
    }

    std::coroutine_handle<promise_type> handle() const noexcept { return handle_; }
    promise_type& promise() const noexcept { return handle_.promise(); }

private:
    std::coroutine_handle<promise_type> handle_;
};

// The body of every driven coroutine: awaits a and keeps what it gives.
template <class Driven, class A>
Driven drive(A a) {
    auto& p = co_await promise_of<typename Driven::promise_type>{};
    if constexpr (std::is_void_v<typename Driven::result_type>) {
        co_await std::forward<A>(a);
        p.value.set_value();
    } else {
        p.value.set_value(co_await std::forward<A>(a));
    }
}

}  // namespace zring::detail
