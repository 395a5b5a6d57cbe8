#pragma once
// Graceful shutdown for the examples, two ways: race the work against
// SIGINT/SIGTERM (until_signal), or stop the scheduler on a signal
// (stop_on_signal). Block the signals (zring::block_signals) at the start of
// main, before any thread starts, so that only zring::signal sees them.

#include <zring/zring.hpp>

#include <csignal>
#include <iostream>
#include <type_traits>
#include <utility>
#include <variant>

namespace examples {

// Runs work until it finishes or SIGINT/SIGTERM arrives; true if it finished.
template <class Work>
zring::task<bool> until_signal(Work work) {
    auto outcome = co_await zring::when_any(std::move(work), zring::signal(SIGINT, SIGTERM));
    if (outcome.index() == 1) {
        std::cerr << "Signal " << std::get<1>(outcome) << " received, shutting down" << std::endl;
        co_return false;
    }
    co_return true;
}

// The scheduler::stop() idiom, for a service that run(task) runs: a signal
// makes stop_on_signal call s.stop(), which requests stop on run's task. It
// unwinds through its cancellation points, releasing its sockets and timers,
// and run throws operation_cancelled.
inline zring::task<void> stop_on_signal(zring::scheduler& s) {
    const int signo = co_await zring::signal(SIGINT, SIGTERM);
    std::cerr << "Signal " << signo << " received, shutting down" << std::endl;
    s.stop();
}

// Runs service on s until it finishes (exit status: its result, or 0) or a
// signal stops it (if_stopped).
template <class T>
int run_until_stopped(zring::scheduler& s, zring::task<T> service, int if_stopped) {
    zring::spawn(s, stop_on_signal(s));
    try {
        if constexpr (std::is_void_v<T>) {
            s.run(std::move(service));
            return 0;
        } else {
            return s.run(std::move(service));
        }
    } catch (const zring::operation_cancelled&) {
        return if_stopped;
    }
}

}  // namespace examples
