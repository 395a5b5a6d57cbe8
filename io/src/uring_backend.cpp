// The io_uring backend: readiness polls are SQEs (multishot for sockets),
// and one io_uring_enter per loop turn submits them and waits.

#include "io_backend.hpp"

#include <zring/io/errors.hpp>

#include <liburing.h>
#include <poll.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>

namespace zring::detail {

namespace {

std::string unavailable_message(int error) {
    std::string msg = "zring::scheduler: io_uring_setup failed: ";
    msg += std::strerror(error);
    msg += ". ";
    int disabled = 0;
    if (std::ifstream sysctl("/proc/sys/kernel/io_uring_disabled"); sysctl >> disabled && disabled != 0)
        msg += "io_uring is disabled by the sysctl kernel.io_uring_disabled=" + std::to_string(disabled) +
               " (set it to 0, or use the epoll backend). ";
    if (error == ENOSYS)
        msg += "This kernel has no io_uring (Linux 5.1 and newer have it); the epoll backend runs anywhere.";
    else if (error == EPERM || error == EACCES)
        msg +=
            "io_uring is not permitted here: check kernel.io_uring_disabled and any seccomp profile "
            "(container runtimes often block io_uring_setup, io_uring_enter and io_uring_register); "
            "the epoll backend runs anyway.";
    else if (error == ENOMEM)
        msg += "Not enough locked memory for the ring: raise RLIMIT_MEMLOCK or lower queue_depth.";
    else if (error == EINVAL)
        msg += "This kernel's io_uring is too old for zring (Linux 5.5 or newer is needed).";
    return msg;
}

std::string enter_refused_message(int error) {
    return std::string("zring::scheduler: io_uring_enter failed: ") + std::strerror(error) +
           ". io_uring is not permitted here (a seccomp profile allows io_uring_setup but refuses "
           "io_uring_enter); the epoll backend runs anyway.";
}

// Each setup tried in turn: the newest flags first, plain io_uring last.
int setup_ring(io_uring& ring, unsigned depth, ring_features& features, unsigned& kernel_features) {
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
            kernel_features = params.features;
            return 0;
        }
        if (rc != -EINVAL) return rc;
    }
    return rc;
}

