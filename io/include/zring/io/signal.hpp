#pragma once
// Await POSIX signals (signalfd), for graceful shutdown.
//
//     int sig = co_await zring::signal({SIGINT, SIGTERM});
//
// A signal is delivered to one thread that does not block it; signalfd sees
// it only if every thread blocks it. Call block_signals() at the start of
// main, before any thread (including a ZeroMQ context's) is created.

#include <zring/coro/task.hpp>

#include <initializer_list>
#include <stop_token>

namespace zring {

// Blocks the signals in the calling thread (threads created later inherit it).
// Throws std::invalid_argument for a number that is not a signal.
void block_signals(std::initializer_list<int> signals);

// Blocks the signals in the calling thread at once, then waits on the running
// scheduler until one is pending and returns its number. The signals stay
// blocked, so a second one waits for the next call instead of killing the
// process.
[[nodiscard]] task<int> signal(std::initializer_list<int> signals, std::stop_token token = {});

}  // namespace zring
