#pragma once
// The publisher and subscriber coroutines shared by pubsub_publisher,
// pubsub_subscriber and pubsub_demo.

#include "until_signal.hpp"

#include <zring/zring.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>

namespace examples {

// Sends "updates <n>" every interval, count times (0: until cancelled).
template <class Socket>
zring::task<void> publish(Socket& pub, std::chrono::milliseconds interval, std::int64_t count) {
    for (std::int64_t n = 1; count == 0 || n <= count; ++n) {
        co_await zring::sleep_for(interval);
        const std::string update = "updates " + std::to_string(n);
        co_await pub.send(update);
        std::cout << "Sent: " << update << std::endl;
    }
}

// Prints every message until count were received (0: until cancelled).
template <class Socket>
zring::task<void> subscribe(Socket& sub, std::int64_t count) {
    for (std::int64_t n = 0; count == 0 || n < count; ++n) {
        auto message = co_await sub.recv();
        std::cout << "Received: " << message.to_string_view() << std::endl;
    }
}

}  // namespace examples
