#pragma once
// task_group: structured concurrency (a nursery).
//
//     co_await zring::with_task_group([&](zring::task_group& group) -> zring::task<> {
//         group.spawn(serve(a));
//         group.spawn(serve(b));
//         co_return;
//     });
//
// with_task_group returns only when the body and every child have finished.
// The first failure (of the body or a child) requests stop of all the others
// and is rethrown once they are done. group.request_stop() ends the group
// without failure: operation_cancelled after a stop request is not one. Stop
// requested on the awaiting coroutine's token reaches the body and every
// child, and with_task_group then throws operation_cancelled.

#include <zring/coro/cancellation.hpp>
#include <zring/coro/detail/intrusive_list.hpp>
#include <zring/coro/detail/linked_stop_source.hpp>
#include <zring/coro/task.hpp>

#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace zring {

class task_group {
public:
    task_group(const task_group&) = delete;
    task_group& operator=(const task_group&) = delete;

    // Starts the child at once: it runs until its first suspension.
    void spawn(task<void> child) {
        child_task c = run_child(std::move(child).with_stop_token(source_.get_token()));
        auto& p = c.handle.promise();
        p.group = this;
        children_.push_back(&p);
        ++running_;
        c.handle.resume();
    }

    std::size_t running() const noexcept { return running_; }
    std::stop_token stop_token() const noexcept { return source_.get_token(); }
    void request_stop() noexcept { source_.request_stop(); }

    // Only ever destroyed with children left when the whole frame tree is
    // torn down (its scheduler is destroyed): they are suspended, not running.
    ~task_group() {
        while (child_promise* p = children_.pop_front())
            std::coroutine_handle<child_promise>::from_promise(*p).destroy();
    }

private:
    template <class Body>
    friend task<void> with_task_group(Body body);

    explicit task_group(const std::stop_token& parent) { source_.link(parent); }

    struct child_promise;
    struct child_task {
        using promise_type = child_promise;
        std::coroutine_handle<child_promise> handle;
    };
    struct child_promise : detail::list_hook {
        task_group* group = nullptr;

        child_task get_return_object() noexcept { return {std::coroutine_handle<child_promise>::from_promise(*this)}; }
        std::suspend_always initial_suspend() noexcept { return {}; }
        auto final_suspend() noexcept {
            struct finisher {
                bool await_ready() noexcept { return false; }
                std::coroutine_handle<> await_suspend(std::coroutine_handle<child_promise> h) noexcept {
                    task_group& g = *h.promise().group;
                    g.children_.erase(&h.promise());
                    h.destroy();
                    if (--g.running_ == 0 && g.joiner_) return std::exchange(g.joiner_, {});
                    return std::noop_coroutine();
                }
                void await_resume() noexcept {}
            };
            return finisher{};
        }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { group->fail(std::current_exception()); }
    };

    static child_task run_child(task<void> t) { co_await std::move(t); }

    void fail(std::exception_ptr e) noexcept {
        if (source_.stop_requested() && is_cancellation(e)) return;  // the stop's doing, not a failure
        if (!first_failure_) first_failure_ = std::move(e);
        source_.request_stop();
    }

    static bool is_cancellation(const std::exception_ptr& e) noexcept {
        try {
            std::rethrow_exception(e);
        } catch (const operation_cancelled&) {
            return true;
        } catch (...) {
            return false;
        }
    }

    struct join_awaiter {
        task_group& group;
        bool await_ready() const noexcept { return group.running_ == 0; }
        void await_suspend(std::coroutine_handle<> h) noexcept { group.joiner_ = h; }
        void await_resume() const noexcept {}
    };

    detail::linked_stop_source source_;  // stopped by the parent's token too
    detail::intrusive_list<child_promise> children_;
    std::size_t running_ = 0;
    std::coroutine_handle<> joiner_;
    std::exception_ptr first_failure_;
};

// Body: a callable taking task_group& and returning task<void>.
template <class Body>
task<void> with_task_group(Body body) {
    const std::stop_token parent = co_await get_stop_token();
    task_group group(parent);
    try {
        co_await body(group).with_stop_token(group.stop_token());
    } catch (...) {
        group.fail(std::current_exception());
    }
    co_await task_group::join_awaiter{group};
    if (group.first_failure_) std::rethrow_exception(group.first_failure_);
    if (parent.stop_requested()) throw operation_cancelled("zring::with_task_group");
}

}  // namespace zring