// Linux posts a MSG_RING into a DEFER_TASKRUN ring owned by another task
// reliably from 6.3 (through task_work); before, such rings get the eventfd.
bool msg_ring_reaches(const ring_features& features) {
    if (!features.defer_taskrun) return true;
    utsname u{};
    int major = 0, minor = 0;
    if (::uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
    return major > 6 || (major == 6 && minor >= 3);
}

bool transient(int rc) noexcept { return rc == -EINTR || rc == -EAGAIN || rc == -EBUSY; }

// CQE user_data that is not an io_operation (those are pointers, aligned):
// a wake-up another ring posted here, and this ring's own MSG_RING sends
// (the low two bits; the target's eventfd above them).
constexpr std::uint64_t received_wake = 1;
constexpr std::uint64_t sent_wake_tag = 2;
constexpr std::uint64_t tag_mask = 3;

class uring_backend final : public io_backend {
public:
    uring_backend(unsigned depth, int wake_fd, bool msg_ring, ring_features& features) : wake_fd_(wake_fd) {
        unsigned kernel_features = 0;
        if (const int rc = setup_ring(ring_, depth, features, kernel_features); rc < 0)
            throw io_uring_unavailable(-rc, unavailable_message(-rc));
        if (msg_ring) {
            if (io_uring_probe* probe = io_uring_get_probe_ring(&ring_)) {
                msg_ring_ = msg_ring_supported_ = io_uring_opcode_supported(probe, IORING_OP_MSG_RING) != 0 &&
                                                  msg_ring_reaches(features);
                io_uring_free_probe(probe);
            }
        }
        skip_success_ = (kernel_features & IORING_FEAT_CQE_SKIP) != 0;
        features.msg_ring = msg_ring_;
        wakeup_.owner = this;
        wakeup_.on_complete = [](io_operation* op, int, bool) noexcept {
            auto* w = static_cast<wakeup_read*>(op);
            w->owner->wakeup_armed_ = false;
            if (!w->owner->draining_) w->owner->arm_wakeup();
        };
        arm_wakeup();
        // A profile may allow io_uring_setup and refuse io_uring_enter:
        // find out now, while the scheduler can still choose epoll.
        if (const int rc = io_uring_submit(&ring_); rc < 0 && !transient(rc)) {
            io_uring_queue_exit(&ring_);
            throw io_uring_unavailable(-rc, enter_refused_message(-rc));
        }
    }
    ~uring_backend() override { io_uring_queue_exit(&ring_); }

    zring::backend kind() const noexcept override { return zring::backend::io_uring; }

    bool start(io_operation* op) noexcept override {
        io_uring_sqe* sqe = try_prepare(op);
        if (!sqe) return false;
        op->one_shot_polls = op->multishot && !multishot_allowed(op->kind);
        // The call was just tried and would block: the kernel's own first
        // try would fail alike, so wait for readiness at once.
        const bool data = op->kind == io_kind::recv || op->kind == io_kind::send || op->kind == io_kind::recvmsg ||
                          op->kind == io_kind::sendmsg;
        op->awaiting_readiness = op->would_block && data;
        if (op->awaiting_readiness)
            io_uring_prep_poll_add(sqe, op->fd, takes_input(op->kind) ? POLLIN : POLLOUT);
        else
            prepare(sqe, op);
        return true;
    }

    void cancel(io_operation* op) noexcept override {
        // One path for every cancellation: queued, then submitted now if the
        // ring takes it, else retried every loop turn.
        op->cancel_requested = true;
        if (!op->linked()) cancels_.push_back(op);
        submit_cancels();
    }

    void wait(bool block, const clock::time_point* deadline) override {
        if (!wakeup_armed_) arm_wakeup();
        if (!cancels_.empty()) submit_cancels();
        __kernel_timespec timeout{};
        __kernel_timespec* limit = nullptr;
        if (block && deadline) {
            const auto left = *deadline - clock::now();
            if (left <= clock::duration::zero()) {
                block = false;
            } else {
                timeout = to_timespec<__kernel_timespec>(std::chrono::duration_cast<std::chrono::nanoseconds>(left) +
                                                         std::chrono::nanoseconds(1));
                limit = &timeout;
            }
        }
        int rc;
        if (block) {
            io_uring_cqe* cqe = nullptr;
            rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, limit, nullptr);
        } else {
            rc = io_uring_submit_and_get_events(&ring_);
        }
        if (rc < 0 && rc != -ETIME && !transient(rc))
            throw std::system_error(-rc, std::system_category(), "zring::scheduler: io_uring_enter");
        reap();
    }

    bool drain(clock::duration patience) noexcept override {
        draining_ = true;
        // One request cancels everything pending (IORING_ASYNC_CANCEL_ALL,
        // Linux 5.19); older kernels refuse it (EINVAL) and get one
        // CANCEL_ANY per operation. The kernel serves each by rescanning what
        // is pending, so it is sent again only when nothing progressed.
        struct sweep_op : io_operation {
            int result = 0;
        } sweep;
        sweep.on_complete = [](io_operation* op, int result, bool) noexcept {
            static_cast<sweep_op*>(op)->result = result;
        };
        while (cancels_.pop_front()) {  // whatever waited for a retry is covered by the sweep
        }
        const auto give_up = clock::now() + patience;
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
        // The memory of what is left stays the kernel's: better leaked than
        // freed under it. io_uring_queue_exit then cancels it for good.
        std::fprintf(
            stderr, "zring::scheduler: shutdown gave up on %zu operation(s) still in the kernel after %lld ms%s\n",
            in_flight_, static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(patience).count()),
            ring_ok ? "" : " (the ring failed)");
        return false;
    }

    std::size_t operations() const noexcept override { return in_flight_ - cancel_requests_ - (wakeup_armed_ ? 1 : 0); }

    int ring_fd() const noexcept override { return msg_ring_supported_ ? ring_.ring_fd : -1; }

    bool send_wake(int target_ring_fd, int target_wake_fd) noexcept override {
        if (!msg_ring_ || target_ring_fd < 0 || draining_) return false;
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        if (!sqe) return false;
        // The target sees a CQE tagged received_wake; this ring sees the
        // send's own, tagged with the eventfd to write should it fail. No
        // memory of ours is named: neither is counted in flight.
        io_uring_prep_msg_ring(sqe, target_ring_fd, 0, received_wake, 0);
        io_uring_sqe_set_data64(sqe, sent_wake_tag | (static_cast<std::uint64_t>(target_wake_fd) << 2));
        // Only a failure posts a CQE here: a success would end this
        // ring's next wait at once, for nothing.
        if (skip_success_) io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
        return true;
    }

    void flush() noexcept override {
        if (io_uring_sq_ready(&ring_) > 0) io_uring_submit(&ring_);
    }

