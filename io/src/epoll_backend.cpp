// The epoll backend, for where io_uring is refused.
//
// epoll allows one registration per fd, while a scheduler may have several
// watches on one (a reader and a writer, a socket and a user's poll): each
// fd has an entry listing its watches, registered with the union of their
// events. Registrations are edge-triggered, which is what a multishot watch
// means (a completion at each wake-up of the fd, as io_uring's multishot
// poll posts one); a one-shot watch still sees an fd that is ready when it
// is armed, since EPOLL_CTL_ADD and EPOLL_CTL_MOD check readiness at once.
// epoll re-checks an fd's readiness when it reports it, as io_uring checks a
// poll when it completes it: a wake-up consumed in between reports nothing
// on either backend, so the socket layer's re-checks cover both.
//
// A data operation (accept, connect, send, receive) is a watch for the
// readiness its call needs; at each readiness the call is made with
// MSG_DONTWAIT, and the operation completes unless it would still block.
// Its fd stays registered when the operation ends, until forget(): the
// next operation, whose call just returned EAGAIN, then needs no
// epoll_ctl (an fd that blocks reports its next edge). That is two system
// calls fewer for every read or write that waits, as Asio registers a
// socket once. A multishot accept takes up to accept_batch connections at
// each readiness.

#include "io_backend.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <limits>
#include <new>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace zring::detail {

namespace {

// epoll_event.data of the scheduler's own fds; a watched fd's data is its
// entry's generation and the fd (generation < 2^32 - 2).
constexpr std::uint64_t wake_tag = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t timer_tag = wake_tag - 1;

// Events a poll reports whether asked for or not.
constexpr unsigned always_reported = POLLERR | POLLHUP;

constexpr int accept_batch = 16;

class epoll_backend final : public io_backend {
public:
    epoll_backend(unsigned depth, int wake_fd, const std::string& error_context) : wake_fd_(wake_fd), ready_(depth) {
        epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (epoll_fd_ < 0) throw std::system_error(errno, std::system_category(), error_context + "epoll_create1");
        // Edge-triggered: every write to an eventfd is an edge, readable or
        // not, so the counter need never be read back (a system call per
        // wake-up saved); it cannot reach its limit in 2^64 wake-ups.
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLET;
        ev.data.u64 = wake_tag;
        if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
            const int error = errno;
            ::close(epoll_fd_);
            throw std::system_error(error, std::system_category(), error_context + "epoll_ctl(eventfd)");
        }
    }
    ~epoll_backend() override {
        if (timer_fd_ >= 0) ::close(timer_fd_);
        ::close(epoll_fd_);
    }

    zring::backend kind() const noexcept override { return zring::backend::epoll; }

    bool start(io_operation* op) noexcept override {
        try {
            // Room for every completion the watch can queue before delivery:
            // cancel() and event handling then never allocate.
            if (const std::size_t need = completed_.size() + 2 * (operations_ + 1); completed_.capacity() < need)
                completed_.reserve(std::max(need, 2 * completed_.capacity()));
            if (op->fd >= 0 && static_cast<std::size_t>(op->fd) >= entries_.size()) entries_.resize(op->fd + 1);
        } catch (const std::bad_alloc&) {
            return false;
        }
        ++operations_;
        if (op->fd < 0) {
            complete(op, -EBADF, false);
            return true;
        }
        if (op->kind != io_kind::poll) {
            // A data operation waits for the readiness its call needs, then
            // makes the call; a connect is started first.
            op->events = takes_input(op->kind) ? POLLIN : POLLOUT;
            if (op->kind == io_kind::connect) {
                if (::connect(op->fd, op->address, op->address_length) == 0) {
                    complete(op, 0, false);
                    return true;
                }
                if (errno != EINPROGRESS && errno != EINTR) {
                    complete(op, -errno, false);
                    return true;
                }
            }
        }
        fd_entry& entry = entries_[op->fd];
        entry.watches.push_back(op);
        if (op->kind != io_kind::poll) entry.kept = true;
        // The call just said EAGAIN, and the fd's registration has its events.
        if (op->would_block && entry.registered && (op->events & ~entry.events) == 0) return true;
        if (const int error = update(op->fd, true); error != 0) {
            detach(op);
            // A regular file cannot be polled by epoll; poll(2) and io_uring
            // report it always ready.
            if (error == EPERM && op->kind != io_kind::poll)
                complete(op, try_call(*op), false);  // never blocks, nor fails with EAGAIN
            else if (error == EPERM && !op->multishot)
                complete(op, static_cast<int>(op->events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)), false);
            else
                complete(op, -error, false);
        }
        return true;
    }

    void cancel(io_operation* op) noexcept override {
        op->cancel_requested = true;
        if (!op->linked()) return;  // its final completion is queued already
        detach(op);
        complete(op, -ECANCELED, false);
    }

    void wait(bool block, const clock::time_point* deadline) override {
        if (!completed_.empty()) block = false;  // deliver those first
        const int n = wait_for_events(block, deadline);
        if (n < 0 && errno != EINTR)
            throw std::system_error(errno, std::system_category(), "zring::scheduler: epoll_wait");
        for (int i = 0; i < n; ++i) dispatch(ready_[i]);
        deliver();
    }

    bool drain(clock::duration) noexcept override {
        // Nothing is in the kernel's hands: every watch ends at once. A
        // handler may watch again; a few rounds end what it starts.
        for (int round = 0; round < 4 && operations_ > 0; ++round) {
            for (fd_entry& entry : entries_)
                while (io_operation* op = entry.watches.front()) cancel(op);
            deliver();
        }
        if (operations_ > 0)
            std::fprintf(stderr, "zring::scheduler: shutdown gave up on %zu watch(es) re-armed while draining\n",
                         operations_);
        return operations_ == 0;
    }

    std::size_t operations() const noexcept override { return operations_; }

    void forget(int fd) noexcept override {
        if (fd < 0 || static_cast<std::size_t>(fd) >= entries_.size()) return;
        fd_entry& entry = entries_[fd];
        // Closing the fd ends its registration; events of a duplicate left
        // open carry this generation, which no later registration has. A
        // watch still on it (a user's poll) never fires again, and the next
        // registration of the number, new or not, goes through epoll_ctl.
        entry.kept = entry.registered = false;
        entry.events = 0;
    }

