#pragma once
// offload: run a blocking or CPU-heavy call on a thread_pool and resume on
// the calling scheduler with its result, or its exception.
//
//     std::string digest = co_await zring::offload([&] { return sha256(file); });
//
// Cancellation (the explicit token or the ambient one): a stop requested
// before a worker starts the call skips it, and offload throws
// operation_cancelled. Once the call started it runs to the end and the
// coroutine waits for it; a call cannot be interrupted from outside. The
// scheduler's teardown waits for a started call too.

#include <zring/coro/cancellation.hpp>
#include <zring/coro/detail/result_slot.hpp>
#include <zring/coro/detail/stop_watch.hpp>
#include <zring/io/detail/cancellation.hpp>
#include <zring/io/detail/remote_resumption.hpp>
#include <zring/io/scheduler.hpp>
#include <zring/io/thread_pool.hpp>

#include <atomic>
#include <coroutine>
#include <exception>
#include <functional>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace zring {

template <class F>
class offload_awaiter : private detail::pool_job {
    using result_type = std::invoke_result_t<F&>;

public:
    offload_awaiter(thread_pool& pool, F fn, std::stop_token token)
        : pool_(pool), fn_(std::move(fn)), token_(std::move(token)) {
        execute = &run_call;
    }
    offload_awaiter(const offload_awaiter&) = delete;
    offload_awaiter& operator=(const offload_awaiter&) = delete;
    // Destroyed while suspended only when its frame is torn down.
    ~offload_awaiter() {
        watch_.disarm();
        if (submitted_ && !pool_.withdraw(this) && !cancelled_) wait_for_worker();
    }

    bool await_ready() const noexcept { return false; }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> h) {
        const auto tokens = detail::operation_tokens::of(token_, h);
        if (tokens.stop_requested()) {
            cancelled_ = true;
            return false;
        }
        origin_ = &detail::current_scheduler("zring::offload");
        handle_ = h;
        pool_.submit(this);  // throws thread_pool_stopped
        submitted_ = true;
        watch_.arm(tokens, on_stop{this});
        return true;
    }
    result_type await_resume() {
        watch_.disarm();
        if (cancelled_) throw operation_cancelled("zring::offload");
        wait_for_worker();
        resumption_.check("zring::offload");
        if (error_) std::rethrow_exception(error_);
        return detail::take_result<result_type>(result_);
    }

private:
    struct on_stop {
        offload_awaiter* self;
        void operator()() const noexcept {
            // Taken back before a worker started it: skip the call.
            if (!self->pool_.withdraw(self)) return;
            self->cancelled_ = true;
            // The origin shut down: its teardown destroys the frame instead.
            self->resumption_.post(*self->origin_, self->handle_);
        }
    };

    static void run_call(detail::pool_job* job) noexcept {
        auto* self = static_cast<offload_awaiter*>(job);
        try {
            if constexpr (std::is_void_v<result_type>) {
                std::invoke(self->fn_);
                self->result_.emplace();
            } else {
                self->result_.emplace(std::invoke(self->fn_));
            }
        } catch (...) {
            self->error_ = std::current_exception();
        }
        self->resumption_.post(*self->origin_, self->handle_);
    }
    // The worker posts the resumption just before it lets go of the awaiter:
    // brief after a resumption; as long as the call itself in a teardown.
    void wait_for_worker() const noexcept { pool_.wait_finished(this); }

    thread_pool& pool_;
    F fn_;
    std::stop_token token_;
    scheduler* origin_ = nullptr;
    std::coroutine_handle<> handle_;
    detail::remote_resumption resumption_;
    detail::result_slot<result_type> result_;
    std::exception_ptr error_;
    bool submitted_ = false;
    bool cancelled_ = false;
    detail::stop_watch<on_stop> watch_;
};

// Runs fn() on pool; the coroutine resumes on its scheduler with the result.
// Throws thread_pool_stopped if the pool has shut down, operation_cancelled
// as described above, or what fn threw.
template <class F>
[[nodiscard]] offload_awaiter<std::decay_t<F>> offload(thread_pool& pool, F&& fn, std::stop_token token = {}) {
    return offload_awaiter<std::decay_t<F>>(pool, std::forward<F>(fn), std::move(token));
}
// The same on default_thread_pool().
template <class F>
[[nodiscard]] offload_awaiter<std::decay_t<F>> offload(F&& fn, std::stop_token token = {}) {
    return offload(default_thread_pool(), std::forward<F>(fn), std::move(token));
}

}  // namespace zring
