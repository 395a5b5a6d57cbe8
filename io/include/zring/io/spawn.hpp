#pragma once
// spawn: start a task that nobody awaits (fire and forget).
//
// It starts on the scheduler's next loop turn. spawn may be called from any
// thread: from another, the task is handed over like call_soon_threadsafe.
// spawn throws scheduler_stopped once the scheduler has shut down (the task,
// which never started, is destroyed on the calling thread). An exception
// escaping the task goes to the scheduler's exception handler (by default:
// printed, then std::terminate); it is never silently dropped. If the
// scheduler is destroyed first, the task's frame is destroyed with it.

#include <zring/coro/task.hpp>
#include <zring/io/errors.hpp>
#include <zring/io/scheduler.hpp>

#include <coroutine>
#include <cstddef>
#include <exception>
#include <utility>

namespace zring {

namespace detail {

struct spawned_task {
    struct promise_type {
        scheduler* owner = nullptr;
        spawned_frame frame;  // in the scheduler's list once started
        resume_node start;    // queues the first resumption without allocating
        // Brings a frame that finished on another scheduler (it hopped) home
        // to be destroyed: only the owner's thread touches the owner's list.
        struct homecoming : remote_node {
            std::coroutine_handle<promise_type> frame;
        } home;

        spawned_task get_return_object() noexcept { return {std::coroutine_handle<promise_type>::from_promise(*this)}; }
        std::suspend_always initial_suspend() noexcept { return {}; }
        auto final_suspend() noexcept {
            struct self_destroy {
                bool await_ready() noexcept { return false; }
                void await_suspend(std::coroutine_handle<promise_type> h) noexcept {
                    promise_type& p = h.promise();
                    if (p.owner->on_owner_thread()) {
                        h.destroy();  // the frame leaves the scheduler's list
                        return;
                    }
                    p.home.frame = h;
                    p.home.run = [](remote_node* n, bool) noexcept { static_cast<homecoming*>(n)->frame.destroy(); };
                    // Refused: the owner has shut down, and its teardown
                    // destroys the frame, still listed, on its own thread.
                    scheduler_access::try_post_remote(*p.owner, &p.home);
                }
                void await_resume() noexcept {}
            };
            return self_destroy{};
        }
        void return_void() noexcept {}
        void unhandled_exception() noexcept {
            // A task cut off by a scheduler's shutdown (a hop it refused)
            // ends there: that is not a failure to report.
            try {
                throw;
            } catch (const scheduler_stopped&) {
            } catch (...) {
                owner->report_exception(std::current_exception());
            }
        }
    };
    std::coroutine_handle<promise_type> handle;
};

template <class T>
spawned_task run_spawned(task<T> t) {
    co_await std::move(t);
}

// Owns a spawned frame on its way to the scheduler's thread, so a frame the
// scheduler never takes (it shut down) is still destroyed.
class spawn_handover {
public:
    spawn_handover(scheduler& s, std::coroutine_handle<spawned_task::promise_type> h) noexcept : s_(s), h_(h) {}
    spawn_handover(spawn_handover&& o) noexcept : s_(o.s_), h_(std::exchange(o.h_, {})) {}
    ~spawn_handover() {
        if (h_) h_.destroy();
    }
    void operator()();

private:
    scheduler& s_;
    std::coroutine_handle<spawned_task::promise_type> h_;
};

// Adopts the frame on s's thread and queues its start.
inline void start_spawned(scheduler& s, std::coroutine_handle<spawned_task::promise_type> h) {
    if (!scheduler_access::accepts_work(s)) {
        h.destroy();
        throw scheduler_stopped("zring::spawn");
    }
    h.promise().owner = &s;
    h.promise().frame.handle = h;
    scheduler_access::adopt(s, h.promise().frame);
    h.promise().start.handle = h;
    s.schedule(h.promise().start);
}

inline void spawn_handover::operator()() {
    start_spawned(s_, std::exchange(h_, {}));
}

}  // namespace detail

template <class T>
void spawn(scheduler& s, task<T> t) {
    auto h = detail::run_spawned(std::move(t)).handle;
    if (s.on_owner_thread())
        detail::start_spawned(s, h);
    else
        s.call_soon_threadsafe(detail::spawn_handover(s, h));  // destroys the frame if this throws
}

}  // namespace zring
