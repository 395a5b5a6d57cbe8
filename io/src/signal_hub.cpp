#include "signal_hub.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace zring::detail {

namespace {

// The signals a second delivery of which ends a process that has not taken the first.
bool ends_process_when_repeated(int signo) noexcept { return signo == SIGINT || signo == SIGTERM; }

class signal_hub {
public:
    static signal_hub& instance() {
        // Started once, never destroyed: its thread runs until the process ends.
        static signal_hub* hub = new signal_hub;
        return *hub;
    }

    void watch(const sigset_t& set) {
        std::lock_guard lock(mutex_);
        sigorset(&watched_, &watched_, &set);
        if (::signalfd(signal_fd_, &watched_, 0) < 0) report("signalfd");
        const std::uint64_t one = 1;
        (void)::write(changed_fd_, &one, sizeof one);  // the hub rereads with the new set
    }

    void add(signal_interest* w) {
        std::lock_guard lock(mutex_);
        interests_.push_back(w);
        // What arrived while nobody waited goes to the first who does.
        for (int signo = 1; signo < NSIG; ++signo)
            if (untaken_[signo] && sigismember(&w->set(), signo) == 1) ::pthread_kill(w->thread(), signo);
    }
    void remove(signal_interest* w) noexcept {
        std::lock_guard lock(mutex_);
        std::erase(interests_, w);
    }
    void took(int signo) noexcept {
        std::lock_guard lock(mutex_);
        if (signo > 0 && signo < NSIG) untaken_[signo] = false;
    }

private:
    signal_hub() {
        sigemptyset(&watched_);
        signal_fd_ = ::signalfd(-1, &watched_, SFD_CLOEXEC);
        changed_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (signal_fd_ < 0 || changed_fd_ < 0) report("signalfd/eventfd");
        // The thread blocks every signal: none is delivered to it with its
        // default action, and it sees the watched ones only through its fd.
        sigset_t all, old;
        sigfillset(&all);
        ::pthread_sigmask(SIG_BLOCK, &all, &old);
        std::thread([this] { run(); }).detach();
        ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }

    void run() {
        for (;;) {
            std::array<pollfd, 2> fds{{{signal_fd_, POLLIN, 0}, {changed_fd_, POLLIN, 0}}};
            if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return report("poll");
            if (fds[1].revents) {
                std::uint64_t n;
                (void)::read(changed_fd_, &n, sizeof n);
            }
            signalfd_siginfo info;
            while (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info))
                arrived(static_cast<int>(info.ssi_signo));
        }
    }

    void arrived(int signo) {
        std::lock_guard lock(mutex_);
        if (ends_process_when_repeated(signo)) {
            // The same signal again, or the other of the two, which a waiter
            // asked for and has not taken (a SIGTERM that nobody waits for
            // does not make the next SIGINT fatal).
            const int other = signo == SIGINT ? SIGTERM : SIGINT;
            if (untaken_[signo] || (untaken_[other] && awaited(other))) end_process(signo);
        }
        untaken_[signo] = true;
        for (signal_interest* w : interests_) {
            if (sigismember(&w->set(), signo) == 1) {
                ::pthread_kill(w->thread(), signo);  // pending there, for its signalfd
                return;
            }
        }
    }

    bool awaited(int signo) const noexcept {
        for (const signal_interest* w : interests_)
            if (sigismember(&w->set(), signo) == 1) return true;
        return false;
    }

    [[noreturn]] static void end_process(int signo) {
        std::fprintf(stderr, "zring: %s while an earlier one is unhandled (the loop is stuck?): ending the process\n",
                     ::strsignal(signo));
        ::signal(signo, SIG_DFL);
        sigset_t only;
        sigemptyset(&only);
        sigaddset(&only, signo);
        ::pthread_kill(::pthread_self(), signo);
        ::pthread_sigmask(SIG_UNBLOCK, &only, nullptr);  // delivered here, now: the default action
        ::_exit(128 + signo);                            // a handler was installed meanwhile
    }

    static void report(const char* call) {
        std::fprintf(stderr, "zring: the signal watch failed (%s: %s); a stuck loop will not end on a second Ctrl-C\n",
                     call, std::strerror(errno));
    }

    std::mutex mutex_;
    sigset_t watched_;
    int signal_fd_ = -1;
    int changed_fd_ = -1;
    bool untaken_[NSIG] = {};
    std::vector<signal_interest*> interests_;
};

}  // namespace

void watch_signals(const sigset_t& set) { signal_hub::instance().watch(set); }

signal_interest::signal_interest(const sigset_t& set) : set_(set), thread_(::pthread_self()) {
    signal_hub::instance().add(this);
}
signal_interest::~signal_interest() { signal_hub::instance().remove(this); }
void signal_interest::took(int signo) noexcept { signal_hub::instance().took(signo); }

}  // namespace zring::detail
