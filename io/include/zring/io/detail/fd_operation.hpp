#pragma once
// One kernel operation on a descriptor that a coroutine awaits, built on
// the one operation mechanism (coro/detail/operation.hpp): an io_operation
// the backend runs (io_uring) or retries at each readiness (epoll), a
// deadline in the scheduler's timers, and both stop tokens.
//
// A Step says what the operation does, as a sequence of kernel calls
// without resuming the coroutine in between (a write goes on until every
// byte is out, a read_until until the delimiter is in), so a whole
// operation allocates nothing:
//   bool ready(fd_operation&)     at await_ready: true if done without the
//                                 kernel (buffered data, or epoll's first try)
//   void prepare(io_operation&)   the next call (kind, buffer, length)
//   int advance(int result)       after a call that returned result >= 0:
//                                 0 done, -1 another call, else an errno
// A stop, a timeout or the owner's close cancels the call in the kernel;
// what a call did before it was cancelled stays done (a read that
// returned bytes returns them), so stopping never loses data.

#include <zring/coro/detail/operation.hpp>
#include <zring/io/detail/cancellation.hpp>
#include <zring/io/detail/io_operation.hpp>
#include <zring/io/detail/ready_queue.hpp>
#include <zring/io/detail/timer_heap.hpp>
#include <zring/io/scheduler.hpp>

#include <cerrno>
#include <coroutine>
#include <optional>
#include <stop_token>
#include <utility>

namespace zring::detail {

class fd_operation : public io_operation,
                     public timer_node,
                     public operation<fd_operation, io_cancellation<fd_operation>> {
    using base = operation<fd_operation, io_cancellation<fd_operation>>;

public:
    using duration = clock::duration;
    using step_fn = int (*)(fd_operation&, int result) noexcept;
    using prepare_fn = void (*)(fd_operation&) noexcept;

    fd_operation(scheduler& s, std::stop_token token, std::optional<duration> timeout) noexcept
        : base(std::move(token), s), scheduler_(&s), timeout_(timeout) {
        on_complete = &on_io;
        fire = &on_timeout;
    }
    // Moved only before it starts.
    fd_operation(fd_operation&& o) noexcept
        : io_operation(static_cast<const io_operation&>(o)),
          timer_node(),
          base(std::move(o)),
          scheduler_(o.scheduler_),
          timeout_(o.timeout_),
          step_(o.step_),
          prepare_(o.prepare_) {}
    fd_operation& operator=(fd_operation&&) = delete;
    ~fd_operation() {
        // Torn down mid-wait with its frame (a scheduler's teardown): the
        // scheduler has cancelled and reaped the kernel's part already.
        scheduler_access::remove_timer(*scheduler_, this);
    }

    // The Step's calls, set by the awaiter that holds this.
    void drive(step_fn step, prepare_fn prepare) noexcept {
        step_ = step;
        prepare_ = prepare;
    }

    // The body of await_suspend: starts the first call; false if it ended
    // at once (stopped, an expired timeout, the kernel refused it).
    template <class Promise>
    bool begin(std::coroutine_handle<Promise> h) {
        return suspend(h, [this](std::coroutine_handle<> awaiting) {
            if (timeout_ && *timeout_ <= duration::zero()) {
                conclude(outcome::timed_out);
                return false;
            }
            resumed_.handle = awaiting;
            if (timeout_) {  // first: it may throw, and nothing is in the kernel yet
                deadline = clock::now() + *timeout_;
                scheduler_access::add_timer(*scheduler_, this);
            }
            if (!start_call()) {
                scheduler_access::remove_timer(*scheduler_, this);
                conclude(outcome::failed, ENOBUFS);  // the kernel takes no more work now
                return false;
            }
            return true;
        });
    }
    // The start of await_resume: no stop reaches it after this.
    outcome end() noexcept {
        const outcome o = finish();
        scheduler_access::remove_timer(*scheduler_, this);
        return o;
    }

    // For the cancellation policy: a stop was requested.
    void cancel() noexcept { stop(outcome::cancelled); }
    // Ends the operation with `why` once the kernel lets go of it: a stop
    // or a timeout (the first one counts), or its owner closed or destroyed
    // (which override them, since the owner is gone for the next step).
    void stop(outcome why) noexcept {
        if (!pending()) return;
        const bool owner_gone = why == outcome::closed || why == outcome::destroyed;
        if (stop_reason_ != outcome::pending && !owner_gone) return;
        stop_reason_ = why;
        // Between two calls (or before the first) the next step sees it.
        if (in_kernel_ && !cancel_sent_) {
            cancel_sent_ = true;
            scheduler_access::cancel(*scheduler_, this);
        }
    }
    bool pending() const noexcept { return current_outcome() == outcome::pending; }
    // A zero (or negative) timeout: one try, no wait.
    bool expires_at_once() const noexcept { return timeout_ && *timeout_ <= duration::zero(); }
    // Why it was stopped (cancelled, timed_out, closed, destroyed), or pending.
    outcome stop_reason() const noexcept { return stop_reason_; }
    scheduler& home() const noexcept { return *scheduler_; }

private:
    bool start_call() noexcept {
        prepare_(*this);
        cancel_sent_ = false;
        in_kernel_ = scheduler_access::start(*scheduler_, this);
        return in_kernel_;
    }
    void finish_with(outcome o, int error = 0) noexcept {
        scheduler_access::remove_timer(*scheduler_, this);
        conclude(o, error);
        scheduler_->schedule(resumed_);
    }

    static void on_io(io_operation* op, int result, bool) noexcept {
        auto* self = static_cast<fd_operation*>(op);
        self->in_kernel_ = false;
        const outcome why = self->stop_reason_;
        // A closed owner takes what the call did with it; a stop keeps it.
        if (why == outcome::closed || why == outcome::destroyed || (result == -ECANCELED && why != outcome::pending)) {
            self->finish_with(why);
            return;
        }
        if (result < 0) {
            self->finish_with(outcome::failed, -result);
            return;
        }
        const int next = self->step_(*self, result);
        if (next == 0) {
            self->finish_with(outcome::done);
        } else if (next > 0) {
            self->finish_with(outcome::failed, next);
        } else if (self->stop_reason_ != outcome::pending) {
            self->finish_with(self->stop_reason_);  // stopped between two calls
        } else if (!self->start_call()) {
            self->finish_with(outcome::failed, ENOBUFS);
        }
    }
    static void on_timeout(timer_node* n) noexcept { static_cast<fd_operation*>(n)->stop(outcome::timed_out); }

    scheduler* scheduler_;
    std::optional<duration> timeout_;
    step_fn step_ = nullptr;
    prepare_fn prepare_ = nullptr;
    resume_node resumed_;  // queued to resume the waiter: allocates nothing
    outcome stop_reason_ = outcome::pending;
    bool in_kernel_ = false;
    bool cancel_sent_ = false;
};

}  // namespace zring::detail
