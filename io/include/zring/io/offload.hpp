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
#include <zring/coro/detail/operation.hpp>
#include <zring/coro/detail/result.hpp>
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
class offload_awaiter : private detail::pool_job,
                        public detail::operation<offload_awaiter<F>, detail::inline_cancellation<offload_awaiter<F>>> {
    using result_type = std::invoke_result_t<F&>;
    using base = detail::operation<offload_awaiter, detail::inline_cancellation<offload_awaiter>>;

public:
    offload_awaiter(thread_pool& pool, F fn, std::stop_token token)
        : base(std::move(token)), pool_(pool), fn_(std::move(fn)) {
        execute = &run_call;
    }
    offload_awaiter(const offload_awaiter&) = delete;
    offload_awaiter& operator=(const offload_awaiter&) = delete;
    // Destroyed while suspended only when its frame is torn down.
    ~offload_awaiter() {
        const detail::outcome o = this->finish();
        if (submitted_ && !pool_.withdraw(this) && o != detail::outcome::cancelled) wait_for_worker();
    }

    bool await_ready() const noexcept { return false; }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> h) {
        return this->suspend(h, [this](std::coroutine_handle<> awaiting) {
            origin_ = &detail::current_scheduler("zring::offload");
            handle_ = awaiting;
            pool_.submit(this);  // throws thread_pool_stopped
            submitted_ = true;
            return true;
        });
    }
    result_type await_resume() {
        this->resume_outcome("zring::offload");
        wait_for_worker();
        resumption_.check("zring::offload");
        return result_.get();
    }

    // A stop callback, on any thread: taken back before a worker started
    // it, the call is skipped.
    void cancel() noexcept {
        if (!pool_.withdraw(this)) return;
        this->conclude(detail::outcome::cancelled);
        // The origin shut down: its teardown destroys the frame instead.
        resumption_.post(*origin_, handle_);
    }

private:
    static void run_call(detail::pool_job* job) noexcept {
        auto* self = static_cast<offload_awaiter*>(job);
        self->result_.capture(self->fn_);  // its outcome stays pending: only cancel() sets one
        self->resumption_.post(*self->origin_, self->handle_);
    }
    // The worker posts the resumption just before it lets go of the awaiter:
    // brief after a resumption; as long as the call itself in a teardown.
    void wait_for_worker() const noexcept { pool_.wait_finished(this); }

    thread_pool& pool_;
    F fn_;
    scheduler* origin_ = nullptr;
    std::coroutine_handle<> handle_;
    detail::remote_resumption resumption_;
    detail::result<result_type> result_;
    bool submitted_ = false;
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
