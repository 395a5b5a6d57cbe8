// Drives an echo server (another program: asyncio's, zring's) over many
// TCP connections at once, each with a random size up to MAX_SIZE, and
// checks every byte that comes back.
//   tcp_echo_client HOST:PORT CONNECTIONS MAX_SIZE SEED
// Exit status 0 if all came back whole, 1 otherwise (saying which).
#include <zring/zring.hpp>

#include <cstddef>
#include <cstdint>
#include <iostream>
#include <random>
#include <span>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

zring::task<void> one(zring::scheduler& s, std::string address, std::size_t size, std::uint64_t seed, int& failures,
                      std::size_t& echoed) {
    std::string payload(size, '\0');
    std::mt19937_64 rng(seed);
    for (char& c : payload) c = static_cast<char>(rng());
    zring::tcp_stream stream = co_await zring::tcp_stream::connect(s, address, 10s);
    auto send = [&]() -> zring::task<void> {
        co_await stream.write(payload, 60s);
        stream.shutdown_write();
    };
    auto receive = [&]() -> zring::task<std::string> {
        std::string got;
        std::byte buffer[64 * 1024];
        for (;;) {
            const std::size_t n = co_await stream.read_some(buffer, 60s);
            if (n == 0) break;
            got.append(reinterpret_cast<const char*>(buffer), n);
        }
        co_return got;
    };
    auto [unused, got] = co_await zring::when_all(send(), receive());
    (void)unused;
    if (got != payload) {
        std::cerr << "connection with seed " << seed << ": sent " << size << " bytes, got " << got.size()
                  << " back, differing" << std::endl;
        ++failures;
    }
    echoed += got.size();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::cerr << "usage: tcp_echo_client HOST:PORT CONNECTIONS MAX_SIZE SEED" << std::endl;
        return 2;
    }
    const std::string address = argv[1];
    const int connections = std::stoi(argv[2]);
    const std::size_t max_size = std::stoul(argv[3]);
    const std::uint64_t seed = std::stoull(argv[4]);
    zring::scheduler s;
    int failures = 0;
    std::size_t echoed = 0;
    std::mt19937_64 sizes(seed);
    try {
        s.run(zring::with_task_group([&](zring::task_group& group) -> zring::task<void> {
            for (int i = 0; i < connections; ++i) {
                const std::size_t size = i == 0 ? 0 : i == connections - 1 ? max_size : sizes() % (max_size + 1);
                group.spawn(one(s, address, size, seed * 100'000 + static_cast<std::uint64_t>(i), failures, echoed));
            }
            co_return;
        }));
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << std::endl;
        return 1;
    }
    if (failures > 0) return 1;
    std::cout << "ok: " << connections << " connections, " << echoed << " bytes echoed" << std::endl;
    return 0;
}