private:
    struct wakeup_read : io_operation {
        uring_backend* owner = nullptr;
        std::uint64_t value = 0;
    };

    // An SQE whose completion goes to op (null: a cancellation, whose CQE
    // nobody needs), counted until its final CQE; submits what is prepared
    // to make room when the queue is full. Null if the kernel takes no more.
    io_uring_sqe* try_prepare(io_operation* op) noexcept {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        // The kernel takes SQEs even with a full CQ (IORING_FEAT_NODROP keeps the overflow).
        for (int attempt = 0; !sqe && attempt < 3; ++attempt) {
            const int rc = io_uring_submit(&ring_);
            if (rc < 0 && !transient(rc)) return nullptr;
            sqe = io_uring_get_sqe(&ring_);
        }
        if (!sqe) return nullptr;
        io_uring_sqe_set_data(sqe, op);
        ++in_flight_;
        return sqe;
    }

    void submit_cancels() noexcept {
        while (io_operation* op = cancels_.front()) {
            io_uring_sqe* sqe = try_prepare(nullptr);
            if (!sqe) return;  // next turn
            ++cancel_requests_;
            cancels_.erase(op);
            io_uring_prep_cancel(sqe, op, 0);
            io_uring_sqe_set_data(sqe, nullptr);
        }
    }

    void arm_wakeup() noexcept {
        // If the ring cannot take it now, the next loop turn tries again.
        io_uring_sqe* sqe = try_prepare(&wakeup_);
        wakeup_armed_ = sqe != nullptr;
        if (sqe) io_uring_prep_read(sqe, wake_fd_, &wakeup_.value, sizeof wakeup_.value, 0);
    }

    void reap() noexcept {
        unsigned head;
        unsigned seen = 0;
        io_uring_cqe* cqe;
        io_uring_for_each_cqe(&ring_, head, cqe) {
            ++seen;
            if (cqe->user_data == LIBURING_UDATA_TIMEOUT) continue;  // liburing's own wait timeout
            if (cqe->user_data == received_wake) continue;  // another ring woke us: the loop looks at its posts
            if ((cqe->user_data & tag_mask) == sent_wake_tag) {
                if (cqe->res < 0) wake_refused(static_cast<int>(cqe->user_data >> 2), cqe->res);
                continue;
            }
            auto* op = static_cast<io_operation*>(io_uring_cqe_get_data(cqe));
            bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;
            if (!more) --in_flight_;
            if (!op) {  // a cancellation's own CQE
                --cancel_requests_;
                continue;
            }
            int result = cqe->res;
            if (!more) {
                const step next = after_final(op, result);
                if (next == step::retried) continue;
                more = next == step::deliver_more;
            }
            if (!more) {
                cancels_.erase(op);  // a cancellation still waiting for room is moot
                op->cancel_requested = false;
            }
            op->on_complete(op, result, more);
        }
        io_uring_cq_advance(&ring_, seen);
    }

    bool multishot_allowed(io_kind kind) const noexcept {
        return kind == io_kind::poll ? multishot_polls_ : multishot_accepts_;
    }

    // The SQE of op's operation; a multishot one only where the kernel has it.
    void prepare(io_uring_sqe* sqe, io_operation* op) noexcept {
        const bool multishot = op->multishot && !op->one_shot_polls;
        switch (op->kind) {
            case io_kind::poll:
                if (multishot)
                    io_uring_prep_poll_multishot(sqe, op->fd, op->events);
                else
                    io_uring_prep_poll_add(sqe, op->fd, op->events);
                break;
            case io_kind::accept:
                if (multishot)  // one address buffer cannot serve every connection
                    io_uring_prep_multishot_accept(sqe, op->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                else
                    io_uring_prep_accept(sqe, op->fd, op->address, op->address ? &op->address_length : nullptr,
                                         SOCK_NONBLOCK | SOCK_CLOEXEC);
                break;
            case io_kind::connect:
                io_uring_prep_connect(sqe, op->fd, op->address, op->address_length);
                break;
            case io_kind::recv:
                // Into the caller's buffer, not from a provided buffer ring.
                // zring-recv-buffers (benchmarks/results/2026-12-02-recv-buffers.txt:
                // 64 B messages, medians of 5, CPU per message against this
                // plain recv, two runs) measured a buffer ring, with the copy
                // into the caller's buffer that read_some needs, at 0.99/0.99,
                // 1.10/0.92 and 0.91/0.95 on 1, 100 and 1,000 connections, and
                // multishot recv from it at 1.11/1.12, 1.30/0.96, 1.07/0.90.
                // A gain of 5-9% at 1,000 connections, inside the 18% the two
                // runs disagree by at 100, does not pay for a shared pool
                // that can run dry (ENOBUFS) behind a copying API; an API
                // that lends out ring buffers is where it would.
                io_uring_prep_recv(sqe, op->fd, op->buffer, op->length, op->flags);
                break;
            case io_kind::send:
                io_uring_prep_send(sqe, op->fd, op->buffer, op->length, op->flags | MSG_NOSIGNAL);
                break;
            case io_kind::recvmsg:
                io_uring_prep_recvmsg(sqe, op->fd, op->message, static_cast<unsigned>(op->flags));
                break;
            case io_kind::sendmsg:
                io_uring_prep_sendmsg(sqe, op->fd, op->message, static_cast<unsigned>(op->flags | MSG_NOSIGNAL));
                break;
        }
    }

    // What becomes of op's final CQE.
    enum class step {
        deliver,       // op's final completion
        deliver_more,  // a completion, with op re-armed: more follow
        retried,       // op is back in the kernel; nothing to deliver yet
    };

    // Emulates what the kernel lacks, and hides what a non-blocking fd makes
    // it report:
    // - a multishot poll before Linux 5.13, a multishot accept before 5.19
    //   (EINVAL): one-shot operations re-armed at each completion;
    // - a data operation that would block (EAGAIN, or EINPROGRESS for a
    //   connect, where the kernel honours O_NONBLOCK in the ring): a poll
    //   for readiness, then the operation again (for a connect, SO_ERROR).
    step after_final(io_operation* op, int& result) noexcept {
        const bool would_block =
            op->kind != io_kind::poll &&
            (result == -EAGAIN || (op->kind == io_kind::connect && (result == -EINPROGRESS || result == -EALREADY)));
        if (op->probing_multishot) {
            op->probing_multishot = false;
            // The one-shot form fails alike: the fd's fault, not the kernel's.
            if (result == -EINVAL) (op->kind == io_kind::poll ? multishot_polls_ : multishot_accepts_) = true;
        }
        if (op->cancel_requested) {
            // What the operation did stays done; a poll for readiness or a
            // would-block result is not a result.
            if (op->awaiting_readiness || would_block) result = -ECANCELED;
            return step::deliver;
        }
        if (op->awaiting_readiness) {
            if (result < 0) return step::deliver;
            op->awaiting_readiness = false;
            if (op->kind == io_kind::connect) {
                int error = 0;
                socklen_t size = sizeof error;
                result = ::getsockopt(op->fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0 ? -errno : -error;
                return step::deliver;
            }
            return resubmit(op, result) ? step::retried : step::deliver;
        }
        if (would_block) {
            io_uring_sqe* sqe = try_prepare(op);
            if (!sqe) {
                result = -ENOBUFS;
                return step::deliver;
            }
            op->awaiting_readiness = true;
            io_uring_prep_poll_add(sqe, op->fd, takes_input(op->kind) ? POLLIN : POLLOUT);
            return step::retried;
        }
        if (!op->multishot) return step::deliver;
        if (!op->one_shot_polls && result == -EINVAL) {  // the kernel has no multishot form
            (op->kind == io_kind::poll ? multishot_polls_ : multishot_accepts_) = false;
            op->one_shot_polls = true;
            op->probing_multishot = true;
            return resubmit(op, result) ? step::retried : step::deliver;
        }
        if (!op->one_shot_polls || result < 0) return step::deliver;
        return resubmit(op, result) ? step::deliver_more : step::deliver;
    }

    // Puts op back in the kernel as it was started; else result is ENOBUFS.
    bool resubmit(io_operation* op, int& result) noexcept {
        io_uring_sqe* sqe = try_prepare(op);
        if (!sqe) {
            result = -ENOBUFS;
            return false;
        }
        prepare(sqe, op);
        return true;
    }

    // The kernel refused a MSG_RING (e.g. a target ring it cannot post
    // into): wake that target through its eventfd, and this ring sends no
    // more.
    void wake_refused(int target_wake_fd, int error) noexcept {
        // No ring behind the fd any more: the target was destroyed after the
        // send was queued (its number may even be another file's now), and
        // its eventfd went with it.
        if (error == -EBADF || error == -EBADFD) return;
        // A full target CQ is its own state, not the kernel refusing.
        if (error != -EOVERFLOW && error != -EAGAIN) msg_ring_ = false;
        const std::uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(target_wake_fd, &one, sizeof one);
    }

    bool reap_all(std::chrono::nanoseconds patience) noexcept {
        // Ask for every completion at once: with DEFER_TASKRUN the kernel runs
        // deferred completions in batches no larger than the wait asks for.
        for (;;) {
            const std::size_t before = in_flight_;
            const auto want = static_cast<unsigned>(std::min<std::size_t>(in_flight_, ring_.cq.ring_entries));
            auto timeout = to_timespec<__kernel_timespec>(patience);
            io_uring_cqe* cqe = nullptr;
            const int rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, std::max(want, 1u), &timeout, nullptr);
            reap();
            if (rc < 0 && rc != -ETIME && !transient(rc)) return false;
            if (in_flight_ == 0 || in_flight_ == before) return true;
        }
    }

    io_uring ring_{};
    int wake_fd_;
    std::size_t in_flight_ = 0;        // SQEs whose final CQE has not been reaped
    std::size_t cancel_requests_ = 0;  // of which cancellations
    bool multishot_polls_ = true;
    bool multishot_accepts_ = true;
    bool skip_success_ = false;        // IOSQE_CQE_SKIP_SUCCESS (5.17)
    bool msg_ring_supported_ = false;  // fixed at start-up
    bool msg_ring_ = false;            // this ring sends them (until the kernel refuses one)
    bool draining_ = false;
    bool wakeup_armed_ = false;
    wakeup_read wakeup_;
    intrusive_list<io_operation> cancels_;  // cancellations the ring could not take yet
};

}  // namespace

std::unique_ptr<io_backend> make_uring_backend(unsigned queue_depth, int wake_fd, bool msg_ring,
                                               ring_features& features) {
    return std::make_unique<uring_backend>(queue_depth, wake_fd, msg_ring, features);
}

}  // namespace zring::detail
