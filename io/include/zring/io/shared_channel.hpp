#pragma once
// shared_channel<T>: a bounded FIFO between coroutines on different
// schedulers (threads), awaitable at both ends.
//
// send() suspends while the channel is full (backpressure), recv() while it
// is empty; each waiter resumes on its own scheduler. close() wakes
// everyone: pending and later senders get channel_closed; receivers drain
// what was sent before the close, then get std::nullopt. Destroying the
// channel resumes its waiters with object_destroyed. A waiter whose
// scheduler has shut down is skipped: no value is handed to it. (A value
// handed to a receiver whose scheduler shuts down before resuming it ends
// with that receiver, which gets scheduler_stopped.)
//
// As with zring::channel, running out of memory (std::bad_alloc) leaves
// the channel, its values and its waiters as they were. One mutex guards the
// channel; zring::channel is the lock-free choice between coroutines of one
// thread. The mutex and the waiter lists live in a core that each waiter
// keeps alive while it may still take the lock (its stop callback, its
// destructor): a channel may be destroyed on one thread while its waiters
// are woken, stopped or torn down on others.

#include <zring/coro/channel.hpp>
#include <zring/coro/detail/intrusive_list.hpp>
#include <zring/coro/detail/operation.hpp>
#include <zring/io/detail/cancellation.hpp>
#include <zring/io/detail/remote_resumption.hpp>
#include <zring/io/scheduler.hpp>

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <thread>
#include <utility>

namespace zring {

template <class T>
class shared_channel {
    using outcome = detail::outcome;
    struct core;

