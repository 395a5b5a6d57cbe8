#pragma once
// mutex: an async mutex for coroutines of one thread.
//
// unlock() hands the lock to the first waiter and resumes it inline, so the
// lock is never free while someone waits (no barging, FIFO order).

#include <zring/coro/cancellation.hpp>
#include <zring/coro/detail/waiter_list.hpp>

#include <coroutine>
#include <stop_token>
#include <utility>

namespace zring {

class mutex;

// Unlocks on destruction. Obtained from `co_await m.scoped_lock()`.
class [[nodiscard]] mutex_guard {
public:
    explicit mutex_guard(mutex& m) noexcept : mutex_(&m) {}
    mutex_guard(mutex_guard&& o) noexcept : mutex_(std::exchange(o.mutex_, nullptr)) {}
    mutex_guard& operator=(mutex_guard&&) = delete;
    ~mutex_guard();
    void unlock();

private:
    mutex* mutex_;
};

class mutex {
public:
    mutex() noexcept = default;
    mutex(const mutex&) = delete;
    mutex& operator=(const mutex&) = delete;

    bool try_lock() noexcept {
        if (locked_) return false;
        locked_ = true;
        return true;
    }

    void unlock() {
        if (awaiter* next = waiters_.pop_front()) {
            next->handle_.resume();  // ownership passes to it; locked_ stays true
            return;
        }
        locked_ = false;
    }

    class awaiter : public detail::waiter_node {
    public:
        awaiter(mutex& m, std::stop_token token) noexcept : mutex_(m), token_(std::move(token)) {}
        bool await_ready() noexcept { return mutex_.try_lock(); }
        template <class Promise>
        bool await_suspend(std::coroutine_handle<Promise> h) {
            std::stop_token token = detail::effective_stop_token(token_, h);
            if (token.stop_requested()) {
                cancelled_ = true;
                return false;
            }
            handle_ = h;
            mutex_.waiters_.push_back(this);
            cancellation_.arm(this, std::move(token));
            return true;
        }
        void await_resume() {
            cancellation_.disarm();
            if (cancelled_) throw operation_cancelled("zring::mutex::lock");
        }
        void cancel() noexcept {
            if (!linked) return;  // already handed the lock
            mutex_.waiters_.erase(this);
            cancelled_ = true;
            handle_.resume();
        }

    protected:
        friend class mutex;
        mutex& mutex_;
        std::stop_token token_;
        std::coroutine_handle<> handle_;
        bool cancelled_ = false;
        detail::wait_cancellation<awaiter> cancellation_;
    };

    class guard_awaiter : public awaiter {
    public:
        using awaiter::awaiter;
        mutex_guard await_resume() {
            awaiter::await_resume();
            return mutex_guard{mutex_};
        }
    };

    // `co_await m.lock()`: the caller must call unlock().
    awaiter lock(std::stop_token token = {}) noexcept { return awaiter{*this, std::move(token)}; }
    // `auto guard = co_await m.scoped_lock()`: unlocked when guard is destroyed.
    guard_awaiter scoped_lock(std::stop_token token = {}) noexcept { return guard_awaiter{*this, std::move(token)}; }

private:
    bool locked_ = false;
    detail::waiter_list<awaiter> waiters_;
};

inline mutex_guard::~mutex_guard() {
    if (mutex_) mutex_->unlock();
}
inline void mutex_guard::unlock() {
    if (auto* m = std::exchange(mutex_, nullptr)) m->unlock();
}

}  // namespace zring
