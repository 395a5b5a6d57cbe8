#pragma once
// mutex: an async mutex for coroutines of one thread.
//
// unlock() hands the lock to the first waiter and resumes it inline, so the
// lock is never free while someone waits (no barging, FIFO order).
// Destroying a mutex resumes its waiters with object_destroyed.

#include <zring/coro/detail/list_waiter.hpp>

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
    void unlock() noexcept;

private:
    mutex* mutex_;
};

class mutex {
public:
    mutex() noexcept = default;
    ~mutex() { awaiter::wake_all(waiters_, detail::outcome::destroyed); }
    mutex(const mutex&) = delete;
    mutex& operator=(const mutex&) = delete;

    bool try_lock() noexcept {
        if (locked_) return false;
        locked_ = true;
        return true;
    }

    void unlock() noexcept {
        if (awaiter* next = waiters_.pop_front()) {
            next->wake(detail::outcome::done);  // ownership passes to it; locked_ stays true
            return;
        }
        locked_ = false;
    }

    class awaiter : public detail::list_waiter<awaiter> {
    public:
        awaiter(mutex& m, std::stop_token token) noexcept : list_waiter(std::move(token)), mutex_(m) {}
        bool await_ready() noexcept { return mutex_.try_lock(); }
        template <class Promise>
        bool await_suspend(std::coroutine_handle<Promise> h) {
            return suspend_on(mutex_.waiters_, h);
        }
        void await_resume() { resume_outcome("zring::mutex::lock"); }

    protected:
        mutex& mutex_;
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
    detail::intrusive_list<awaiter> waiters_;
};

inline mutex_guard::~mutex_guard() {
    if (mutex_) mutex_->unlock();
}
inline void mutex_guard::unlock() noexcept {
    if (auto* m = std::exchange(mutex_, nullptr)) m->unlock();
}

}  // namespace zring
