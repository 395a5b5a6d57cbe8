#pragma once
// when_all: await several awaitables concurrently; resume when all finished.
//
// Children inherit the awaiting coroutine's stop token. Every child runs to
// completion; then the exception of the first child (in argument order) that
// failed is rethrown, or the results are returned: a std::tuple for the
// variadic form (void becomes std::monostate), a std::vector for a range.

#include <zring/coro/awaitable_traits.hpp>
#include <zring/coro/detail/join.hpp>

#include <coroutine>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace zring {

namespace detail {

// Starts every child; returns whether the parent must suspend.
template <class Promise, class StartAll>
bool start_children(join_state& state, std::size_t count, std::coroutine_handle<Promise> parent, StartAll&& start_all) {
    state.continuation = parent;
    state.children_token = ambient_stop_token(parent);
    // One extra count for the parent, so a child finishing synchronously
    // cannot resume it before every child was started.
    state.remaining.store(count + 1, std::memory_order_relaxed);
    start_all();
    return state.remaining.fetch_sub(1, std::memory_order_acq_rel) != 1;
}

template <class... Rs>
class when_all_tuple {
public:
    explicit when_all_tuple(join_child<Rs>... children) : children_(std::move(children)...) {}

    bool await_ready() const noexcept { return sizeof...(Rs) == 0; }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> parent) {
        return start_children(state_, sizeof...(Rs), parent, [this] {
            std::apply(
                [this](auto&... c) {
                    std::size_t i = 0;
                    (c.start(state_, i++), ...);
                },
                children_);
        });
    }
    std::tuple<non_void_t<Rs>...> await_resume() {
        std::apply([](auto&... c) { (c.rethrow_if_failed(), ...); }, children_);
        return std::apply([](auto&... c) { return std::tuple<non_void_t<Rs>...>(c.result()...); }, children_);
    }

private:
    std::tuple<join_child<Rs>...> children_;
    join_state state_;
};

template <class R>
class when_all_range {
public:
    explicit when_all_range(std::vector<join_child<R>> children) : children_(std::move(children)) {}

    bool await_ready() const noexcept { return children_.empty(); }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> parent) {
        return start_children(state_, children_.size(), parent, [this] {
            for (std::size_t i = 0; i < children_.size(); ++i) children_[i].start(state_, i);
        });
    }
    auto await_resume() {
        for (auto& c : children_) c.rethrow_if_failed();
        if constexpr (std::is_void_v<R>) {
            return;
        } else {
            std::vector<R> results;
            results.reserve(children_.size());
            for (auto& c : children_) results.push_back(c.result());
            return results;
        }
    }

private:
    std::vector<join_child<R>> children_;
    join_state state_;
};

}  // namespace detail

template <awaitable... As>
[[nodiscard]] auto when_all(As&&... awaitables) {
    return detail::when_all_tuple<await_result_t<As>...>(
        detail::make_join_child<await_result_t<As>, As>(std::forward<As>(awaitables))...);
}

template <awaitable A>
[[nodiscard]] auto when_all(std::vector<A> awaitables) {
    using R = await_result_t<A>;
    return detail::when_all_range<R>(detail::make_join_children(awaitables));
}

}  // namespace zring
