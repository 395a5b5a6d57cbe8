#include "watchdog.hpp"

#include <unistd.h>

#include <iostream>
#include <mutex>
#include <thread>

namespace bench::watchdog {

namespace {
std::mutex mutex;
std::string current = "start-up";
std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now();
}  // namespace

void note(const std::string& what) {
    std::lock_guard lock(mutex);
    current = what;
    since = std::chrono::steady_clock::now();
}

void start(std::chrono::seconds limit) {
    std::thread([limit] {
        for (;;) {
            std::this_thread::sleep_for(std::chrono::seconds(1));
            std::lock_guard lock(mutex);
            if (std::chrono::steady_clock::now() - since > limit) {
                std::cerr << "zring-bench: no progress for " << limit.count() << " s in " << current
                          << "; a message was lost or a peer is stuck. Aborting." << std::endl;
                ::_exit(3);
            }
        }
    }).detach();
}

}  // namespace bench::watchdog
