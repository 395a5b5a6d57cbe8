#pragma once
// poll: await readiness of any file descriptor (a one-shot watch on the
// scheduler's backend: io_uring POLL_ADD or epoll).

#include <zring/coro/cancellation.hpp>
#include <zring/coro/detail/operation.hpp>
#include <zring/io/detail/cancellation.hpp>
#include <zring/io/detail/io_operation.hpp>
#include <zring/io/scheduler.hpp>

#include <poll.h>

#include <cerrno>
#include <coroutine>
#include <stop_token>
#include <string>
#include <system_error>

namespace zring {

class poll_awaiter : private detail::io_operation,
                     public detail::operation<poll_awaiter, detail::io_cancellation<poll_awaiter>> {
    using base = detail::operation<poll_awaiter, detail::io_cancellation<poll_awaiter>>;

public:
    poll_awaiter(scheduler& s, int watched_fd, unsigned wanted, std::stop_token token) noexcept
        : base(std::move(token), s), scheduler_(s) {
        fd = watched_fd;
        events = wanted;
        on_complete = [](detail::io_operation* op, int result, bool) noexcept {
            auto* self = static_cast<poll_awaiter*>(op);
            self->in_flight_ = false;
            if (result >= 0) {
                self->ready_ = static_cast<unsigned>(result);
                self->conclude(detail::outcome::done);
            } else {
                self->conclude(result == -ECANCELED ? detail::outcome::cancelled : detail::outcome::failed, -result);
            }
            self->scheduler_.schedule(self->resumed_);
        };
    }
    poll_awaiter(poll_awaiter&& o) noexcept : io_operation(o), base(std::move(o)), scheduler_(o.scheduler_) {}

    bool await_ready() const noexcept { return false; }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> h) {
        return suspend(h, [this](std::coroutine_handle<> awaiting) {
            resumed_.handle = awaiting;
            if (!detail::scheduler_access::start(scheduler_, this))
                throw std::system_error(EBUSY, std::system_category(), what() + ": the kernel takes no more work now");
            in_flight_ = true;
            return true;
        });
    }
    // The events that are ready (POLLIN, POLLOUT, POLLHUP, ...).
    unsigned await_resume() {
        if (finish() != detail::outcome::done) [[unlikely]]
            throw_outcome();
        return ready_;
    }

    void cancel() noexcept {
        if (!in_flight_ || cancel_sent_) return;
        cancel_sent_ = true;
        detail::scheduler_access::cancel(scheduler_, this);  // the watch's own completion (-ECANCELED) resumes us
    }

private:
    std::string what() const { return "zring::poll(fd=" + std::to_string(fd) + ")"; }
    [[noreturn]] void throw_outcome() const {
        rethrow_stopped(what().c_str());
        throw std::system_error(error(), std::system_category(), what());
    }

    scheduler& scheduler_;
    detail::resume_node resumed_;  // queued to resume the waiter: allocates nothing
    unsigned ready_ = 0;
    bool in_flight_ = false;
    bool cancel_sent_ = false;
};

// Waits until fd is ready for one of events on the scheduler running this
// coroutine. An invalid or closed fd ends with std::system_error (EBADF).
[[nodiscard]] inline poll_awaiter poll(int fd, unsigned events, std::stop_token token = {}) {
    if (fd < 0)
        throw std::system_error(EBADF, std::system_category(),
                                "zring::poll: invalid file descriptor " + std::to_string(fd));
    return poll_awaiter(detail::current_scheduler("zring::poll"), fd, events, std::move(token));
}

}  // namespace zring
