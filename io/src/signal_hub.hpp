#pragma once
// The process's watch on the signals zring blocks, so that a process whose
// loop is stuck still ends on Ctrl-C.
//
// Blocked signals do not queue: a second SIGINT while the first is pending
// is lost, and a loop that never reads would ignore Ctrl-C for ever. So one
// thread (started by the first block_signals or signal call, and blocking
// every signal itself) reads the watched signals that reach the process and
// keeps each, untaken, until a zring::signal waiter takes it: it wakes every
// waiter for that signal (through the waiter's eventfd), and the first whose
// loop runs takes it. A SIGINT or SIGTERM that arrives while an earlier one
// is untaken (the same signal, or the other one while someone waits for it)
// ends the process with its default action, as a second Ctrl-C does in
// asyncio. Signals aimed at one thread (pthread_kill, raise) stay that
// thread's: its waiter reads them from its own signalfd.
//
// The watched signals are zring's for the life of the process: read them
// through zring::signal, not sigwaitinfo or a signalfd of one's own.

#include <signal.h>

namespace zring::detail {

// Watches set from now on (adding to what is watched). Call with set
// blocked in the calling thread.
void watch_signals(const sigset_t& set);

// A zring::signal waiter, registered for its lifetime: its eventfd becomes
// readable when the watch holds a signal of its set.
class signal_interest {
public:
    explicit signal_interest(const sigset_t& set);
    ~signal_interest();
    signal_interest(const signal_interest&) = delete;
    signal_interest& operator=(const signal_interest&) = delete;

    // A signal of the set the watch holds, now taken; 0 if none.
    int take() noexcept;
    // The waiter read signo from its own signalfd.
    void took(int signo) noexcept;

    const sigset_t& set() const noexcept { return set_; }
    int wake_fd() const noexcept { return wake_fd_; }

private:
    sigset_t set_;
    int wake_fd_;
};

}  // namespace zring::detail