private:
    struct fd_entry {
        intrusive_list<io_operation> watches;
        unsigned events = 0;           // registered
        std::uint32_t generation = 0;  // tells a stale event from a reused fd's
        bool registered = false;
        bool kept = false;  // a data operation's: stays registered without watches, until forget()
    };
    struct completion {
        io_operation* op;
        int result;
        bool more;
    };

    // Takes op off its fd's watches, and the fd's registration along.
    void detach(io_operation* op) noexcept {
        entries_[op->fd].watches.erase(op);
        update(op->fd, false);
    }

    // Registers fd with its watches' events (unregisters it if none).
    // `arming`: a watch was just added, so readiness must be checked now
    // even if the events did not change. Returns 0 or an errno.
    int update(int fd, bool arming) noexcept {
        fd_entry& entry = entries_[fd];
        unsigned events = 0;
        for (auto* op = entry.watches.front(); op; op = entry.watches.next(op)) events |= op->events;
        if (entry.watches.empty()) {
            if (entry.kept) return 0;
            if (entry.registered) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);  // fails if fd was closed: fine
            entry.registered = false;
            return 0;
        }
        if (entry.registered && !arming && events == entry.events) return 0;
        epoll_event ev{};
        ev.events = events | EPOLLET;
        // Each new registration gets a new generation.
        const auto add = [&] {
            entry.generation = ++generation_ % (std::numeric_limits<std::uint32_t>::max() - 2);
            ev.data.u64 = (std::uint64_t{entry.generation} << 32) | static_cast<std::uint32_t>(fd);
            return ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
        };
        ev.data.u64 = (std::uint64_t{entry.generation} << 32) | static_cast<std::uint32_t>(fd);
        int rc = entry.registered ? ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) : add();
        // The fd was closed and its number reused (ENOENT), or another
        // registration of the same open file is left over (EEXIST).
        if (rc != 0 && errno == ENOENT) rc = add();
        if (rc != 0 && errno == EEXIST) rc = ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
        if (rc != 0) {
            const int error = errno;
            entry.registered = false;
            return error;
        }
        entry.registered = true;
        entry.events = events;
        return 0;
    }

    int wait_for_events(bool block, const clock::time_point* deadline) {
        const int capacity = static_cast<int>(ready_.size());
        if (!block) return ::epoll_wait(epoll_fd_, ready_.data(), capacity, 0);
        if (!deadline) return ::epoll_wait(epoll_fd_, ready_.data(), capacity, -1);
#ifdef __NR_epoll_pwait2
        if (use_pwait2_) {
            const auto left = std::max(*deadline - clock::now(), clock::duration::zero());
            const auto timeout = to_timespec<timespec>(std::chrono::duration_cast<std::chrono::nanoseconds>(left) +
                                                       std::chrono::nanoseconds(1));
            const long rc = ::syscall(__NR_epoll_pwait2, epoll_fd_, ready_.data(), capacity, &timeout, nullptr, 0);
            if (rc >= 0 || (errno != ENOSYS && errno != EPERM && errno != EACCES)) return static_cast<int>(rc);
            use_pwait2_ = false;  // before Linux 5.11, or refused by a seccomp profile
        }
#endif
        arm_timer(*deadline);
        return ::epoll_wait(epoll_fd_, ready_.data(), capacity, -1);
    }

    // The nanosecond wait without epoll_pwait2: a timerfd in the epoll set,
    // armed for the deadline (steady_clock is CLOCK_MONOTONIC).
    void arm_timer(clock::time_point deadline) {
        if (timer_fd_ < 0) {
            timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
            if (timer_fd_ < 0)
                throw std::system_error(errno, std::system_category(), "zring::scheduler: timerfd_create");
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u64 = timer_tag;
            if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, timer_fd_, &ev) != 0) {
                const int error = errno;
                ::close(std::exchange(timer_fd_, -1));
                throw std::system_error(error, std::system_category(), "zring::scheduler: epoll_ctl(timerfd)");
            }
        }
        itimerspec spec{};
        spec.it_value =
            to_timespec<timespec>(std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()));
        if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;  // 0 would disarm
        if (::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr) != 0)
            throw std::system_error(errno, std::system_category(), "zring::scheduler: timerfd_settime");
    }

    void dispatch(const epoll_event& ev) noexcept {
        if (ev.data.u64 == wake_tag) return;  // the loop looks at its posts next turn
        if (ev.data.u64 == timer_tag) {
            std::uint64_t count;
            [[maybe_unused]] ssize_t n = ::read(timer_fd_, &count, sizeof count);
            return;
        }
        const auto fd = static_cast<std::uint32_t>(ev.data.u64);
        const auto generation = static_cast<std::uint32_t>(ev.data.u64 >> 32);
        if (fd >= entries_.size()) return;
        fd_entry& entry = entries_[fd];
        if (!entry.registered || entry.generation != generation) return;  // from a registration since removed
        bool finished_one = false;
        bool rearm = false;
        for (auto* op = entry.watches.front(); op;) {
            auto* next = entry.watches.next(op);
            const unsigned match = ev.events & (op->events | always_reported);
            if (match == 0) {
                op = next;
                continue;
            }
            if (op->kind == io_kind::poll) {
                if (!op->multishot) {
                    entry.watches.erase(op);
                    finished_one = true;
                }
                complete(op, static_cast<int>(match), op->multishot);
            } else if (op->multishot) {
                // Accepts until the backlog is empty (the edge is used up),
                // or up to a batch, while room for completions lasts.
                int result = try_call(*op);
                for (int n = 1; result >= 0; ++n) {
                    complete(op, result, true);
                    if (n == accept_batch || completed_.capacity() - completed_.size() <= 2 * operations_ + 2) {
                        rearm = true;  // more may wait: epoll_ctl checks
                        break;
                    }
                    result = try_call(*op);
                }
                if (result < 0 && result != -EAGAIN) {
                    entry.watches.erase(op);
                    finished_one = true;
                    complete(op, result, false);
                }
            } else if (const int result = try_call(*op); result != -EAGAIN) {
                entry.watches.erase(op);
                finished_one = true;
                complete(op, result, false);
            }
            op = next;
        }
        if (finished_one || rearm) update(static_cast<int>(fd), rearm);
    }


    void complete(io_operation* op, int result, bool more) noexcept {
        completed_.push_back({op, result, more});  // reserved by watch()
    }

    // Handlers may watch, cancel and complete more: the queue is read by
    // index, and what they add is delivered in this same call.
    void deliver() noexcept {
        for (std::size_t i = 0; i < completed_.size(); ++i) {
            const completion c = completed_[i];
            if (!c.more) {
                --operations_;
                c.op->cancel_requested = false;
            }
            c.op->on_complete(c.op, c.result, c.more);
        }
        completed_.clear();
    }

    int epoll_fd_ = -1;
    int wake_fd_;
    int timer_fd_ = -1;
    bool use_pwait2_ = true;
    std::uint32_t generation_ = 0;
    std::size_t operations_ = 0;
    std::vector<fd_entry> entries_;  // by fd
    std::vector<epoll_event> ready_;
    std::vector<completion> completed_;
};

}  // namespace

std::unique_ptr<io_backend> make_epoll_backend(unsigned queue_depth, int wake_fd, const std::string& error_context) {
    return std::make_unique<epoll_backend>(queue_depth, wake_fd, error_context);
}

}  // namespace zring::detail
