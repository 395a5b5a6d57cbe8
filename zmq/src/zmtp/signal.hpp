#pragma once
// signal: wakes one of a connection's coroutines (its reader or writer) on
// the scheduler's next turn. Unlike zring::event, raise() never resumes
// anyone inline: the engine raises signals from inside a socket operation,
// which must not run a connection's code in the middle of it.

#include <zring/coro/detail/operation.hpp>
#include <zring/io/detail/cancellation.hpp>
#include <zring/io/detail/ready_queue.hpp>
#include <zring/io/scheduler.hpp>

#include <coroutine>
#include <stop_token>
#include <utility>

namespace zring::zmtp::detail {

class signal {
public:
    explicit signal(scheduler& s) noexcept : scheduler_(&s) {}
    signal(const signal&) = delete;
    signal& operator=(const signal&) = delete;
    ~signal() {
        if (waiter_) waiter_->wake(zring::detail::outcome::destroyed);
    }

    // Raised until a wait takes it; wakes the waiter, if any, next turn.
    void raise() noexcept {
        raised_ = true;
        if (waiter_) waiter_->wake(zring::detail::outcome::done);
    }

    class awaiter : public zring::detail::operation<awaiter, zring::detail::io_cancellation<awaiter>> {
        using base = zring::detail::operation<awaiter, zring::detail::io_cancellation<awaiter>>;

    public:
        awaiter(signal& s, std::stop_token token) noexcept : base(std::move(token), *s.scheduler_), signal_(&s) {}
        awaiter(awaiter&& o) noexcept : base(std::move(o)), signal_(o.signal_) {}
        ~awaiter() {
            if (signal_ && signal_->waiter_ == this) signal_->waiter_ = nullptr;
        }
        bool await_ready() noexcept { return std::exchange(signal_->raised_, false); }
        template <class Promise>
        bool await_suspend(std::coroutine_handle<Promise> h) {
            return this->suspend(h, [this](std::coroutine_handle<> awaiting) noexcept {
                resumed_.handle = awaiting;
                signal_->waiter_ = this;
                return true;
            });
        }
        void await_resume() {
            if (this->finish() == zring::detail::outcome::done) signal_->raised_ = false;
            this->rethrow_stopped("zring::zmtp::detail::signal::wait");
        }
        void cancel() noexcept {
            if (signal_->waiter_ == this) wake(zring::detail::outcome::cancelled);
        }

    private:
        friend class signal;
        void wake(zring::detail::outcome o) noexcept {
            signal_->waiter_ = nullptr;
            this->conclude(o);
            signal_->scheduler_->schedule(resumed_);
        }
        signal* signal_;
        zring::detail::resume_node resumed_;
    };

    awaiter wait(std::stop_token token = {}) noexcept { return awaiter(*this, std::move(token)); }

private:
    scheduler* scheduler_;
    awaiter* waiter_ = nullptr;
    bool raised_ = false;
};

}  // namespace zring::zmtp::detail
