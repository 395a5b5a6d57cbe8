#pragma once
// sync_wait: block the calling thread until an awaitable completes.
//
// For code outside coroutines. It drives no event loop: whatever the
// awaitable waits for must be completed by another thread (to run a task on a
// scheduler, use scheduler::run(task)).

#include <zring/coro/awaitable_traits.hpp>
#include <zring/coro/detail/driven.hpp>

#include <atomic>
#include <coroutine>
#include <utility>

namespace zring {

namespace detail {

struct sync_wait_state {
    std::atomic<bool> done{false};
    std::coroutine_handle<> finished() noexcept {
        // The waiting thread may destroy the frame as soon as it sees done.
        done.store(true, std::memory_order_release);
        done.notify_one();
        return std::noop_coroutine();
    }
};

}  // namespace detail

template <awaitable A>
decltype(auto) sync_wait(A&& a) {
    using driven = detail::driven<await_result_t<A>, detail::sync_wait_state>;
    driven waiter = detail::drive<driven, A&&>(std::forward<A>(a));
    waiter.handle().resume();
    waiter.promise().done.wait(false, std::memory_order_acquire);
    return waiter.promise().value.get();
}

}  // namespace zring
