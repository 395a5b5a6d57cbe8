#include <zring/io/scheduler_pool.hpp>

#include <stdexcept>
#include <string>

namespace zring {

std::size_t scheduler_pool::default_size() noexcept {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : n;
}

scheduler_pool::scheduler_pool(std::size_t threads, scheduler_options options) {
    if (threads == 0) throw std::invalid_argument("zring::scheduler_pool: needs at least one thread");
    schedulers_.resize(threads);
    threads_.reserve(threads);
    try {
        for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this, i, options] { thread_main(i, options); });
    } catch (...) {
        // Threads that could not start never report; count them as failed.
        std::lock_guard lock(mutex_);
        started_ += threads - threads_.size();
        if (!start_error_) start_error_ = std::current_exception();
    }
    {
        std::lock_guard lock(mutex_);
        running_threads_ = threads_.size();
        changed_.notify_all();
    }
    std::exception_ptr error;
    {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return started_ == threads; });
        error = start_error_;
    }
    if (error) {
        stop();
        std::rethrow_exception(error);
    }
}

scheduler_pool::~scheduler_pool() { stop(); }

scheduler& scheduler_pool::at(std::size_t i) {
    if (i >= schedulers_.size())
        throw std::out_of_range("zring::scheduler_pool::at(" + std::to_string(i) + "): the pool has " +
                                std::to_string(schedulers_.size()) + " schedulers");
    return *schedulers_[i];
}

namespace {
// The pool whose thread this is (thread ids are reused once a thread exits:
// they cannot tell).
thread_local const scheduler_pool* this_threads_pool = nullptr;
}  // namespace

bool scheduler_pool::on_pool_thread() const noexcept { return this_threads_pool == this; }

void scheduler_pool::thread_main(std::size_t index, scheduler_options options) {
    this_threads_pool = this;
    bool created = false;
    try {
        schedulers_[index] = std::make_unique<scheduler>(options);
        created = true;
    } catch (...) {
        std::lock_guard lock(mutex_);
        if (!start_error_) start_error_ = std::current_exception();
    }
    {
        std::unique_lock lock(mutex_);
        ++started_;
        changed_.notify_all();
        // A failed start stops the pool: wait for the stop, skip the loop.
        if (!created || start_error_) changed_.wait(lock, [&] { return stopping_; });
    }
    scheduler* s = schedulers_[index].get();
    if (created) {
        // A scheduler's own stop() ends one run(); only the pool's ends the thread.
        for (bool done = false; !done;) {
            {
                std::lock_guard lock(mutex_);
                done = stopping_;
            }
            if (done) break;
            try {
                s->run();
            } catch (...) {
                s->report_exception(std::current_exception());
            }
        }
    }
    // Teardown one thread at a time, once no loop runs, and stage by stage
    // across the pool: a frame destroyed here may be suspended on another
    // scheduler (it hopped), and touches that scheduler's structures while
    // it is idle and after its kernel operations are drained.
    std::unique_lock lock(mutex_);
    ++loops_exited_;
    changed_.notify_all();
    // Threads that failed to start take no turn; the stop waits for the
    // constructor to know how many did.
    changed_.wait(lock, [&] { return running_threads_ != 0; });
    const std::size_t n = running_threads_;
    for (int stage = 0; stage < detail::scheduler_access::teardown_stages; ++stage) {
        const std::size_t turn = static_cast<std::size_t>(stage) * n + index;
        changed_.wait(lock, [&] { return loops_exited_ == n && teardown_turn_ == turn; });
        lock.unlock();
        if (s) detail::scheduler_access::shut_down(*s, stage);
        lock.lock();
        ++teardown_turn_;
        changed_.notify_all();
    }
}

void scheduler_pool::stop() noexcept {
    bool first = false;
    {
        std::lock_guard lock(mutex_);
        first = !stopping_;
        stopping_ = true;
        changed_.notify_all();
    }
    if (first) {
        stop_source_.request_stop();
        for (auto& s : schedulers_) {
            if (!s) continue;
            try {
                scheduler* target = s.get();
                target->call_soon_threadsafe([target] { target->stop(); });
            } catch (const scheduler_stopped&) {
                // Its thread saw the stop before its loop began, and has shut it down.
            } catch (...) {
                // Only allocation can fail here; the loop then never learns
                // of the stop, so nothing can end the pool cleanly.
                std::terminate();
            }
        }
    }
    if (!on_pool_thread()) join();
}

void scheduler_pool::join() noexcept {
    std::lock_guard lock(join_mutex_);
    for (auto& t : threads_)
        if (t.joinable()) t.join();
}

}  // namespace zring
