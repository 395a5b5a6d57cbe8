#pragma once
// sync_wait: block the calling thread until an awaitable completes.
//
// For code outside coroutines. It drives no event loop: whatever the
// awaitable waits for must be completed by another thread (to run a task on a
// scheduler, use scheduler::run(task)).

#include <zring/coro/awaitable_traits.hpp>
#include <zring/coro/detail/result_slot.hpp>

#include <atomic>
#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace zring {

namespace detail {

template <class R>
class sync_wait_task {
public:
    struct promise_type {
        std::atomic<bool> done{false};
        std::exception_ptr exception;
        result_slot<R> value;

        sync_wait_task get_return_object() noexcept {
            return sync_wait_task{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        auto final_suspend() noexcept {
            struct notifier {
                bool await_ready() noexcept { return false; }
                void await_suspend(std::coroutine_handle<promise_type> h) noexcept {
                    // The waiting thread may destroy the frame as soon as it sees done.
                    auto& flag = h.promise().done;
                    flag.store(true, std::memory_order_release);
                    flag.notify_one();
                }
                void await_resume() noexcept {}
            };
            return notifier{};
        }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { exception = std::current_exception(); }
    };

    explicit sync_wait_task(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
    sync_wait_task(sync_wait_task&& o) noexcept : handle_(std::exchange(o.handle_, {})) {}
    ~sync_wait_task() {
        if (handle_) handle_.destroy();
    }

    R wait() {
        handle_.resume();
        auto& p = handle_.promise();
        p.done.wait(false, std::memory_order_acquire);
        if (p.exception) std::rethrow_exception(p.exception);
        return take_result<R>(p.value);
    }

private:
    std::coroutine_handle<promise_type> handle_;
};

template <class R, class A>
sync_wait_task<R> make_sync_wait_task(A&& a) {
    auto& p = co_await promise_of<typename sync_wait_task<R>::promise_type>{};
    if constexpr (std::is_void_v<R>) {
        co_await std::forward<A>(a);
    } else {
        p.value.emplace(co_await std::forward<A>(a));
    }
}

}  // namespace detail

template <awaitable A>
decltype(auto) sync_wait(A&& a) {
    using R = await_result_t<A>;
    return detail::make_sync_wait_task<R>(std::forward<A>(a)).wait();
}

}  // namespace zring
