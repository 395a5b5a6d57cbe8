#include "io_backend.hpp"

#include <zring/io/errors.hpp>
#include <zring/io/scheduler.hpp>

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <iostream>
#include <string>
#include <system_error>
#include <utility>

namespace zring {

namespace {

thread_local scheduler* current_scheduler = nullptr;

// How long shutdown waits for the kernel to give back cancelled operations;
// it never waits forever.
constexpr auto drain_deadline = std::chrono::seconds(5);

// The backend the options ask for, or else the one ZRING_BACKEND names.
backend chosen_backend(backend requested) {
    if (requested != backend::automatic) return requested;
    const char* env = std::getenv("ZRING_BACKEND");
    if (!env || !*env) return backend::automatic;
    for (backend b : {backend::automatic, backend::io_uring, backend::epoll})
        if (to_string(b) == env) return b;
    throw std::invalid_argument(std::string("zring::scheduler: ZRING_BACKEND=") + env +
                                " names no backend; use io_uring, epoll or auto");
}

// The errors with which a kernel or its sandbox refuses io_uring (the sysctl
// kernel.io_uring_disabled gives EPERM), or offers one too old (EINVAL) or
// without the locked memory for a ring (ENOMEM, before Linux 5.12): epoll
// runs on all of them.
bool refused(const io_uring_unavailable& e) noexcept {
    const int error = e.code().value();
    return error == EPERM || error == EACCES || error == ENOSYS || error == EINVAL || error == ENOMEM;
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

std::uint64_t next_thread_serial() noexcept {
    static std::atomic<std::uint64_t> last{0};
    return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

// A call_later callback: shared by the heap (while armed), the ready queue
// (while fired and queued: the heap's reference passes to it) and any
// timer_handle copies. Firing queues the timer's own node: it allocates
// nothing, so it cannot fail.
struct callback_timer : timer_node, ready_node {
    scheduler* owner;
    callback fn;
    unsigned refs = 1;
    bool finished = false;  // ran or cancelled

    callback_timer() noexcept { complete = &run_fired; }

    static void release(callback_timer* t) noexcept {
        if (--t->refs == 0) delete t;
    }

    static void run_fired(ready_node* n, bool run) {
        auto* t = static_cast<callback_timer*>(n);
        struct release_after {
            callback_timer* t;
            ~release_after() { release(t); }  // the queue's reference, even if fn throws
        } guard{t};
        if (!run || t->finished) return;
        t->finished = true;
        t->fn.run();
    }

    static void on_fire(timer_node* n) noexcept {
        auto* t = static_cast<callback_timer*>(n);
        t->owner->ready_.push(*t);
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
        detail::scheduler_access::remove_timer(*timer_->owner, timer_);
        detail::callback_timer::release(timer_);  // the heap's reference
    }
}
bool timer_handle::pending() const noexcept { return timer_ && !timer_->finished; }

scheduler::scheduler(scheduler_options options) : owner_(detail::this_thread_serial()) {
    if (options.queue_depth == 0) throw std::invalid_argument("zring::scheduler: queue_depth must be positive");
    const zring::backend wanted = chosen_backend(options.backend);
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) throw std::system_error(errno, std::system_category(), "zring::scheduler: eventfd");
    try {
        std::string uring_refusal;
        if (wanted != zring::backend::epoll) {
            try {
                backend_ = detail::make_uring_backend(options.queue_depth, wake_fd_, options.msg_ring, features_);
            } catch (const io_uring_unavailable& e) {
                if (wanted == zring::backend::io_uring || !refused(e)) throw;
                uring_refusal = std::strerror(e.code().value());
            }
        }
        if (!backend_) {
            // Where io_uring was refused, a failing epoll leaves no backend: say both.
            const std::string context =
                uring_refusal.empty()
                    ? "zring::scheduler: "
                    : "zring::scheduler: no backend can start: io_uring is refused (" + uring_refusal + ") and so is ";
            backend_ = detail::make_epoll_backend(options.queue_depth, wake_fd_, context);
        }
    } catch (...) {
        ::close(wake_fd_);
        throw;
    }
    ring_fd_ = backend_->ring_fd();
    exception_handler_ = default_exception_handler;
}

scheduler::~scheduler() {
    shut_down();
    backend_.reset();
    ::close(wake_fd_);
}

void scheduler::shut_down() noexcept {
    for (int stage = 0; stage < teardown_stages; ++stage) shut_down(stage);
}

void scheduler::shut_down(int stage) noexcept {
    if (stage < teardown_done_) return;
    teardown_done_ = stage + 1;
    switch (stage) {
    case 0:
        close_door();
        // Resources (open sockets) first: closing them may cancel watches.
        close_resources();
        // No frame may be freed while the kernel can still write into it.
        drained_ = backend_->drain(drain_deadline);
        break;
    case 1:
        ready_.clear();
        while (detail::spawned_frame* f = spawned_.pop_front()) f->handle.destroy();
        // Destroyed frames may have closed sockets and cancelled operations.
        close_resources();
        break;
    default:
        if (drained_) backend_->drain(drain_deadline);
        ready_.clear();
        while (!timers_.empty()) {
            detail::timer_node* n = timers_.pop();
            if (n->fire == &detail::callback_timer::on_fire) {
                auto* t = static_cast<detail::callback_timer*>(n);
                t->finished = true;
                detail::callback_timer::release(t);
            }
        }
    }
}

void scheduler::close_door() noexcept {
    std::vector<detail::callback> callbacks;
    {
        std::lock_guard lock(remote_mutex_);
        door_closed_ = true;
        callbacks.swap(remote_callbacks_);
    }
    callbacks.clear();  // destroyed unrun, here on the scheduler's thread
    // A node's waiter is told (a hop resumes to throw scheduler_stopped), so
    // none waits for a loop that will not run again.
    run_remote_nodes(true);
}

void scheduler::run_remote_nodes(bool refused) noexcept {
    // One node at a time, under the lock: a node's owner may withdraw it
    // (from another thread) until it is unlinked here.
    for (;;) {
        detail::remote_node* n;
        {
            std::lock_guard lock(remote_mutex_);
            n = remote_nodes_.pop_front();
        }
        if (!n) break;
        n->run(n, refused);
    }
}

zring::backend scheduler::backend() const noexcept { return backend_->kind(); }

bool has_backend(zring::backend b) noexcept {
#ifdef ZRING_HAVE_IO_URING
    (void)b;
    return true;
#else
    return b != zring::backend::io_uring;
#endif
}

std::size_t scheduler::kernel_operations() const noexcept { return backend_->operations(); }

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

// Rounds of the ready queue one loop turn runs before it enters the kernel.
// What a round queues (a coroutine woken by another's send, a writer woken
// by a queued message) runs in the same turn, so a message crosses the loop
// with one io_uring_enter rather than one per hop. Bounded, so that a
// coroutine yielding in a loop still lets timers and I/O in every few rounds.
constexpr int rounds_per_turn = 3;

void scheduler::run_until(const bool& done, std::stop_source* cancel) {
    while (!done) {
        ++turn_;
        collect_remote();
        fire_timers();
        run_ready();
        for (int round = 1; round < rounds_per_turn && !done && !stop_requested_ && !ready_.empty(); ++round)
            run_ready();
        if (done) break;
        if (cancel && stop_requested_) {
            stop_requested_ = false;
            // Stop callbacks may resume coroutines inline: not inside run_ready.
            std::exchange(cancel, nullptr)->request_stop();
            continue;
        }
        const bool block = ready_.empty() && !stop_requested_;
        clock::time_point next_timer{};
        if (!timers_.empty()) next_timer = timers_.top()->deadline;
        backend_->wait(block, timers_.empty() ? nullptr : &next_timer);
    }
    // The last turn may have queued wake-ups of other schedulers (MSG_RING):
    // they must not wait for a turn that may never come.
    backend_->flush();
}

void scheduler::run_ready() {
    // Bounded: work queued during this round waits for the next one.
    // Each resumption may complete a bounded number of operations inline
    // (detail::scheduler_access::may_complete_inline).
    ready_.run_turn(
        turn_end_, [this] { report_exception(std::current_exception()); },
        [this]() noexcept { inline_left_ = inline_budget; });
}

void scheduler::fire_timers() {
    if (timers_.empty()) return;
    const auto now = clock::now();
    while (!timers_.empty() && timers_.top()->deadline <= now) {
        detail::timer_node* n = timers_.pop();
        n->fire(n);
    }
}

bool detail::scheduler_access::start(scheduler& s, io_operation* op) noexcept {
    op->cancel_requested = false;
    const bool started = s.backend_->start(op);
    op->would_block = false;  // said of this start only
    return started;
}

void detail::scheduler_access::cancel(scheduler& s, io_operation* op) noexcept { s.backend_->cancel(op); }

void detail::scheduler_access::close_fd(scheduler& s, int fd) noexcept {
    if (s.backend_) s.backend_->forget(fd);
    ::close(fd);
}

timer_handle scheduler::call_at(clock::time_point deadline, detail::callback f) {
    auto* t = new detail::callback_timer;
    t->owner = this;
    t->fn = std::move(f);
    t->deadline = deadline;
    t->fire = &detail::callback_timer::on_fire;
    timer_handle handle(t);
    try {
        timers_.push(t);
    } catch (...) {
        detail::callback_timer::release(t);
        throw;
    }
    return handle;
}

// The wake-up is sent under the lock: once it is released, the post may
// have run, and the scheduler stopped and been destroyed, its fds closed (a
// stop posted from another thread does exactly that). Its teardown closes
// the door under the same lock first.
void scheduler::post_remote(detail::callback&& cb) {
    std::lock_guard lock(remote_mutex_);
    if (door_closed_) throw scheduler_stopped("zring::scheduler::call_soon_threadsafe");
    remote_callbacks_.push_back(std::move(cb));
    if (!remote_pending_.exchange(true, std::memory_order_release)) wake();
}

bool scheduler::try_post_remote(detail::remote_node* node) {
    std::lock_guard lock(remote_mutex_);
    if (door_closed_) return false;
    if (node->linked()) return true;
    remote_nodes_.push_back(node);
    if (!remote_pending_.exchange(true, std::memory_order_release)) wake();
    return true;
}

void scheduler::wake() noexcept {
    // From another io_uring scheduler's loop: a message into our ring, sent
    // with that loop's next submission.
    if (scheduler* from = current_scheduler; from && from != this && !from->shutting_down() &&
                                             from->backend_->send_wake(ring_fd_, wake_fd_))
        return;
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);  // EAGAIN: already awake
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
    run_remote_nodes(false);
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

}  // namespace zring
