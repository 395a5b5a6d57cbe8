#pragma once
// The child coroutines behind when_all and when_any: each awaits one
// awaitable, keeps its outcome, and the last one to finish resumes the parent.

#include <zring/coro/awaitable_traits.hpp>
#include <zring/coro/cancellation.hpp>
#include <zring/coro/detail/linked_stop_source.hpp>
#include <zring/coro/detail/driven.hpp>

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
#include <vector>

namespace zring::detail {

inline constexpr std::size_t no_winner = std::numeric_limits<std::size_t>::max();

struct join_state {
    // Children may complete on other threads (e.g. under sync_wait).
    std::atomic<std::size_t> remaining{0};
    std::coroutine_handle<> continuation;
    std::stop_token children_token;
    // when_any only: the first child to finish requests stop of the others.
    linked_stop_source* race = nullptr;
    std::atomic<std::size_t> winner{no_winner};

    join_state() = default;
    join_state(join_state&&) noexcept {}  // only before start: nothing to carry
};

// What a child keeps in its promise: its place in the join. When it ends,
// the first to finish of a race stops the others, and the last resumes the parent.
struct join_link {
    join_state* state = nullptr;
    std::size_t index = 0;

    std::coroutine_handle<> finished() noexcept {
        join_state& s = *state;
        if (s.race) {
            std::size_t expected = no_winner;
            if (s.winner.compare_exchange_strong(expected, index, std::memory_order_acq_rel)) s.race->request_stop();
        }
        if (s.remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) return s.continuation;
        return std::noop_coroutine();
    }
    // The children's ambient token.
    const std::stop_token& stop_token() const noexcept { return state->children_token; }
};

template <class R>
class join_child : public driven<R, join_link> {
public:
    join_child(driven<R, join_link>&& d) noexcept : driven<R, join_link>(std::move(d)) {}

    void start(join_state& state, std::size_t index) noexcept {
        this->promise().state = &state;
        this->promise().index = index;
        this->handle().resume();
    }

    bool failed() const noexcept { return this->promise().value.failed(); }
    void rethrow_if_failed() const { this->promise().value.rethrow_if_failed(); }
    // Taken once; rethrows what the child threw. For void: a non_void_t.
    decltype(auto) result() {
        if constexpr (std::is_void_v<R>) {
            this->promise().value.get();
            return non_void_t<R>{};
        } else {
            return this->promise().value.get();
        }
    }
};

template <class R, class A>
join_child<R> make_join_child(A a) {
    return drive<driven<R, join_link>, A>(std::forward<A>(a));
}

// One child per awaitable, each moved into its child.
template <class A, class R = await_result_t<A>>
std::vector<join_child<R>> make_join_children(std::vector<A>& awaitables) {
    std::vector<join_child<R>> children;
    children.reserve(awaitables.size());
    for (auto& a : awaitables) children.push_back(make_join_child<R, A>(std::move(a)));
    return children;
}

}  // namespace zring::detail