    // What both ends' awaiters share: linking, waking across threads, stop.
    class waiter : public detail::list_hook,
                   public detail::operation<waiter, detail::inline_cancellation<waiter>> {
        using base = detail::operation<waiter, detail::inline_cancellation<waiter>>;

    public:
        waiter(shared_channel& c, std::stop_token token) noexcept : base(std::move(token)), channel_(c) {}
        waiter(const waiter&) = delete;
        waiter& operator=(const waiter&) = delete;
        ~waiter() { leave(); }

        // Under the channel's lock: takes the waiter off its list. The
        // channel may go on using it (wake it, move a value back) until
        // release(), under the same lock; its destructor waits for that.
        void take() noexcept {
            busy_.store(true, std::memory_order_relaxed);
            if (this->linked()) list_->erase(this);
            listed_.store(false, std::memory_order_release);
        }
        // The channel's last access to a waiter it took.
        void release() noexcept { busy_.store(false, std::memory_order_release); }
        // take() now, release() on leaving the scope, whatever the path.
        class held {
        public:
            explicit held(waiter* w) noexcept : w_(w) { w_->take(); }
            ~held() { w_->release(); }
            held(const held&) = delete;
            held& operator=(const held&) = delete;

        private:
            waiter* w_;
        };
        // Once taken: resumes the waiter on its scheduler with o; false if
        // that scheduler has shut down (the waiter was not resumed).
        bool wake(outcome o) {
            this->conclude(o);
            return resumption_.post(*scheduler_, handle_);
        }
        static void wake_all(detail::intrusive_list<waiter>& list, outcome o) {
            while (waiter* w = list.front()) {
                held taken(w);
                w->wake(o);
            }
        }
        // A stop callback, on any thread: a waiter already woken keeps that outcome.
        void cancel() noexcept {
            std::lock_guard lock(core_->mutex);
            if (!listed_.load(std::memory_order_relaxed)) return;
            held taken(this);
            wake(outcome::cancelled);
        }

    protected:
        // The frame is going away (the awaiter is destroyed): first by the
        // derived awaiter, whose value the channel must not touch once it
        // is gone. Still listed only when the frame is torn down mid-wait.
        // A waiter the channel took may still be in use on another thread
        // (a scheduler tearing down destroys frames on its own): wait for
        // the channel to release it. Only the core is touched: the channel
        // may be gone.
        void leave() noexcept {
            if (listed_.load(std::memory_order_acquire)) {
                std::lock_guard lock(core_->mutex);
                if (listed_.load(std::memory_order_relaxed)) {
                    if (this->linked()) list_->erase(this);
                    listed_.store(false, std::memory_order_relaxed);
                }
            }
            // A taker holds the lock for as long as the waiter is busy (take
            // and release happen under it): once we hold it, it is done.
            if (busy_.load(std::memory_order_acquire)) {
                std::lock_guard wait_for_taker(core_->mutex);
            }
            this->finish();
        }

        // Under the channel's lock: false (no suspension) if stop was requested.
        template <class Promise>
        bool suspend_on(detail::intrusive_list<waiter>& list, std::coroutine_handle<Promise> h,
                        std::unique_lock<std::mutex>& lock, const char* operation) {
            return this->suspend(h, [&](std::coroutine_handle<> awaiting) {
                scheduler_ = &detail::current_scheduler(operation);
                handle_ = awaiting;
                core_ = channel_.core_;
                list_ = &list;
                list.push_back(this);
                listed_.store(true, std::memory_order_release);  // for a destructor on another thread
                lock.unlock();  // a stop callback run by arming takes the lock
                return true;
            });
        }
        outcome resume_outcome(const char* operation) {
            this->finish();
            resumption_.check(operation);
            return this->rethrow_stopped(operation);
        }
        shared_channel& channel_;

    private:
        // The lock and lists, kept alive for as long as a stop callback or
        // the destructor may take the lock (the channel may die first).
        std::shared_ptr<core> core_;
        scheduler* scheduler_ = nullptr;
        std::coroutine_handle<> handle_;
        detail::intrusive_list<waiter>* list_ = nullptr;
        detail::remote_resumption resumption_;
        std::atomic<bool> listed_{false};  // on one of the channel's lists
        std::atomic<bool> busy_{false};    // taken off it, still in the channel's hands
    };

public:
    explicit shared_channel(std::size_t capacity) : capacity_(capacity) {
        if (capacity == 0) throw std::invalid_argument("zring::shared_channel: capacity must be at least 1");
    }
    // Waiters still suspended get object_destroyed. Their stop callbacks
    // and destructors take only the core's lock, which they keep alive.
    ~shared_channel() {
        std::lock_guard lock(mutex_);
        waiter::wake_all(senders_, outcome::destroyed);
        waiter::wake_all(receivers_, outcome::destroyed);
    }
    shared_channel(const shared_channel&) = delete;
    shared_channel& operator=(const shared_channel&) = delete;

    std::size_t capacity() const noexcept { return capacity_; }
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return buffer_.size();
    }
    bool closed() const {
        std::lock_guard lock(mutex_);
        return closed_;
    }

    // From any thread. False (value kept) when the channel is full.
    bool try_send(T& value) {
        std::lock_guard lock(mutex_);
        return try_send_locked(value, "zring::shared_channel::try_send");
    }
    // From any thread.
    std::optional<T> try_recv() {
        std::lock_guard lock(mutex_);
        return try_recv_locked();
    }
    // From any thread.
    void close() {
        std::lock_guard lock(mutex_);
        if (closed_) return;
        closed_ = true;
        waiter::wake_all(senders_, outcome::closed);
        waiter::wake_all(receivers_, outcome::closed);  // they wait only on an empty buffer
    }

