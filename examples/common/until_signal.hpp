#pragma once
// Graceful shutdown for the examples: run until done or SIGINT/SIGTERM.
// Block the signals (zring::block_signals) at the start of main, before any
// thread starts, so that only zring::signal sees them.

#include <zring/zring.hpp>

#include <csignal>
#include <iostream>
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

}  // namespace examples
