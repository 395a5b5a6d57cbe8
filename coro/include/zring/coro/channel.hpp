#pragma once
// channel<T>: a bounded FIFO between coroutines of one thread.
//
// send() suspends while the channel is full, recv() while it is empty.
// close() wakes everyone: pending and later senders get channel_closed;
// receivers drain what was sent before the close, then get std::nullopt.
// Destroying a channel resumes its waiters with object_destroyed.
//
// try_send and try_recv that run out of memory throw std::bad_alloc and
// leave the channel, its values and its waiters as they were. (A T whose
// move throws can leave the value being moved moved-from, and a receive
// that throws after letting a waiting sender in leaves the channel one over
// its capacity until the next; no waiter is ever left behind.)

#include <zring/coro/detail/list_waiter.hpp>

#include <coroutine>
#include <cstddef>
#include <deque>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <utility>

namespace zring {

class channel_closed : public std::runtime_error {
public:
    explicit channel_closed(const std::string& operation) : std::runtime_error(operation + ": channel is closed") {}
};

template <class T>
class channel {
public:
    explicit channel(std::size_t capacity) : capacity_(capacity) {
        if (capacity == 0) throw std::invalid_argument("zring::channel: capacity must be at least 1");
    }
    // Waiters still suspended get object_destroyed.
    ~channel() {
        send_awaiter::wake_all(senders_, detail::outcome::destroyed);
        recv_awaiter::wake_all(receivers_, detail::outcome::destroyed);
    }
    channel(const channel&) = delete;
    channel& operator=(const channel&) = delete;

    std::size_t capacity() const noexcept { return capacity_; }
    std::size_t size() const noexcept { return buffer_.size(); }
    bool closed() const noexcept { return closed_; }

    // Returns false (and keeps value unsent) when the channel is full.
    bool try_send(T& value) {
        if (closed_) throw channel_closed("zring::channel::try_send");
        if (recv_awaiter* r = receivers_.front()) {
            r->value_.emplace(std::move(value));  // before the waiter is let go of: a throw leaves it waiting
            receivers_.pop_front();
            r->wake(detail::outcome::done);
            return true;
        }
        if (buffer_.size() >= capacity_) return false;
        buffer_.push_back(std::move(value));
        return true;
    }

    std::optional<T> try_recv() {
        if (buffer_.empty()) return std::nullopt;
        // A slot frees: the first blocked sender's value takes it, pushed
        // before anything is taken (a push that throws changes nothing).
        // From then on the sender is woken on every path, once the front
        // value is out.
        struct wake_sender {
            send_awaiter* s = nullptr;
            ~wake_sender() {
                if (s) s->wake(detail::outcome::done);
            }
        } sender;
        if (send_awaiter* s = senders_.front()) {
            buffer_.push_back(std::move(s->value_));
            senders_.pop_front();
            sender.s = s;
        }
        std::optional<T> value(std::move(buffer_.front()));
        buffer_.pop_front();
        return value;
    }

    void close() noexcept {
        if (closed_) return;
        closed_ = true;
        // Receivers wait only on an empty buffer, so they all get nullopt.
        send_awaiter::wake_all(senders_, detail::outcome::closed);
        recv_awaiter::wake_all(receivers_, detail::outcome::closed);
    }

    class send_awaiter : public detail::list_waiter<send_awaiter> {
    public:
        send_awaiter(channel& c, T value, std::stop_token token)
            : detail::list_waiter<send_awaiter>(std::move(token)), channel_(c), value_(std::move(value)) {}
        bool await_ready() { return channel_.try_send(value_); }
        template <class Promise>
        bool await_suspend(std::coroutine_handle<Promise> h) {
            return this->suspend_on(channel_.senders_, h);
        }
        void await_resume() {
            if (this->resume_outcome("zring::channel::send") == detail::outcome::closed)
                throw channel_closed("zring::channel::send");
        }

    private:
        friend class channel;
        channel& channel_;
        T value_;
    };

    class recv_awaiter : public detail::list_waiter<recv_awaiter> {
    public:
        recv_awaiter(channel& c, std::stop_token token) noexcept
            : detail::list_waiter<recv_awaiter>(std::move(token)), channel_(c) {}
        bool await_ready() {
            value_ = channel_.try_recv();
            return value_.has_value() || channel_.closed_;
        }
        template <class Promise>
        bool await_suspend(std::coroutine_handle<Promise> h) {
            return this->suspend_on(channel_.receivers_, h);
        }
        std::optional<T> await_resume() {
            this->resume_outcome("zring::channel::recv");
            return std::move(value_);
        }

    private:
        friend class channel;
        channel& channel_;
        std::optional<T> value_;
    };

    // Throws channel_closed if the channel is or becomes closed before the
    // value is accepted.
    send_awaiter send(T value, std::stop_token token = {}) {
        return send_awaiter{*this, std::move(value), std::move(token)};
    }
    // Yields std::nullopt once the channel is closed and drained.
    recv_awaiter recv(std::stop_token token = {}) noexcept { return recv_awaiter{*this, std::move(token)}; }

private:
    std::size_t capacity_;
    std::deque<T> buffer_;
    bool closed_ = false;
    detail::intrusive_list<send_awaiter> senders_;
    detail::intrusive_list<recv_awaiter> receivers_;
};

}  // namespace zring
