#include <zring/io/errors.hpp>
#include <zring/io/scheduler.hpp>

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <system_error>

namespace zring {

namespace {

thread_local scheduler* current_scheduler = nullptr;

std::string unavailable_message(int error) {
    std::string msg = "zring::scheduler: io_uring_setup failed: ";
    msg += std::strerror(error);
    msg += ". ";
    int disabled = 0;
    if (std::ifstream sysctl("/proc/sys/kernel/io_uring_disabled"); sysctl >> disabled && disabled != 0)
        msg += "io_uring is disabled by the sysctl kernel.io_uring_disabled=" + std::to_string(disabled) +
               " (set it to 0). ";
    if (error == ENOSYS)
        msg += "This kernel has no io_uring; zring needs Linux 5.19 or newer.";
    else if (error == EPERM || error == EACCES)
        msg +=
            "io_uring is not permitted here: check kernel.io_uring_disabled and any seccomp profile "
            "(container runtimes often block io_uring_setup, io_uring_enter and io_uring_register).";
    else if (error == ENOMEM)
        msg += "Not enough locked memory for the ring: raise RLIMIT_MEMLOCK or lower queue_depth.";
    return msg;
}

// Each setup tried in turn: the newest flags first, plain io_uring last.
int setup_ring(io_uring& ring, unsigned depth, ring_features& features) {
    struct attempt {
        unsigned flags;
        ring_features features;
    };
    const attempt attempts[] = {
        {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, {true, true, false, false}},
        {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN, {true, false, true, false}},
        {IORING_SETUP_COOP_TASKRUN, {false, false, true, false}},
        {0, {}},
    };
    int rc = -EINVAL;
    for (const attempt& a : attempts) {
        io_uring_params params{};
        params.flags = a.flags | IORING_SETUP_CQSIZE;
        params.cq_entries = depth * 4;
        rc = io_uring_queue_init_params(depth, &ring, &params);
        if (rc == 0) {
            features = a.features;
            features.ext_arg = (params.features & IORING_FEAT_EXT_ARG) != 0;
            return 0;
        }
        if (rc != -EINVAL) return rc;
    }
    return rc;
}

void default_exception_handler(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        std::cerr << "zring: unhandled exception in a callback or spawned task: " << ex.what() << std::endl;
    } catch (...) {
        std::cerr << "zring: unhandled non-standard exception in a callback or spawned task" << std::endl;
    }
    std::terminate();
}

}  // namespace

namespace detail {

// A call_later callback: shared by the heap (while armed), the ready queue
// (while fired and queued) and any timer_handle copies.
struct callback_timer : timer_node {
    scheduler* owner;
    callback fn;
    unsigned refs = 1;
    bool finished = false;  // ran or cancelled

    static void release(callback_timer* t) noexcept {
        if (--t->refs == 0) delete t;
    }

    struct run_fired {
        callback_timer* timer;
        explicit run_fired(callback_timer* t) noexcept : timer(t) { ++t->refs; }
        run_fired(run_fired&& o) noexcept : timer(std::exchange(o.timer, nullptr)) {}
        ~run_fired() {
            if (timer) release(timer);
        }
        void operator()() {
            if (timer->finished) return;
            timer->finished = true;
            timer->fn.run();
        }
    };

    static void on_fire(timer_node* n) noexcept {
        auto* t = static_cast<callback_timer*>(n);
        t->owner->ready_.emplace(run_fired(t));
        release(t);  // the heap's reference
    }
};

}  // namespace detail

timer_handle::timer_handle(detail::callback_timer* t) noexcept : timer_(t) { ++t->refs; }
timer_handle::timer_handle(const timer_handle& o) noexcept : timer_(o.timer_) {
    if (timer_) ++timer_->refs;
}
timer_handle& timer_handle::operator=(const timer_handle& o) noexcept {
    if (o.timer_) ++o.timer_->refs;
    if (timer_) detail::callback_timer::release(timer_);
    timer_ = o.timer_;
    return *this;
}
timer_handle::~timer_handle() {
    if (timer_) detail::callback_timer::release(timer_);
}
void timer_handle::cancel() noexcept {
    if (!timer_ || timer_->finished) return;
    timer_->finished = true;
    if (timer_->armed()) {
        timer_->owner->remove_timer(timer_);
        detail::callback_timer::release(timer_);  // the heap's reference
    }
}
bool timer_handle::pending() const noexcept { return timer_ && !timer_->finished; }

