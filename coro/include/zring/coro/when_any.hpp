#pragma once
// when_any: await several awaitables concurrently; the first to finish wins.
//
// Each child observes a stop token that is requested as soon as one child
// finishes (and when the awaiting coroutine's own token is). when_any resumes
// only after every child has finished, so nothing it started outlives it.
// The winner's result is returned (its exception rethrown); the losers'
// outcomes are discarded. A loser that completed before it saw the stop loses
// its result: to bound a receive in time, use the operation's own timeout.

#include <zring/coro/awaitable_traits.hpp>
#include <zring/coro/detail/join.hpp>
#include <zring/coro/detail/linked_stop_source.hpp>
#include <zring/coro/when_all.hpp>

#include <coroutine>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <utility>
#include <variant>
#include <vector>

namespace zring {

namespace detail {

// Shared by both forms: the stop source of the race, linked to the parent's.
class race {
public:
    race() = default;
    race(race&&) noexcept {}  // only before start

    template <class Promise, class StartAll>
    bool start(join_state& state, std::size_t count, std::coroutine_handle<Promise> parent, StartAll&& start_all) {
        state.race = &source_;
        source_.link(ambient_stop_token(parent));
        return start_children(state, count, parent, [&] {
            // start_children set the parent's token; the children get the race's.
            state.children_token = source_.get_token();
            start_all();
        });
    }
    void finish() noexcept { source_.unlink(); }

private:
    linked_stop_source source_;
};

template <class... Rs>
class when_any_tuple {
public:
    using result_type = std::variant<non_void_t<Rs>...>;

    explicit when_any_tuple(join_child<Rs>... children) : children_(std::move(children)...) {}

    bool await_ready() const noexcept { return false; }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> parent) {
        return race_.start(state_, sizeof...(Rs), parent, [this] {
            std::apply(
                [this](auto&... c) {
                    std::size_t i = 0;
                    (c.start(state_, i++), ...);
                },
                children_);
        });
    }
    result_type await_resume() {
        race_.finish();
        return take<0>(state_.winner.load(std::memory_order_acquire));
    }

private:
    template <std::size_t I>
    result_type take(std::size_t winner) {
        if constexpr (I < sizeof...(Rs)) {
            if (I != winner) return take<I + 1>(winner);
            auto& child = std::get<I>(children_);
            child.rethrow_if_failed();
            return result_type(std::in_place_index<I>, child.result());
        } else {
            throw std::logic_error("zring::when_any: no child finished");
        }
    }

    std::tuple<join_child<Rs>...> children_;
    join_state state_;
    race race_;
};

template <class R>
class when_any_range {
public:
    explicit when_any_range(std::vector<join_child<R>> children) : children_(std::move(children)) {}

    bool await_ready() const noexcept { return false; }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> parent) {
        return race_.start(state_, children_.size(), parent, [this] {
            for (std::size_t i = 0; i < children_.size(); ++i) children_[i].start(state_, i);
        });
    }
    std::pair<std::size_t, non_void_t<R>> await_resume() {
        race_.finish();
        const std::size_t winner = state_.winner.load(std::memory_order_acquire);
        auto& child = children_[winner];
        child.rethrow_if_failed();
        return {winner, child.result()};
    }

private:
    std::vector<join_child<R>> children_;
    join_state state_;
    race race_;
};

}  // namespace detail

// clang-format 14 folds a requires-clause into the declaration.
// clang-format off
template <awaitable... As>
    requires(sizeof...(As) > 0)
[[nodiscard]] auto when_any(As&&... awaitables) {
    // clang-format on
    return detail::when_any_tuple<await_result_t<As>...>(
        detail::make_join_child<await_result_t<As>, As>(std::forward<As>(awaitables))...);
}

// Returns {index of the winner, its result}. Throws std::invalid_argument on
// an empty vector: there would be no winner to wait for.
template <awaitable A>
[[nodiscard]] auto when_any(std::vector<A> awaitables) {
    using R = await_result_t<A>;
    if (awaitables.empty()) throw std::invalid_argument("zring::when_any: no awaitables given");
    return detail::when_any_range<R>(detail::make_join_children(awaitables));
}

}  // namespace zring
