#pragma once
// The process's watch on the signals zring blocks, so that a process whose
// loop is stuck still ends on Ctrl-C.
//
// Blocked signals do not queue: a second SIGINT while the first is pending
// is lost, and a loop that never reads its signalfd would ignore Ctrl-C
// forever. So one thread (started with the first block_signals or signal
// call, blocking every signal itself) reads the blocked signals that reach
// the process first. It hands each to a thread waiting in zring::signal for
// it (re-sent to that thread, whose signalfd then reads it), or keeps it
// until one waits. A SIGINT or SIGTERM that arrives while another of the two
// is still untaken ends the process with its default action, as a second
// Ctrl-C does in asyncio.

#include <pthread.h>
#include <signal.h>

namespace zring::detail {

// Watches set from now on (adding to what is watched). Call with set
// blocked in the calling thread.
void watch_signals(const sigset_t& set);

// A thread waiting in zring::signal for the signals of `set`, registered
// for its lifetime. Signals the hub took for it are re-sent to its thread.
class signal_interest {
public:
    explicit signal_interest(const sigset_t& set);
    ~signal_interest();
    signal_interest(const signal_interest&) = delete;
    signal_interest& operator=(const signal_interest&) = delete;

    // The waiter read signo from its signalfd: it is handled.
    void took(int signo) noexcept;

    const sigset_t& set() const noexcept { return set_; }
    pthread_t thread() const noexcept { return thread_; }

private:
    sigset_t set_;
    pthread_t thread_;
};

}  // namespace zring::detail
