#include "signal_hub.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace zring::detail {

namespace {

// The signals a second delivery of which ends a process that has not taken the first.
bool ends_process_when_repeated(int signo) noexcept { return signo == SIGINT || signo == SIGTERM; }
// A repeat sooner than this after the first is the same request twice.
constexpr auto repeat_grace = std::chrono::milliseconds(250);

void notify(int fd) noexcept {
    const std::uint64_t one = 1;
    (void)::write(fd, &one, sizeof one);
}

class signal_hub {
public:
    static signal_hub& instance();

    // The thread applies a widened set itself (its fd is its own), at once;
    // a set watched already changes nothing (each signal() call passes here).
    void watch(const sigset_t& set) {
        std::lock_guard lock(mutex_);
        bool widened = false;
        for (int signo = 1; signo < NSIG; ++signo)
            widened = widened || (sigismember(&set, signo) == 1 && sigismember(&watched_, signo) != 1);
        if (!widened) return;
        sigorset(&watched_, &watched_, &set);
        notify(changed_fd_);
    }
    void add(signal_interest* w) {
        std::lock_guard lock(mutex_);
        interests_.push_back(w);
    }
    void remove(signal_interest* w) noexcept {
        std::lock_guard lock(mutex_);
        std::erase(interests_, w);
    }
    int take(const sigset_t& set) noexcept {
        std::lock_guard lock(mutex_);
        for (int signo = 1; signo < NSIG; ++signo) {
            if (untaken_[signo] && sigismember(&set, signo) == 1) {
                untaken_[signo] = false;
                return signo;
            }
        }
        return 0;
    }
    void took(int signo) noexcept {
        std::lock_guard lock(mutex_);
        if (signo > 0 && signo < NSIG) untaken_[signo] = false;
    }

    signal_hub() {
        sigemptyset(&watched_);
        signal_fd_ = ::signalfd(-1, &watched_, SFD_CLOEXEC | SFD_NONBLOCK);
        if (signal_fd_ < 0) throw std::system_error(errno, std::system_category(), "zring::signal: signalfd (the watch)");
        changed_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (changed_fd_ < 0) {
            const int error = errno;
            ::close(signal_fd_);
            throw std::system_error(error, std::system_category(), "zring::signal: eventfd (the watch)");
        }
        // The thread blocks every signal: none is delivered to it with its
        // default action, and it sees the watched ones only through its fd.
        struct mask_guard {
            sigset_t old;
            mask_guard() {
                sigset_t all;
                sigfillset(&all);
                ::pthread_sigmask(SIG_BLOCK, &all, &old);
            }
            ~mask_guard() { ::pthread_sigmask(SIG_SETMASK, &old, nullptr); }
        } blocked_while_starting;
        std::thread([this] { run(); }).detach();
    }

private:
    void run() {
        for (;;) {
            std::array<pollfd, 2> fds{{{signal_fd_, POLLIN, 0}, {changed_fd_, POLLIN, 0}}};
            if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return;
            if (fds[1].revents) {
                std::uint64_t n;
                (void)::read(changed_fd_, &n, sizeof n);
                std::lock_guard lock(mutex_);
                if (::signalfd(signal_fd_, &watched_, 0) < 0) {
                    const std::string message = std::string("zring: the signal watch cannot watch more signals (") +
                                                std::strerror(errno) + "): a stuck loop may ignore Ctrl-C\n";
                    (void)::write(STDERR_FILENO, message.data(), message.size());
                }
            }
            signalfd_siginfo info;
            while (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info))
                arrived(static_cast<int>(info.ssi_signo));
        }
    }

