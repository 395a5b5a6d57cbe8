#include <zring/io/errors.hpp>
#include <zring/io/scheduler_pool.hpp>
#include <zring/io/thread_pool.hpp>

#include <stdexcept>

namespace zring {

std::size_t thread_pool::default_size() noexcept { return scheduler_pool::default_size(); }

thread_pool::thread_pool(std::size_t threads) {
    if (threads == 0) throw std::invalid_argument("zring::thread_pool: needs at least one thread");
    workers_.reserve(threads);
    try {
        for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
    } catch (...) {
        shutdown();
        throw;
    }
}

thread_pool::~thread_pool() { shutdown(); }

void thread_pool::shutdown() noexcept {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    queued_.notify_all();
    std::lock_guard lock(join_mutex_);
    for (auto& w : workers_)
        if (w.joinable()) w.join();
}

void thread_pool::submit(detail::pool_job* job) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) throw thread_pool_stopped("zring::offload");
        job->finished.store(false, std::memory_order_relaxed);  // published by the lock
        jobs_.push_back(job);
    }
    queued_.notify_one();
}

bool thread_pool::withdraw(detail::pool_job* job) noexcept {
    std::lock_guard lock(mutex_);
    if (!job->linked()) return false;
    jobs_.erase(job);
    return true;
}

void thread_pool::wait_finished(const detail::pool_job* job) noexcept {
    if (job->finished.load(std::memory_order_acquire)) return;
    std::unique_lock lock(finished_mutex_);
    finished_.wait(lock, [&] { return job->finished.load(std::memory_order_relaxed); });
}

void thread_pool::work() noexcept {
    std::unique_lock lock(mutex_);
    for (;;) {
        queued_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        detail::pool_job* job = jobs_.pop_front();
        if (!job) return;  // stopping, and every queued call has run
        lock.unlock();
        job->execute(job);
        {
            std::lock_guard done(finished_mutex_);
            job->finished.store(true, std::memory_order_release);  // the last touch of the job
        }
        finished_.notify_all();
        lock.lock();
    }
}

thread_pool& default_thread_pool() {
    static thread_pool pool;
    return pool;
}

}  // namespace zring