scheduler::scheduler(scheduler_options options) : owner_(std::this_thread::get_id()) {
    if (options.queue_depth == 0) throw std::invalid_argument("zring::scheduler: queue_depth must be positive");
    if (const int rc = setup_ring(ring_, options.queue_depth, features_); rc < 0)
        throw io_uring_unavailable(-rc, unavailable_message(-rc));
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) {
        const int err = errno;
        io_uring_queue_exit(&ring_);
        throw std::system_error(err, std::system_category(), "zring::scheduler: eventfd");
    }
    wakeup_.owner = this;
    wakeup_.on_complete = [](detail::io_operation* op, int, unsigned) noexcept {
        auto* w = static_cast<wakeup_read*>(op);
        w->owner->wakeup_armed_ = false;
        if (!w->owner->shutting_down_) w->owner->arm_wakeup();
    };
    arm_wakeup();
    exception_handler_ = default_exception_handler;
}

scheduler::~scheduler() {
    shutting_down_ = true;
    // How long shutdown waits for the kernel to give back cancelled
    // operations; it never waits forever.
    constexpr auto drain_deadline = std::chrono::seconds(5);
    // Resources (open sockets) first: closing them may prepare cancellations.
    close_resources();
    // No frame may be freed while the kernel can still write into it.
    const bool drained = cancel_all_and_drain(drain_deadline);
    ready_.clear();
    for (std::size_t i = 0; i < spawned_.size(); ++i) {
        if (auto h = std::exchange(spawned_[i], {})) h.destroy();
    }
    // Destroyed frames may have closed sockets and cancelled operations.
    close_resources();
    if (drained) cancel_all_and_drain(drain_deadline);
    ready_.clear();
    while (!timers_.empty()) {
        detail::timer_node* n = timers_.pop();
        if (n->fire == &detail::callback_timer::on_fire) {
            auto* t = static_cast<detail::callback_timer*>(n);
            t->finished = true;
            detail::callback_timer::release(t);
        }
    }
    ::close(wake_fd_);
    io_uring_queue_exit(&ring_);
}

void scheduler::close_resources() noexcept {
    while (detail::scheduler_resource* r = resources_.pop_front()) r->on_scheduler_shutdown();
}

scheduler* scheduler::current() noexcept { return current_scheduler; }

scheduler::run_guard::run_guard(scheduler& s) : s_(s), previous_(current_scheduler) {
    s_.running_ = true;
    current_scheduler = &s_;
}
scheduler::run_guard::~run_guard() {
    s_.running_ = false;
    current_scheduler = previous_;
}

void scheduler::check_thread(const char* operation) const {
    if (!on_owner_thread())
        throw std::logic_error(std::string(operation) +
                               ": called from another thread; a scheduler runs on the thread that created it");
}

void scheduler::run() {
    check_thread("zring::scheduler::run");
    if (running_) throw std::logic_error("zring::scheduler::run: the scheduler is already running");
    run_guard guard(*this);
    run_until(stop_requested_);
    stop_requested_ = false;
}

void scheduler::run_until(const bool& done) {
    while (!done) {
        if (!wakeup_armed_) arm_wakeup();
        if (!deferred_cancels_.empty()) submit_deferred_cancels();
        collect_remote();
        fire_timers();
        run_ready();
        if (done) break;
        submit_and_wait(ready_.empty() && !stop_requested_);
        reap();
    }
}

void scheduler::run_ready() {
    // Bounded: work queued during this turn waits for the next one.
    for (std::size_t n = ready_.size(); n > 0; --n) {
        try {
            ready_.front().run();  // in place: nothing is moved to run it
        } catch (...) {
            report_exception(std::current_exception());
        }
        ready_.pop();
    }
}

void scheduler::fire_timers() {
    if (timers_.empty()) return;
    const auto now = clock::now();
    while (!timers_.empty() && timers_.top()->deadline <= now) {
        detail::timer_node* n = timers_.pop();
        n->fire(n);
    }
}

