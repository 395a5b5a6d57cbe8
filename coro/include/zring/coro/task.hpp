#pragma once
// task<T>: a lazy, move-only coroutine that produces a T (or void, or T&).
//
// The awaiting coroutine is stored as the continuation and resumed from
// final_suspend by symmetric transfer, so chains of synchronous completions
// run in constant stack space.

#include <zring/coro/cancellation.hpp>
#include <zring/coro/detail/linked_stop_source.hpp>
#include <zring/coro/detail/result.hpp>

#include <cassert>
#include <coroutine>
#include <exception>
#include <memory>
#include <stdexcept>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace zring {

template <class T = void>
class task;

namespace detail {

class task_promise_base {
public:
    struct final_awaiter {
        bool await_ready() const noexcept { return false; }
        template <class Promise>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> h) noexcept {
            return h.promise().continuation_;
        }
        void await_resume() noexcept {}
    };

    std::suspend_always initial_suspend() const noexcept { return {}; }
    final_awaiter final_suspend() const noexcept { return {}; }

    void set_continuation(std::coroutine_handle<> c) noexcept { continuation_ = c; }
    const std::stop_token& stop_token() const noexcept { return stop_token_; }
    void set_stop_token(std::stop_token token) noexcept { stop_token_ = std::move(token); }

    // Called when the task starts: the awaiting coroutine's token becomes the
    // ambient one, or, if a token was bound with with_stop_token, a token
    // stopped by either of the two.
    void inherit_stop_token(const std::stop_token& parent) {
        if (!parent.stop_possible() || parent == stop_token_) return;
        if (!stop_token_.stop_possible()) {
            stop_token_ = parent;
            return;
        }
        link_ = std::make_unique<linked_stop_source>();
        link_->link(stop_token_);
        link_->link(parent);
        stop_token_ = link_->get_token();
    }

private:
    std::coroutine_handle<> continuation_ = std::noop_coroutine();
    std::stop_token stop_token_;
    std::unique_ptr<linked_stop_source> link_;  // only when both tokens can stop
};

// What a task produces, and how its body returns it: co_return value (T,
// or an lvalue for T&), or plain co_return for void.
template <class T>
class task_result {
public:
    template <class U>
    requires std::is_convertible_v<U&&, T>
    void return_value(U&& value) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
        result_.set_value(std::forward<U>(value));
    }

protected:
    result<T> result_;
};
template <>
class task_result<void> {
public:
    void return_void() noexcept { result_.set_value(); }

protected:
    result<void> result_;
};

template <class T>
class task_promise final : public task_promise_base, public task_result<T> {
public:
    task_promise() noexcept = default;
    task_promise(const task_promise&) = delete;
    task_promise& operator=(const task_promise&) = delete;

    task<T> get_return_object() noexcept { return task<T>{std::coroutine_handle<task_promise>::from_promise(*this)}; }
    void unhandled_exception() noexcept { this->result_.set_exception(std::current_exception()); }
    T result() { return this->result_.get(); }
};

}  // namespace detail

template <class T>
class [[nodiscard]] task {
public:
    using promise_type = detail::task_promise<T>;
    using value_type = T;

    task() noexcept = default;
    explicit task(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
    task(task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
    task& operator=(task&& other) noexcept {
        if (this != &other) {
            if (handle_) handle_.destroy();
            handle_ = std::exchange(other.handle_, {});
        }
        return *this;
    }
    task(const task&) = delete;
    task& operator=(const task&) = delete;
    ~task() {
        if (handle_) handle_.destroy();
    }

    bool valid() const noexcept { return static_cast<bool>(handle_); }
    bool done() const noexcept { return !handle_ || handle_.done(); }

    // Binds a stop token this task (and everything it awaits) observes, as
    // well as the awaiting coroutine's: either stops it.
    task&& with_stop_token(std::stop_token token) && noexcept {
        if (handle_) handle_.promise().set_stop_token(std::move(token));
        return std::move(*this);
    }

    struct awaiter {
        std::coroutine_handle<promise_type> handle;

        bool await_ready() const noexcept { return !handle || handle.done(); }
        // Throws (std::bad_alloc) only when two tokens must be linked; the
        // task has then not started.
        template <class Promise>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> awaiting) {
            auto& promise = handle.promise();
            promise.set_continuation(awaiting);
            promise.inherit_stop_token(detail::ambient_stop_token(awaiting));
            return handle;
        }
        T await_resume() {
            if (!handle) throw std::logic_error("zring::task: awaited an empty task");
            return handle.promise().result();
        }
    };

    // A task's result is produced once: awaiting moves it out.
    awaiter operator co_await() && noexcept { return awaiter{handle_}; }
    awaiter operator co_await() & noexcept { return awaiter{handle_}; }

    // For schedulers and combinators that drive a task without awaiting it.
    std::coroutine_handle<promise_type> handle() const noexcept { return handle_; }
    std::coroutine_handle<promise_type> release() noexcept { return std::exchange(handle_, {}); }

private:
    std::coroutine_handle<promise_type> handle_;
};

}  // namespace zring
