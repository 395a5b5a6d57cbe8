#include <zring/zring.hpp>

// The backends are zring's business: users' code never sees io_uring.
#ifdef LIB_URING_H
#error "a public zring header includes <liburing.h>"
#endif

#include <chrono>
#include <iostream>

int main() {
    zring::scheduler s;
    auto t = []() -> zring::task<int> {
        co_await zring::sleep_for(std::chrono::milliseconds(1));
        co_return 42;
    };
    std::cout << "zring consumer result " << s.run(t()) << " on " << zring::to_string(s.backend()) << ", zring "
              << ZRING_VERSION_STRING << "\n";
}
