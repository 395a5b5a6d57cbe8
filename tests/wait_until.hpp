#pragma once
// Waiting in a test for a state, not for a time: `co_await until(what, cond)`
// lets the loop run (timers, the kernel) until cond() holds, and fails
// naming `what` if it does not within 5 s.

#include <zring/io/timer.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

namespace zring_test {

template <class Condition>
zring::task<void> until(std::string what, Condition cond) {
    using namespace std::chrono_literals;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!cond()) {
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("zring_test::until: not within 5 s: " + what);
        co_await zring::sleep_for(100us);  // a loop turn, the kernel included
    }
}

}  // namespace zring_test