void scheduler::submit_and_wait(bool may_block) {
    __kernel_timespec timeout{};
    __kernel_timespec* wait_limit = nullptr;
    if (may_block && !timers_.empty()) {
        const auto left = timers_.top()->deadline - clock::now();
        if (left <= clock::duration::zero()) {
            may_block = false;
        } else {
            const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count() + 1;
            timeout.tv_sec = ns / 1'000'000'000;
            timeout.tv_nsec = ns % 1'000'000'000;
            wait_limit = &timeout;
        }
    }
    int rc;
    if (may_block) {
        io_uring_cqe* cqe = nullptr;
        rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, wait_limit, nullptr);
    } else {
        rc = io_uring_submit_and_get_events(&ring_);
    }
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
        throw std::system_error(-rc, std::system_category(), "zring::scheduler: io_uring_enter");
}

void scheduler::reap() {
    unsigned head;
    unsigned seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
        ++seen;
        if (cqe->user_data == LIBURING_UDATA_TIMEOUT) continue;  // liburing's own wait timeout
        if (!(cqe->flags & IORING_CQE_F_MORE)) --in_flight_;
        if (auto* op = static_cast<detail::io_operation*>(io_uring_cqe_get_data(cqe)))
            op->on_complete(op, cqe->res, cqe->flags);
    }
    io_uring_cq_advance(&ring_, seen);
}

io_uring_sqe* scheduler::try_prepare(detail::io_operation* op) noexcept {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    // A full queue: hand what is prepared to the kernel to make room. It
    // takes SQEs even with a full CQ (IORING_FEAT_NODROP keeps the overflow).
    for (int attempt = 0; !sqe && attempt < 3; ++attempt) {
        const int rc = io_uring_submit(&ring_);
        if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) return nullptr;
        sqe = io_uring_get_sqe(&ring_);
    }
    if (!sqe) return nullptr;
    io_uring_sqe_set_data(sqe, op);
    ++in_flight_;
    return sqe;
}

io_uring_sqe* scheduler::prepare(detail::io_operation* op) {
    if (io_uring_sqe* sqe = try_prepare(op)) return sqe;
    throw std::system_error(EBUSY, std::system_category(),
                            "zring::scheduler: the submission queue is full and the kernel takes no more");
}

void scheduler::cancel(detail::io_operation* op, detail::deferred_cancel& node) noexcept {
    // One path for every cancellation: queued, then submitted now if the ring takes it.
    node.target = op;
    if (!node.linked) deferred_cancels_.push_back(&node);
    submit_deferred_cancels();
}

void scheduler::submit_deferred_cancels() noexcept {
    while (detail::deferred_cancel* node = deferred_cancels_.front()) {
        io_uring_sqe* sqe = try_prepare(nullptr);
        if (!sqe) return;  // next turn
        deferred_cancels_.erase(node);
        io_uring_prep_cancel(sqe, node->target, 0);
        io_uring_sqe_set_data(sqe, nullptr);
    }
}

bool scheduler::cancel_all_and_drain(std::chrono::steady_clock::duration deadline) noexcept {
    // One request cancels everything pending (IORING_ASYNC_CANCEL_ALL, Linux
    // 5.19); older kernels refuse it (EINVAL) and get one CANCEL_ANY per
    // operation. The kernel serves each by rescanning what is pending, so it
    // is sent again only when nothing progressed.
    struct sweep_op : detail::io_operation {
        int result = 0;
    } sweep;
    sweep.on_complete = [](detail::io_operation* op, int result, unsigned) noexcept {
        static_cast<sweep_op*>(op)->result = result;
    };
    // Whatever waited for a retry is covered by the sweep.
    while (deferred_cancels_.pop_front()) {
    }
    const auto give_up = clock::now() + deadline;
    // First take what already finished or was cancelled by its owner (each
    // closed socket cancels its own poll): the sweep then meets only the rest.
    bool ring_ok = reap_all(std::chrono::nanoseconds::zero());
    bool cancel_all = true;
    bool sweep_again = true;
    while (ring_ok && in_flight_ > 0 && clock::now() < give_up) {
        if (sweep_again) {
            io_uring_sqe* sqe = try_prepare(&sweep);
            if (!sqe) break;
            io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | (cancel_all ? IORING_ASYNC_CANCEL_ALL : 0));
        }
        const std::size_t before = in_flight_;
        ring_ok = reap_all(std::chrono::milliseconds(100));
        if (cancel_all && sweep.result == -EINVAL) cancel_all = false;
        sweep_again = !cancel_all || in_flight_ == before;
    }
    if (in_flight_ == 0) return true;
    // The memory of what is left stays the kernel's: better leaked than freed
    // under it. io_uring_queue_exit then cancels it for good.
    std::fprintf(stderr, "zring::scheduler: shutdown gave up on %zu operation(s) still in the kernel after %lld ms%s\n",
                 in_flight_,
                 static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline).count()),
                 ring_ok ? "" : " (the ring failed)");
    return false;
}

