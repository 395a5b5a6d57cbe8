#pragma once
// task<T>: a lazy, move-only coroutine that produces a T (or void, or T&).
//
// The awaiting coroutine is stored as the continuation and resumed from
// final_suspend by symmetric transfer, so chains of synchronous completions
// run in constant stack space.

#include <zring/coro/cancellation.hpp>

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
        link_ = std::make_unique<stop_link>(stop_token_, parent);
        stop_token_ = link_->source.get_token();
    }

private:
    struct stop_link {
        struct forward {
            std::stop_source* source;
            void operator()() const noexcept { source->request_stop(); }
        };
        std::stop_source source;
        std::stop_callback<forward> bound;
        std::stop_callback<forward> parent;
        stop_link(const std::stop_token& b, const std::stop_token& p)
            : bound(b, forward{&source}), parent(p, forward{&source}) {}
    };

    std::coroutine_handle<> continuation_ = std::noop_coroutine();
    std::stop_token stop_token_;
    std::unique_ptr<stop_link> link_;  // only when both tokens can stop
};

template <class T>
class task_promise final : public task_promise_base {
public:
    task<T> get_return_object() noexcept;

    template <class U>
    requires std::is_convertible_v<U&&, T>
    void return_value(U&& value) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
        ::new (static_cast<void*>(std::addressof(value_))) T(std::forward<U>(value));
        state_ = state::value;
    }
    void unhandled_exception() noexcept {
        ::new (static_cast<void*>(std::addressof(exception_))) std::exception_ptr(std::current_exception());
        state_ = state::exception;
    }

    task_promise() noexcept {}
    task_promise(const task_promise&) = delete;
    task_promise& operator=(const task_promise&) = delete;
    ~task_promise() {
        if (state_ == state::value)
            value_.~T();
        else if (state_ == state::exception)
            exception_.~exception_ptr();
    }

    T result() {
        if (state_ == state::exception) std::rethrow_exception(exception_);
        assert(state_ == state::value);
        return std::move(value_);
    }

private:
    enum class state : unsigned char { empty, value, exception };
    state state_ = state::empty;
    union {
        T value_;
        std::exception_ptr exception_;
    };
};

template <>
class task_promise<void> final : public task_promise_base {
public:
    task<void> get_return_object() noexcept;
    void return_void() noexcept {}
    void unhandled_exception() noexcept { exception_ = std::current_exception(); }
    void result() {
        if (exception_) std::rethrow_exception(exception_);
    }

private:
    std::exception_ptr exception_;
};

template <class T>
class task_promise<T&> final : public task_promise_base {
public:
    task<T&> get_return_object() noexcept;
    void return_value(T& value) noexcept { value_ = std::addressof(value); }
    void unhandled_exception() noexcept { exception_ = std::current_exception(); }
    T& result() {
        if (exception_) std::rethrow_exception(exception_);
        return *value_;
    }

private:
    T* value_ = nullptr;
    std::exception_ptr exception_;
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

namespace detail {
template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
    return task<T>{std::coroutine_handle<task_promise>::from_promise(*this)};
}
inline task<void> task_promise<void>::get_return_object() noexcept {
    return task<void>{std::coroutine_handle<task_promise>::from_promise(*this)};
}
template <class T>
task<T&> task_promise<T&>::get_return_object() noexcept {
    return task<T&>{std::coroutine_handle<task_promise>::from_promise(*this)};
}
}  // namespace detail

}  // namespace zring
