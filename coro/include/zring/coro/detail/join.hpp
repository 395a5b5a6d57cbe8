#pragma once
// The child coroutines behind when_all and when_any: each awaits one
// awaitable, keeps its outcome, and the last one to finish resumes the parent.

#include <zring/coro/awaitable_traits.hpp>
#include <zring/coro/cancellation.hpp>

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace zring::detail {

inline constexpr std::size_t no_winner = std::numeric_limits<std::size_t>::max();

struct join_state {
    // Children may complete on other threads (e.g. under sync_wait).
    std::atomic<std::size_t> remaining{0};
    std::coroutine_handle<> continuation;
    std::stop_token children_token;
    // when_any only: the first child to finish requests stop of the others.
    std::stop_source* race = nullptr;
    std::atomic<std::size_t> winner{no_winner};

    join_state() = default;
    join_state(join_state&&) noexcept {}  // only before start: nothing to carry
};

template <class R>
class join_child {
public:
    using stored_type = std::conditional_t<std::is_reference_v<R>, std::add_pointer_t<R>, non_void_t<R>>;

    struct promise_type {
        join_state* state = nullptr;
        std::size_t index = 0;
        std::optional<stored_type> value;
        std::exception_ptr exception;

        join_child get_return_object() noexcept {
            return join_child{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        auto final_suspend() noexcept {
            struct completer {
                bool await_ready() noexcept { return false; }
                std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
                    auto& p = h.promise();
                    join_state& s = *p.state;
                    if (s.race) {
                        std::size_t expected = no_winner;
                        if (s.winner.compare_exchange_strong(expected, p.index, std::memory_order_acq_rel))
                            s.race->request_stop();
                    }
                    if (s.remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) return s.continuation;
                    return std::noop_coroutine();
                }
                void await_resume() noexcept {}
            };
            return completer{};
        }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { exception = std::current_exception(); }
        const std::stop_token& stop_token() const noexcept { return state->children_token; }
    };

    explicit join_child(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
    join_child(join_child&& o) noexcept : handle_(std::exchange(o.handle_, {})) {}
    join_child& operator=(join_child&&) = delete;
    ~join_child() {
        if (handle_) handle_.destroy();
    }

    void start(join_state& state, std::size_t index) noexcept {
        handle_.promise().state = &state;
        handle_.promise().index = index;
        handle_.resume();
    }

    bool failed() const noexcept { return static_cast<bool>(handle_.promise().exception); }
    void rethrow_if_failed() const {
        if (auto& e = handle_.promise().exception) std::rethrow_exception(e);
    }
    // Precondition: the child finished without an exception.
    decltype(auto) result() {
        auto& v = *handle_.promise().value;
        if constexpr (std::is_reference_v<R>)
            return static_cast<R>(*v);
        else
            return std::move(v);
    }

private:
    std::coroutine_handle<promise_type> handle_;
};

template <class R, class A>
join_child<R> make_join_child(A a) {
    auto& p = co_await promise_of<typename join_child<R>::promise_type>{};
    if constexpr (std::is_void_v<R>) {
        co_await std::forward<A>(a);
        p.value.emplace();
    } else if constexpr (std::is_reference_v<R>) {
        p.value.emplace(std::addressof(co_await std::forward<A>(a)));
    } else {
        p.value.emplace(co_await std::forward<A>(a));
    }
}

}  // namespace zring::detail