bool scheduler::reap_all(std::chrono::nanoseconds patience) {
    // Ask for every completion at once: with DEFER_TASKRUN the kernel runs
    // deferred completions in batches no larger than the wait asks for.
    for (;;) {
        const std::size_t before = in_flight_;
        const auto want = static_cast<unsigned>(std::min<std::size_t>(in_flight_, ring_.cq.ring_entries));
        __kernel_timespec timeout{patience.count() / 1'000'000'000, patience.count() % 1'000'000'000};
        io_uring_cqe* cqe = nullptr;
        const int rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, std::max(want, 1u), &timeout, nullptr);
        reap();
        if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) return false;
        if (in_flight_ == 0 || in_flight_ == before) return true;
    }
}

void scheduler::arm_wakeup() noexcept {
    // If the ring cannot take it now, the next loop turn tries again.
    io_uring_sqe* sqe = try_prepare(&wakeup_);
    wakeup_armed_ = sqe != nullptr;
    if (sqe) io_uring_prep_read(sqe, wake_fd_, &wakeup_.value, sizeof wakeup_.value, 0);
}

timer_handle scheduler::call_at(clock::time_point deadline, detail::callback f) {
    auto* t = new detail::callback_timer;
    t->owner = this;
    t->fn = std::move(f);
    t->deadline = deadline;
    t->fire = &detail::callback_timer::on_fire;
    timer_handle handle(t);
    try {
        add_timer(t);
    } catch (...) {
        detail::callback_timer::release(t);
        throw;
    }
    return handle;
}

void scheduler::post_remote(detail::callback&& cb) {
    bool wake;
    {
        std::lock_guard lock(remote_mutex_);
        remote_callbacks_.push_back(std::move(cb));
        wake = !remote_pending_.exchange(true, std::memory_order_release);
    }
    if (wake) {
        const std::uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);  // EAGAIN: already awake
    }
}

void scheduler::post_remote(detail::remote_node* node) {
    bool wake;
    {
        std::lock_guard lock(remote_mutex_);
        if (node->linked) return;
        remote_nodes_.push_back(node);
        wake = !remote_pending_.exchange(true, std::memory_order_release);
    }
    if (wake) {
        const std::uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
    }
}

void scheduler::withdraw_remote(detail::remote_node* node) noexcept {
    std::lock_guard lock(remote_mutex_);
    remote_nodes_.erase(node);
}

void scheduler::collect_remote() {
    if (!remote_pending_.load(std::memory_order_acquire)) return;
    std::vector<detail::callback> batch;
    {
        std::lock_guard lock(remote_mutex_);
        batch.swap(remote_callbacks_);
        remote_pending_.store(false, std::memory_order_relaxed);
    }
    for (auto& cb : batch) ready_.emplace(std::move(cb));
    // One node at a time, under the lock: a node's owner may withdraw it
    // (from another thread) until it is unlinked here.
    for (;;) {
        detail::remote_node* n;
        {
            std::lock_guard lock(remote_mutex_);
            n = remote_nodes_.pop_front();
        }
        if (!n) break;
        n->run(n);
    }
}

void scheduler::set_exception_handler(std::function<void(std::exception_ptr)> handler) {
    exception_handler_ = handler ? std::move(handler) : default_exception_handler;
}

void scheduler::report_exception(std::exception_ptr e) noexcept {
    try {
        exception_handler_(std::move(e));
    } catch (...) {
        std::cerr << "zring: the exception handler threw" << std::endl;
        std::terminate();
    }
}

void scheduler::add_resource(detail::scheduler_resource* r) noexcept { resources_.push_back(r); }

void scheduler::remove_resource(detail::scheduler_resource* r) noexcept { resources_.erase(r); }

void scheduler::adopt(std::coroutine_handle<> root, std::size_t& slot) {
    if (!free_spawn_slots_.empty()) {
        slot = free_spawn_slots_.back();
        free_spawn_slots_.pop_back();
        spawned_[slot] = root;
    } else {
        slot = spawned_.size();
        spawned_.push_back(root);
    }
}

void scheduler::release(std::size_t slot) noexcept {
    spawned_[slot] = {};
    if (!shutting_down_) free_spawn_slots_.push_back(slot);
}

}  // namespace zring
