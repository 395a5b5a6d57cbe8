#pragma once
// scheduler_pool: a scheduler per thread, so a service can use every core.
//
//     zring::scheduler_pool pool(4);
//     pool.run(serve(pool));   // serve() runs on pool.at(0); it may spawn
//                              // on, or resume_on, any pool.at(i)
//
// Each thread creates, runs and finally tears down its own scheduler, so a
// frame is destroyed on the thread of the scheduler it belongs to. Nothing is
// shared between the threads on the hot path: work crosses over only through
// a scheduler's cross-thread door (resume_on, spawn, call_soon_threadsafe).

#include <zring/coro/detail/result.hpp>
#include <zring/coro/task.hpp>
#include <zring/io/errors.hpp>
#include <zring/io/scheduler.hpp>
#include <zring/io/spawn.hpp>

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace zring {

class scheduler_pool {
public:
    // Starts `threads` threads (at least 1), each running a scheduler made
    // with `options`; returns once all of them run. Throws what a
    // scheduler's constructor throws (the threads started are stopped).
    explicit scheduler_pool(std::size_t threads = default_size(), scheduler_options options = {});
    // stop(). Must not run on one of the pool's threads.
    ~scheduler_pool();
    scheduler_pool(const scheduler_pool&) = delete;
    scheduler_pool& operator=(const scheduler_pool&) = delete;

    // std::thread::hardware_concurrency(), or 1 if it is unknown.
    static std::size_t default_size() noexcept;

    std::size_t size() const noexcept { return schedulers_.size(); }
    // Throws std::out_of_range for i >= size(). The scheduler lives as long
    // as the pool; after stop() work handed to it throws scheduler_stopped.
    scheduler& at(std::size_t i);

    // Runs t on at(0) and blocks the calling thread until it completes;
    // returns its result or rethrows its exception. t observes the pool's
    // stop token: stop() cancels it. If the pool stops before t completes,
    // throws what t threw, or scheduler_stopped. Throws std::logic_error on
    // one of the pool's own threads (it would wait for itself).
    template <class T>
    T run(task<T> t);

    // Stops the pool: requests stop on stop_token(), stops every loop, then
    // each thread in turn tears its scheduler down (spawned frames
    // destroyed, sockets closed, kernel operations cancelled) and exits.
    // Returns once all threads are joined; on a pool thread it only begins
    // the stop (the destructor joins). Idempotent, from any thread.
    void stop() noexcept;
    // Stopped when stop() begins: pass it to long-running work.
    std::stop_token stop_token() const noexcept { return stop_source_.get_token(); }

private:
    template <class T>
    struct run_state;
    template <class T>
    static task<void> drive(task<T> t, typename run_state<T>::reporter report);

    void thread_main(std::size_t index, scheduler_options options);
    bool on_pool_thread() const noexcept;
    void join() noexcept;

    std::vector<std::unique_ptr<scheduler>> schedulers_;
    std::vector<std::thread> threads_;
    std::stop_source stop_source_;

    std::mutex mutex_;
    std::condition_variable changed_;
    std::size_t started_ = 0;       // schedulers created (or failed)
    std::exception_ptr start_error_;
    bool stopping_ = false;
    std::size_t running_threads_ = 0;  // threads started, known once the constructor has tried them all
    std::size_t loops_exited_ = 0;
    std::size_t teardown_turn_ = 0;  // the thread whose scheduler tears down now
    std::mutex join_mutex_;
};

template <class T>
struct scheduler_pool::run_state {
    std::mutex mutex;
    std::condition_variable finished;
    bool done = false;
    detail::result<T> result;

    // A parameter of drive(), so it lives in the frame from its creation:
    // it reports to the waiting thread however the frame ends, completed,
    // or destroyed by the pool's teardown before or after it started.
    class reporter {
    public:
        explicit reporter(run_state& s) noexcept : state_(&s) {}
        reporter(reporter&& o) noexcept : state_(std::exchange(o.state_, nullptr)) {}
        reporter& operator=(reporter&&) = delete;
        ~reporter() {
            if (!state_) return;
            std::lock_guard lock(state_->mutex);
            if (!state_->result.ready())
                state_->result.set_exception(std::make_exception_ptr(scheduler_stopped("zring::scheduler_pool::run")));
            state_->done = true;
            state_->finished.notify_all();  // under the lock: the state dies once the waiter sees done
        }
        run_state& state() const noexcept { return *state_; }

    private:
        run_state* state_;
    };
};

template <class T>
task<void> scheduler_pool::drive(task<T> t, typename run_state<T>::reporter report) {
    run_state<T>& state = report.state();
    try {
        if constexpr (std::is_void_v<T>) {
            co_await std::move(t);
            state.result.set_value();
        } else {
            state.result.set_value(co_await std::move(t));
        }
    } catch (...) {
        state.result.set_exception(std::current_exception());
    }
}

template <class T>
T scheduler_pool::run(task<T> t) {
    if (on_pool_thread())
        throw std::logic_error("zring::scheduler_pool::run: called on one of the pool's threads; it would wait for itself");
    run_state<T> state;
    spawn(at(0), drive<T>(std::move(t).with_stop_token(stop_source_.get_token()),
                          typename run_state<T>::reporter(state)));
    std::unique_lock lock(state.mutex);
    state.finished.wait(lock, [&] { return state.done; });
    return state.result.get();
}

}  // namespace zring