    class send_awaiter : public waiter {
    public:
        send_awaiter(shared_channel& c, T value, std::stop_token token)
            : waiter(c, std::move(token)), value_(std::move(value)) {}
        ~send_awaiter() { this->leave(); }  // before value_ goes
        send_awaiter(const send_awaiter&) = delete;
        send_awaiter& operator=(const send_awaiter&) = delete;
        bool await_ready() { return false; }
        template <class Promise>
        bool await_suspend(std::coroutine_handle<Promise> h) {
            std::unique_lock lock(this->channel_.mutex_);
            if (this->channel_.try_send_locked(value_, "zring::shared_channel::send")) return false;
            return this->suspend_on(this->channel_.senders_, h, lock, "zring::shared_channel::send");
        }
        void await_resume() {
            if (this->resume_outcome("zring::shared_channel::send") == outcome::closed)
                throw channel_closed("zring::shared_channel::send");
        }

    private:
        friend class shared_channel;
        T value_;
    };

    class recv_awaiter : public waiter {
    public:
        recv_awaiter(shared_channel& c, std::stop_token token) noexcept : waiter(c, std::move(token)) {}
        ~recv_awaiter() { this->leave(); }  // before value_ goes
        recv_awaiter(const recv_awaiter&) = delete;
        recv_awaiter& operator=(const recv_awaiter&) = delete;
        bool await_ready() { return false; }
        template <class Promise>
        bool await_suspend(std::coroutine_handle<Promise> h) {
            std::unique_lock lock(this->channel_.mutex_);
            value_ = this->channel_.try_recv_locked();
            if (value_ || this->channel_.closed_) return false;
            return this->suspend_on(this->channel_.receivers_, h, lock, "zring::shared_channel::recv");
        }
        std::optional<T> await_resume() {
            this->resume_outcome("zring::shared_channel::recv");
            return std::move(value_);
        }

    private:
        friend class shared_channel;
        std::optional<T> value_;
    };

    // Throws channel_closed if the channel is or becomes closed before the
    // value is accepted.
    [[nodiscard]] send_awaiter send(T value, std::stop_token token = {}) {
        return send_awaiter{*this, std::move(value), std::move(token)};
    }
    // Yields std::nullopt once the channel is closed and drained.
    [[nodiscard]] recv_awaiter recv(std::stop_token token = {}) { return recv_awaiter{*this, std::move(token)}; }

private:
    bool try_send_locked(T& value, const char* operation) {
        if (closed_) throw channel_closed(operation);
        while (waiter* w = receivers_.front()) {
            auto* r = static_cast<recv_awaiter*>(w);
            r->value_.emplace(std::move(value));  // before the waiter is taken: a throw leaves it waiting
            typename waiter::held taken(w);
            if (r->wake(outcome::done)) return true;
            value = std::move(*r->value_);  // its scheduler shut down: try the next
            r->value_.reset();
        }
        if (buffer_.size() >= capacity_) return false;
        buffer_.push_back(std::move(value));
        return true;
    }
    std::optional<T> try_recv_locked() {
        if (buffer_.empty()) return std::nullopt;
        // A slot frees: the first blocked sender whose scheduler runs takes
        // it. Pushed before the sender is taken and before anything is
        // taken from the buffer (a push that throws changes nothing).
        while (waiter* w = senders_.front()) {
            auto* s = static_cast<send_awaiter*>(w);
            buffer_.push_back(std::move(s->value_));
            typename waiter::held taken(w);
            if (s->wake(outcome::done)) break;
            s->value_ = std::move(buffer_.back());  // its scheduler shut down: try the next
            buffer_.pop_back();
        }
        std::optional<T> value(std::move(buffer_.front()));
        buffer_.pop_front();
        return value;
    }

    // What a waiter may touch after the channel is gone.
    struct core {
        std::mutex mutex;
        detail::intrusive_list<waiter> senders;
        detail::intrusive_list<waiter> receivers;
    };
    std::shared_ptr<core> core_ = std::make_shared<core>();
    std::mutex& mutex_ = core_->mutex;
    detail::intrusive_list<waiter>& senders_ = core_->senders;
    detail::intrusive_list<waiter>& receivers_ = core_->receivers;
    std::size_t capacity_;
    std::deque<T> buffer_;
    bool closed_ = false;
};

}  // namespace zring
