#include <zring/zring.hpp>

#include <chrono>
#include <iostream>

int main() {
    zring::scheduler s;
    auto t = []() -> zring::task<int> {
        co_await zring::sleep_for(std::chrono::milliseconds(1));
        co_return 42;
    };
    std::cout << "zring consumer result " << s.run(t()) << "\n";
}
