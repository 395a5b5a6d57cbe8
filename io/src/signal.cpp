#include <zring/coro/when_any.hpp>
#include <zring/io/poll.hpp>
#include <zring/io/signal.hpp>

#include "signal_hub.hpp"

#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <stdexcept>
#include <string>
#include <system_error>

namespace zring {

namespace {

sigset_t make_set(std::span<const int> signals, const char* operation) {
    if (signals.size() == 0) throw std::invalid_argument(std::string(operation) + ": no signals given");
    sigset_t set;
    sigemptyset(&set);
    for (int s : signals) {
        if (s == SIGKILL || s == SIGSTOP || sigaddset(&set, s) != 0)
            throw std::invalid_argument(std::string(operation) + ": cannot wait for signal " + std::to_string(s));
    }
    return set;
}

void block(const sigset_t& set, const char* operation) {
    if (const int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0)
        throw std::system_error(rc, std::system_category(), std::string(operation) + ": pthread_sigmask");
}

class fd_guard {
public:
    explicit fd_guard(int fd) noexcept : fd_(fd) {}
    ~fd_guard() { ::close(fd_); }
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    int get() const noexcept { return fd_; }

private:
    int fd_;
};

task<int> wait_for_signal(sigset_t set, std::stop_token token) {
    // Signals aimed at this thread arrive on its own signalfd; those aimed at
    // the process, mostly through the watch (signal_hub.hpp).
    const int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::system_category(), "zring::signal: signalfd");
    fd_guard guard(fd);
    detail::signal_interest interest(set);
    for (;;) {
        if (const int signo = interest.take()) co_return signo;
        signalfd_siginfo info;
        const ssize_t n = ::read(fd, &info, sizeof info);
        if (n == static_cast<ssize_t>(sizeof info)) {
            interest.took(static_cast<int>(info.ssi_signo));
            co_return static_cast<int>(info.ssi_signo);
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            throw std::system_error(errno, std::system_category(), "zring::signal: read");
        co_await when_any(poll(fd, POLLIN, token), poll(interest.wake_fd(), POLLIN, token));
    }
}

}  // namespace

namespace detail {

void block_signals(std::span<const int> signals) {
    const sigset_t set = make_set(signals, "zring::block_signals");
    block(set, "zring::block_signals");
    watch_signals(set);
}

task<int> signal(std::span<const int> signals, std::stop_token token) {
    const sigset_t set = make_set(signals, "zring::signal");
    block(set, "zring::signal");
    watch_signals(set);
    return wait_for_signal(set, std::move(token));
}

}  // namespace detail

}  // namespace zring
