#pragma once
// Await POSIX signals (signalfd), for graceful shutdown.
//
//     int sig = co_await zring::signal(SIGINT, SIGTERM);
//
// A signal is delivered to one thread that does not block it; signalfd sees
// it only if every thread blocks it. Call block_signals() at the start of
// main, before any thread (including a ZeroMQ context's) is created.
//
// Blocked, a signal waits for a coroutine to take it, and a loop that never
// gets there would ignore Ctrl-C for ever. So zring watches the signals it
// blocks from a thread of its own: a SIGINT or SIGTERM that arrives while an
// earlier one is still untaken (the same signal, or the other one while a
// coroutine waits for it) ends the process with the signal's default action,
// as a second Ctrl-C does in asyncio.

#include <zring/coro/task.hpp>

#include <array>
#include <concepts>
#include <span>
#include <stop_token>

namespace zring {

namespace detail {
void block_signals(std::span<const int> signals);
task<int> signal(std::span<const int> signals, std::stop_token token);
}  // namespace detail

// Blocks the signals in the calling thread (threads created later inherit
// the mask). Throws std::invalid_argument for a number that is not a signal.
template <std::same_as<int>... Signals>
void block_signals(Signals... signals) {
    const std::array<int, sizeof...(Signals)> list{signals...};
    detail::block_signals(list);
}

// Blocks the signals in the calling thread at once, then waits on the running
// scheduler until one is pending and returns its number. The signals stay
// blocked: one that arrives after this call took its predecessor waits for
// the next call (a second SIGINT before that ends the process, above).
// Cancelled through the explicit token or the ambient one.
template <std::same_as<int>... Signals>
[[nodiscard]] task<int> signal(std::stop_token token, Signals... signals) {
    const std::array<int, sizeof...(Signals)> list{signals...};
    return detail::signal(list, std::move(token));
}
template <std::same_as<int>... Signals>
[[nodiscard]] task<int> signal(Signals... signals) {
    return signal(std::stop_token{}, signals...);
}

}  // namespace zring
