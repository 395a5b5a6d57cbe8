#pragma once
// thread_pool: worker threads for blocking or CPU-heavy calls, so they never
// stall a scheduler's loop. Used through offload() (offload.hpp).

#include <zring/coro/detail/intrusive_list.hpp>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

namespace zring {

namespace detail {
// A call waiting for a worker; it lives in the offloading coroutine's frame.
struct pool_job : list_hook {
    void (*execute)(pool_job*) noexcept = nullptr;
    std::atomic<bool> finished{false};  // execute returned: no worker touches the job again
};
}  // namespace detail

class thread_pool {
public:
    // threads: at least 1; by default std::thread::hardware_concurrency().
    explicit thread_pool(std::size_t threads = default_size());
    // shutdown().
    ~thread_pool();
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;

    static std::size_t default_size() noexcept;
    std::size_t size() const noexcept { return workers_.size(); }

    // Refuses new calls (offload then throws thread_pool_stopped), lets the
    // workers finish the calls already queued, and joins them. Idempotent;
    // must not run on a worker.
    void shutdown() noexcept;

    // For offload: queue a job (throws thread_pool_stopped after shutdown),
    // or take back one no worker has started (true if it was taken back).
    void submit(detail::pool_job* job);
    bool withdraw(detail::pool_job* job) noexcept;
    // Blocks (without spinning) until a started job's execute has returned,
    // after which the job may be destroyed.
    void wait_finished(const detail::pool_job* job) noexcept;

private:
    void work() noexcept;

    std::mutex mutex_;
    std::condition_variable queued_;
    detail::intrusive_list<detail::pool_job> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
    // Wakes wait_finished. The pool's, not the job's: a worker that marked
    // its job finished must not touch the job (its frame may be gone) to
    // notify.
    std::mutex finished_mutex_;
    std::condition_variable finished_;
    std::mutex join_mutex_;
};

// The pool offload() uses when none is given: default_size() threads,
// started on first use and shut down at exit.
thread_pool& default_thread_pool();

}  // namespace zring
