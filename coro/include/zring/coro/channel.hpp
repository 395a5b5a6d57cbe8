#pragma once
// channel<T>: a bounded FIFO between coroutines of one thread.
//
// send() suspends while the channel is full, recv() while it is empty.
// close() wakes everyone: pending and later senders get channel_closed;
// receivers drain what was sent before the close, then get std::nullopt.

#include <zring/coro/cancellation.hpp>
#include <zring/coro/detail/waiter_list.hpp>

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
    channel(const channel&) = delete;
    channel& operator=(const channel&) = delete;

    std::size_t capacity() const noexcept { return capacity_; }
    std::size_t size() const noexcept { return buffer_.size(); }
    bool closed() const noexcept { return closed_; }

    // Returns false (and keeps value unsent) when the channel is full.
    bool try_send(T& value) {
        if (closed_) throw channel_closed("zring::channel::try_send");
        if (recv_awaiter* r = receivers_.pop_front()) {
            r->value_.emplace(std::move(value));
            r->handle_.resume();
            return true;
        }
        if (buffer_.size() >= capacity_) return false;
        buffer_.push_back(std::move(value));
        return true;
    }

    std::optional<T> try_recv() {
        if (buffer_.empty()) return std::nullopt;
        std::optional<T> value(std::move(buffer_.front()));
        buffer_.pop_front();
        // A slot freed: the first blocked sender's value takes it.
        if (send_awaiter* s = senders_.pop_front()) {
            buffer_.push_back(std::move(s->value_));
            s->handle_.resume();
        }
        return value;
    }

    void close() {
        if (closed_) return;
        closed_ = true;
        // Receivers wait only on an empty buffer, so they all get nullopt.
        resume_all(senders_);
        resume_all(receivers_);
    }

    class send_awaiter : public detail::waiter_node {
    public:
        send_awaiter(channel& c, T value, std::stop_token token)
            : channel_(c), value_(std::move(value)), token_(std::move(token)) {}
        bool await_ready() { return channel_.try_send(value_); }
        template <class Promise>
        bool await_suspend(std::coroutine_handle<Promise> h) {
            std::stop_token token = detail::effective_stop_token(token_, h);
            if (token.stop_requested()) {
                cancelled_ = true;
                return false;
            }
            handle_ = h;
            channel_.senders_.push_back(this);
            cancellation_.arm(this, std::move(token));
            return true;
        }
        void await_resume() {
            cancellation_.disarm();
            if (cancelled_) throw operation_cancelled("zring::channel::send");
            if (woken_by_close_) throw channel_closed("zring::channel::send");
        }
        void cancel() noexcept {
            if (!linked) return;
            channel_.senders_.erase(this);
            cancelled_ = true;
            handle_.resume();
        }

    private:
        friend class channel;
        channel& channel_;
        T value_;
        std::stop_token token_;
        std::coroutine_handle<> handle_;
        bool cancelled_ = false;
        bool woken_by_close_ = false;
        detail::wait_cancellation<send_awaiter> cancellation_;
    };

    class recv_awaiter : public detail::waiter_node {
    public:
        recv_awaiter(channel& c, std::stop_token token) noexcept : channel_(c), token_(std::move(token)) {}
        bool await_ready() {
            value_ = channel_.try_recv();
            return value_.has_value() || channel_.closed_;
        }
        template <class Promise>
        bool await_suspend(std::coroutine_handle<Promise> h) {
            std::stop_token token = detail::effective_stop_token(token_, h);
            if (token.stop_requested()) {
                cancelled_ = true;
                return false;
            }
            handle_ = h;
            channel_.receivers_.push_back(this);
            cancellation_.arm(this, std::move(token));
            return true;
        }
        std::optional<T> await_resume() {
            cancellation_.disarm();
            if (cancelled_) throw operation_cancelled("zring::channel::recv");
            return std::move(value_);
        }
        void cancel() noexcept {
            if (!linked) return;
            channel_.receivers_.erase(this);
            cancelled_ = true;
            handle_.resume();
        }

    private:
        friend class channel;
        channel& channel_;
        std::stop_token token_;
        std::coroutine_handle<> handle_;
        std::optional<T> value_;
        bool cancelled_ = false;
        bool woken_by_close_ = false;
        detail::wait_cancellation<recv_awaiter> cancellation_;
    };

    // Throws channel_closed if the channel is or becomes closed before the
    // value is accepted.
    send_awaiter send(T value, std::stop_token token = {}) {
        return send_awaiter{*this, std::move(value), std::move(token)};
    }
    // Yields std::nullopt once the channel is closed and drained.
    recv_awaiter recv(std::stop_token token = {}) noexcept { return recv_awaiter{*this, std::move(token)}; }

private:
    template <class Awaiter>
    static void resume_all(detail::waiter_list<Awaiter>& list) {
        detail::waiter_node* w = detail::waiter_list<Awaiter>::take_all(list);
        while (w) {
            auto* a = static_cast<Awaiter*>(w);
            w = w->next;
            a->woken_by_close_ = true;
            a->handle_.resume();
        }
    }

    std::size_t capacity_;
    std::deque<T> buffer_;
    bool closed_ = false;
    detail::waiter_list<send_awaiter> senders_;
    detail::waiter_list<recv_awaiter> receivers_;
};

}  // namespace zring
