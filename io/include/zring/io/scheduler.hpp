#pragma once
// scheduler: one thread, one loop, one kernel mechanism (io_uring, or epoll
// where io_uring is refused; see backend.hpp).
//
// A loop turn runs the callbacks and coroutines that were ready when it
// began, moves due timers and cross-thread posts into the ready queue, hands
// the kernel what was armed meanwhile and waits for it (only if nothing is
// ready, and only until the next timer), then delivers every completion. On
// io_uring submitting and waiting is one io_uring_enter.

#include <zring/coro/awaitable_traits.hpp>
#include <zring/coro/detail/driven.hpp>
#include <zring/coro/task.hpp>
#include <zring/io/backend.hpp>
#include <zring/io/detail/callback.hpp>
#include <zring/io/detail/io_operation.hpp>
#include <zring/io/detail/ready_queue.hpp>
#include <zring/io/detail/thread_serial.hpp>
#include <zring/io/detail/timer_heap.hpp>

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace zring {

struct scheduler_options {
    // io_uring: submission queue entries (the completion queue is four times
    // larger). epoll: events taken per wait.
    unsigned queue_depth = 256;
    // automatic: io_uring, or epoll where the kernel refuses io_uring. Then
    // the environment variable ZRING_BACKEND=io_uring|epoll|auto decides, so
    // an operator can force one without recompiling.
    zring::backend backend = zring::backend::automatic;
    // io_uring: wake another io_uring scheduler by posting into its ring
    // (IORING_OP_MSG_RING, Linux 5.18) rather than writing its eventfd. The
    // post goes to the kernel with the sender's next loop turn, beside the
    // turn's other submissions, and saves the target an eventfd read.
    bool msg_ring = true;
};

// Which io_uring setup flags the kernel accepted (all false on epoll).
struct ring_features {
    bool single_issuer = false;
    bool defer_taskrun = false;
    bool coop_taskrun = false;
    bool ext_arg = false;  // timed waits need no timeout SQE
    bool msg_ring = false;  // wakes other rings with IORING_OP_MSG_RING
};

namespace detail {
struct callback_timer;
struct scheduler_access;
class io_backend;
}  // namespace detail

// Cancels a call_later/call_at callback. Copyable; use on the scheduler's thread.
class timer_handle {
public:
    timer_handle() noexcept = default;
    explicit timer_handle(detail::callback_timer* t) noexcept;
    timer_handle(const timer_handle& o) noexcept;
    timer_handle& operator=(const timer_handle& o) noexcept;
    ~timer_handle();

    // The callback will not run, unless it already started.
    void cancel() noexcept;
    // Armed, not yet run and not cancelled.
    bool pending() const noexcept;

private:
    detail::callback_timer* timer_ = nullptr;
};

class scheduler {
public:
    using clock = detail::clock;

    // Throws io_uring_unavailable if io_uring is asked for (by the options
    // or ZRING_BACKEND) and the kernel refuses it, std::invalid_argument for
    // a ZRING_BACKEND that names no backend, std::system_error if the
    // kernel refuses the fallback too.
    explicit scheduler(scheduler_options options = {});
    // Cancels all pending work and frees it: spawned coroutines are destroyed,
    // kernel operations cancelled and reaped, open resources closed.
    ~scheduler();
    scheduler(const scheduler&) = delete;
    scheduler& operator=(const scheduler&) = delete;

    // Runs until stop() is called.
    void run();
    // Runs until the task completes; returns its result or rethrows. stop()
    // meanwhile requests stop on the task's token: the task unwinds through
    // its cancellation points (run then throws operation_cancelled) or
    // completes anyway (run returns its result; the token stays stopped, so
    // any later await in it is cancelled too). So a service stops on
    // SIGINT with: zring::block_signals(SIGINT); ... a coroutine doing
    // co_await zring::signal(SIGINT); s.stop();  (or use when_any).
    template <class T>
    T run(task<T> t);
    // Runs until the awaitable (e.g. when_all(...)) completes.
    template <awaitable A>
    decltype(auto) run(A&& a) {
        return run(as_task(std::forward<A>(a)));
    }
    // Makes run() return after the current turn, and run(task) cancel its
    // task (see run). Call from the loop's thread; from another, use
    // call_soon_threadsafe([&] { s.stop(); }).
    void stop() noexcept { stop_requested_ = true; }

    // The scheduler whose run() is active on this thread, or nullptr.
    static scheduler* current() noexcept;
    bool on_owner_thread() const noexcept { return detail::this_thread_serial() == owner_; }
    // io_uring or epoll: the backend running, never automatic.
    zring::backend backend() const noexcept;
    const ring_features& features() const noexcept { return features_; }
    // Operations pending in the kernel for this scheduler's users (readiness
    // watches of sockets and polls, reads, writes, accepts), for diagnostics: timers, call_soon work and the
    // scheduler's own wake-up hold none.
    std::size_t kernel_operations() const noexcept;

    // Runs f on a later loop turn, in FIFO order; never inside the caller.
    template <class F>
    void call_soon(F&& f) {
        ready_.emplace(std::forward<F>(f));
    }
    // Resumes h on a later loop turn. Allocates nothing in the steady state
    // (the queue's blocks are reused), but may throw std::bad_alloc when the
    // queue grows.
    void schedule(std::coroutine_handle<> h) { ready_.emplace(h); }
    // Runs n on a later loop turn: for completions that must not fail, as
    // it allocates nothing. n must not be queued already; destroying it
    // while queued withdraws it.
    void schedule(detail::ready_node& n) noexcept { ready_.push(n); }
    // call_soon from any thread; wakes the loop if it sleeps in the kernel.
    // Throws scheduler_stopped once the scheduler has shut down; work still
    // queued when it shuts down is destroyed without running.
    template <class F>
    void call_soon_threadsafe(F&& f) {
        post_remote(detail::callback(std::forward<F>(f)));
    }

    // Runs f once, no earlier than the delay or deadline; in deadline order,
    // and in the order armed for equal deadlines.
    timer_handle call_later(clock::duration delay, detail::callback f) {
        return call_at(clock::now() + delay, std::move(f));
    }
    timer_handle call_at(clock::time_point deadline, detail::callback f);

    // `co_await s.yield()`: let the other ready work run first.
    auto yield() noexcept {
        struct awaiter {
            scheduler& s;
            bool await_ready() const noexcept { return false; }
            void await_suspend(std::coroutine_handle<> h) { s.schedule(h); }
            void await_resume() const noexcept {}
        };
        return awaiter{*this};
    }

    // Where exceptions escaping callbacks and spawned tasks go. The default
    // prints the exception and calls std::terminate.
    void set_exception_handler(std::function<void(std::exception_ptr)> handler);
    void report_exception(std::exception_ptr e) noexcept;

private:
    template <class A>
    static task<await_result_t<A>> as_task(A a) {
        co_return co_await std::move(a);
    }

    class run_guard;
    friend struct detail::callback_timer;
    friend struct detail::scheduler_access;
    void post_remote(detail::callback&& cb);
    bool try_post_remote(detail::remote_node* n);
    void withdraw_remote(detail::remote_node* n) noexcept;
    // Teardown in stages, so that a pool can take all its schedulers through
    // each stage before the next: (0) refuse remote work, close resources,
    // drain the kernel; (1) destroy spawned frames; (2) drain what they
    // cancelled, drop timers.
    static constexpr int teardown_stages = 3;
    void shut_down() noexcept;
    void shut_down(int stage) noexcept;
    bool shutting_down() const noexcept { return teardown_done_ > 0; }
    void close_door() noexcept;
    void run_remote_nodes(bool refused) noexcept;
    void wake() noexcept;
    // Runs loop turns until done; stop() then requests stop on *cancel, if
    // given, and the loop goes on until done.
    void run_until(const bool& done, std::stop_source* cancel = nullptr);
    void run_ready();
    void collect_remote();
    void fire_timers();
    void close_resources() noexcept;
    void check_thread(const char* operation) const;

    std::uint64_t owner_;  // detail::this_thread_serial() of the creating thread
    ring_features features_;
    bool stop_requested_ = false;
    bool running_ = false;
    int teardown_done_ = 0;  // stages of shut_down done
    bool drained_ = false;

    detail::ready_queue ready_;
    detail::ready_queue::turn_marker turn_end_;  // ends a loop turn's run of the ready queue
    // Operations a coroutine may complete without suspending, from the time
    // the loop resumed it: past this it is made to wait for the next turn, so
    // that one whose every await succeeds at once (a socket always ready
    // under load) cannot keep the loop from the rest (accepts, timers).
    static constexpr unsigned inline_budget = 128;
    unsigned inline_left_ = inline_budget;
    std::uint64_t turn_ = 1;  // loop turns begun
    detail::timer_heap timers_;

    // Cross-thread door: the only state shared with other threads.
    std::mutex remote_mutex_;
    std::vector<detail::callback> remote_callbacks_;
    detail::intrusive_list<detail::remote_node> remote_nodes_;
    std::atomic<bool> remote_pending_{false};
    bool door_closed_ = false;  // shut down: remote work is refused
    int wake_fd_ = -1;  // an eventfd the backend watches
    int ring_fd_ = -1;  // where other rings post wake-ups (io_uring with MSG_RING), else -1

    std::unique_ptr<detail::io_backend> backend_;
    detail::intrusive_list<detail::scheduler_resource> resources_;
    detail::intrusive_list<detail::spawned_frame> spawned_;
    std::function<void(std::exception_ptr)> exception_handler_;
};

namespace detail {

// The scheduler's plumbing, for zring's own operations (poll, timers,
// sockets, spawn, cancellation relays); not an API for users.
struct scheduler_access {
    // Starts op: a readiness watch, or an accept, connect, send or receive
    // (see io_operation). False if the kernel takes no more work now:
    // nothing was started.
    static bool start(scheduler& s, io_operation* op) noexcept;
    // Ends a pending operation; its final completion follows on a later turn.
    static void cancel(scheduler& s, io_operation* op) noexcept;
    // Closes fd, which zring's operations may have used: the backend
    // forgets it first (epoll keeps a registration between operations).
    static void close_fd(scheduler& s, int fd) noexcept;

    // Inline: every socket operation's completion checks for a timer to withdraw.
    static void add_timer(scheduler& s, timer_node* n) { s.timers_.push(n); }
    static void remove_timer(scheduler& s, timer_node* n) noexcept {
        if (n->armed()) s.timers_.erase(n);
    }

    // Queues n for s's thread (once: a node already queued stays queued).
    // False, and n untouched, once s has shut down.
    static bool try_post_remote(scheduler& s, remote_node* n) { return s.try_post_remote(n); }
    // Unlinks n if still queued; s must be alive (a pool's schedulers live
    // as long as the pool).
    static void withdraw_remote(scheduler& s, remote_node* n) noexcept { s.withdraw_remote(n); }
    // The destructor's teardown, stage by stage, callable earlier on s's
    // thread while its loop is not running (scheduler_pool does: a frame
    // destroyed by one scheduler may wait on another's kernel operation or
    // timer, so every scheduler finishes a stage before any begins the next).
    static constexpr int teardown_stages = scheduler::teardown_stages;
    static void shut_down(scheduler& s, int stage) noexcept { s.shut_down(stage); }
    // False once s has begun shutting down. On s's thread.
    static bool accepts_work(const scheduler& s) noexcept { return !s.shutting_down(); }

    static void add_resource(scheduler& s, scheduler_resource* r) noexcept { s.resources_.push_back(r); }
    static void remove_resource(scheduler& s, scheduler_resource* r) noexcept { s.resources_.erase(r); }

    // The loop turn under way (counted from 1).
    static std::uint64_t turn(const scheduler& s) noexcept { return s.turn_; }

    // Whether an operation ready at once may complete without suspending:
    // true, and counted, until the coroutine used the budget of this
    // resumption. Where false, the operation waits as if it would block, and
    // completes on a later turn.
    static bool may_complete_inline(scheduler& s) noexcept {
        if (s.inline_left_ == 0) return false;
        --s.inline_left_;
        return true;
    }

    // Frames of spawned tasks, destroyed with the scheduler if still pending.
    // Allocates nothing; a frame leaves the list as it is destroyed.
    static void adopt(scheduler& s, spawned_frame& f) noexcept { s.spawned_.push_back(&f); }
};

}  // namespace detail

// Marks the loop as running on this thread for its lifetime.
class scheduler::run_guard {
public:
    explicit run_guard(scheduler& s);
    ~run_guard();
    run_guard(const run_guard&) = delete;
    run_guard& operator=(const run_guard&) = delete;

private:
    scheduler& s_;
    scheduler* previous_;
};

namespace detail {

// What the frame scheduler::run(task) drives records: when the task is done.
struct run_state {
    bool done = false;
    std::coroutine_handle<> finished() noexcept {
        done = true;
        return std::noop_coroutine();
    }
};

}  // namespace detail

template <class T>
T scheduler::run(task<T> t) {
    check_thread("zring::scheduler::run(task)");
    if (running_) throw std::logic_error("zring::scheduler::run(task): the scheduler is already running");
    std::stop_source cancel;
    using root = detail::driven<T, detail::run_state>;
    root frame = detail::drive<root, task<T>>(std::move(t).with_stop_token(cancel.get_token()));
    schedule(frame.handle());
    run_guard guard(*this);
    run_until(frame.promise().done, &cancel);
    return frame.promise().value.get();
}

}  // namespace zring