    void arrived(int signo) {
        std::lock_guard lock(mutex_);
        if (signo <= 0 || signo >= NSIG) return;
        if (ends_process_when_repeated(signo)) {
            // The same signal again, or the other of the two, which a waiter
            // asked for and has not taken (a SIGTERM that nobody waits for
            // does not make the next SIGINT fatal).
            const int other = signo == SIGINT ? SIGTERM : SIGINT;
            const auto now = std::chrono::steady_clock::now();
            if (waited_out(signo, now) || (waited_out(other, now) && awaited(other))) end_process(signo);
        }
        if (!untaken_[signo]) since_[signo] = std::chrono::steady_clock::now();
        untaken_[signo] = true;
        for (signal_interest* w : interests_)
            if (sigismember(&w->set(), signo) == 1) notify(w->wake_fd());
    }

    // Untaken for longer than a repeat_grace: a repeat now is someone
    // asking again, not one sender's duplicate (timeout(1) and some
    // supervisors signal the process and then its group, microseconds apart).
    bool waited_out(int signo, std::chrono::steady_clock::time_point now) const noexcept {
        return untaken_[signo] && now - since_[signo] >= repeat_grace;
    }

    bool awaited(int signo) const noexcept {
        for (const signal_interest* w : interests_)
            if (sigismember(&w->set(), signo) == 1) return true;
        return false;
    }

    // The message goes out from a thread of its own, and the process ends
    // within a moment whether or not it could: stderr may be what is stuck
    // (a full pipe, a paused terminal).
    [[noreturn]] static void end_process(int signo) {
        auto said = std::make_shared<std::pair<std::mutex, std::condition_variable>>();
        auto done = std::make_shared<bool>(false);
        const std::string message = std::string("zring: ") + ::strsignal(signo) +
                                    " while an earlier one is unhandled (is the loop stuck?): ending the process\n";
        std::thread([said, done, message] {
            (void)::write(STDERR_FILENO, message.data(), message.size());
            std::lock_guard lock(said->first);
            *done = true;
            said->second.notify_all();
        }).detach();
        {
            std::unique_lock lock(said->first);
            said->second.wait_for(lock, std::chrono::milliseconds(200), [&] { return *done; });
        }
        ::signal(signo, SIG_DFL);
        sigset_t only;
        sigemptyset(&only);
        sigaddset(&only, signo);
        ::pthread_kill(::pthread_self(), signo);
        ::pthread_sigmask(SIG_UNBLOCK, &only, nullptr);  // delivered here, now: the default action
        ::_exit(128 + signo);                            // a handler was installed meanwhile
    }

    std::mutex mutex_;
    sigset_t watched_;
    int signal_fd_ = -1;
    int changed_fd_ = -1;
    bool untaken_[NSIG] = {};
    std::chrono::steady_clock::time_point since_[NSIG] = {};  // when each became untaken
    std::vector<signal_interest*> interests_;
};

// The process's hub. A child made by fork() has no watch thread: it starts
// its own, the parent's (whose lock may have been held) left unused.
std::mutex hub_creation;
signal_hub* hub = nullptr;

signal_hub& signal_hub::instance() {
    static const int registered = ::pthread_atfork([] { hub_creation.lock(); }, [] { hub_creation.unlock(); },
                                                   [] {
                                                       hub = nullptr;
                                                       hub_creation.unlock();
                                                   });
    (void)registered;
    std::lock_guard lock(hub_creation);
    if (!hub) hub = new signal_hub;  // never destroyed: its thread runs until the process ends
    return *hub;
}

}  // namespace

void watch_signals(const sigset_t& set) { signal_hub::instance().watch(set); }

signal_interest::signal_interest(const sigset_t& set) : set_(set), wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (wake_fd_ < 0) throw std::system_error(errno, std::system_category(), "zring::signal: eventfd");
    signal_hub::instance().add(this);
}
signal_interest::~signal_interest() {
    signal_hub::instance().remove(this);
    ::close(wake_fd_);
}
int signal_interest::take() noexcept {
    std::uint64_t n;
    (void)::read(wake_fd_, &n, sizeof n);
    return signal_hub::instance().take(set_);
}
void signal_interest::took(int signo) noexcept { signal_hub::instance().took(signo); }

}  // namespace zring::detail
