// A service on every core: a ROUTER frontend on one scheduler hands requests
// (through zring::proxy and a DEALER backend) to worker DEALERs, one per
// worker scheduler. Each worker offloads its CPU-heavy step to a thread pool,
// so its loop keeps serving its socket meanwhile. Client coroutines on the
// frontend's scheduler load it; the program prints requests per second and
// stops cleanly on Ctrl-C (or after --requests). --engine native runs it on
// zring's own ZMTP engine, over abstract ipc:// endpoints for inproc://.
#include "common/cli.hpp"
#include "common/engine.hpp"
#include "common/scheduler.hpp"
#include "common/until_signal.hpp"

#include <zring/zring.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <csignal>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

namespace {

const std::string frontend_name = "sharded-frontend";
const std::string backend_name = "sharded-backend";

// The CPU-heavy step: an FNV-1a digest of the request, iterated.
std::uint64_t digest(const std::string& request, std::int64_t rounds) {
    std::uint64_t h = 1469598103934665603ull;
    for (std::int64_t r = 0; r < rounds; ++r)
        for (unsigned char c : request) h = (h ^ c) * 1099511628211ull;
    return h;
}

struct counters {
    std::atomic<std::int64_t> replies{0};
    std::vector<std::atomic<std::int64_t>> per_worker;
    explicit counters(std::size_t workers) : per_worker(workers) {}
};

// A worker on its own scheduler: envelope in, digest out, envelope kept.
template <class Engine>
zring::task<void> worker(Engine& engine, std::size_t id, std::int64_t rounds, counters& count) {
    auto dealer = engine.make(*zring::scheduler::current(), zmq::socket_type::dealer);
    dealer.connect(Engine::local_endpoint(backend_name));
    for (;;) {
        auto msg = co_await dealer.recv_multipart();  // client id, "", request
        const std::string request = msg.back().to_string();
        const std::uint64_t d = co_await zring::offload([&] { return digest(request, rounds); });
        msg.back() = zmq::message_t(std::to_string(d));
        co_await dealer.send_multipart(std::move(msg));
        count.per_worker[id].fetch_add(1, std::memory_order_relaxed);
    }
}

// A client: one request at a time, each answered within 5 s or an error.
template <class Engine>
zring::task<void> client(Engine& engine, int id, std::int64_t requests, counters& count) {
    auto req = engine.make(*zring::scheduler::current(), zmq::socket_type::req);
    req.connect(Engine::local_endpoint(frontend_name));
    for (std::int64_t r = 0; requests == 0 || r < requests; ++r) {
        const std::string request = "client " + std::to_string(id) + " request " + std::to_string(r);
        co_await req.send(request);
        co_await req.recv(std::chrono::seconds(5));
        count.replies.fetch_add(1, std::memory_order_relaxed);
    }
}

zring::task<void> report(counters& count, std::chrono::milliseconds every) {
    auto last = count.replies.load();
    auto since = std::chrono::steady_clock::now();
    for (;;) {
        co_await zring::sleep_for(every);
        const auto now = std::chrono::steady_clock::now();
        const auto replies = count.replies.load();
        const double seconds = std::chrono::duration<double>(now - since).count();
        std::cout << "Requests/s: " << static_cast<std::int64_t>(static_cast<double>(replies - last) / seconds)
                  << std::endl;
        last = replies;
        since = now;
    }
}

// On pool.at(0): the frontend, the proxy, the clients and the report.
template <class Engine>
zring::task<void> serve(zring::scheduler_pool& pool, Engine& engine, int clients, std::int64_t requests,
                        std::int64_t rounds, std::chrono::milliseconds every, counters& count) {
    zring::scheduler& home = pool.at(0);
    auto frontend = engine.make(home, zmq::socket_type::router);
    auto backend = engine.make(home, zmq::socket_type::dealer);
    frontend.bind(Engine::local_endpoint(frontend_name));
    backend.bind(Engine::local_endpoint(backend_name));
    for (std::size_t w = 1; w < pool.size(); ++w) zring::spawn(pool.at(w), worker(engine, w - 1, rounds, count));

    auto load = [&]() -> zring::task<void> {
        std::vector<zring::task<void>> all;
        for (int c = 0; c < clients; ++c) {
            const std::int64_t share = requests / clients + (c < requests % clients ? 1 : 0);
            if (requests == 0 || share > 0) all.push_back(client(engine, c, requests == 0 ? 0 : share, count));
        }
        co_await zring::when_any(zring::when_all(std::move(all)), zring::proxy(frontend, backend), report(count, every));
    };
    co_await examples::until_signal(load());
}

}  // namespace

int main(int argc, char** argv) {
    examples::cli args(argc, argv, "sharded_workers [options]",
                       {{"workers", "worker schedulers, one thread each (default 2)"},
                        {"clients", "client coroutines (default 8)"},
                        {"requests", "requests in all, then exit (default 0: until Ctrl-C)"},
                        {"rounds", "digest rounds per request: the CPU-heavy step (default 200)"},
                        {"report-ms", "print requests per second this often (default 1000)"},
                        {"engine", examples::engine_help}});
    const auto workers = static_cast<std::size_t>(args.number("workers", 2));
    const int clients = static_cast<int>(args.number("clients", 8));
    const std::int64_t requests = args.number("requests", 0);
    const std::int64_t rounds = args.number("rounds", 200);
    const std::chrono::milliseconds every(args.number("report-ms", 1000));
    if (workers == 0) args.fail("--workers must be at least 1");
    if (clients == 0) args.fail("--clients must be at least 1");
    if (every.count() == 0) args.fail("--report-ms must be at least 1");

    // Before any thread starts (the pool's, ZeroMQ's, the offload pool's):
    // every thread inherits the mask, so only zring::signal sees them.
    zring::block_signals(SIGINT, SIGTERM);
    counters count(workers);
    const auto started = std::chrono::steady_clock::now();
    // The engine (libzmq's context) outlives the pool: the pool's teardown closes its sockets.
    const int status = examples::with_engine(args, [&](auto& engine) {
        try {
            const auto pool = examples::start_pool(args, workers + 1);
            pool->run(serve(*pool, engine, clients, requests, rounds, every, count));
        } catch (const std::exception& e) {  // e.g. a reply that timed out
            std::cerr << "error: " << e.what() << std::endl;
            return 1;
        }  // here every scheduler has stopped, its frames destroyed and sockets closed, its thread joined
        return 0;
    });
    if (status != 0) return status;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    for (std::size_t w = 0; w < workers; ++w)
        std::cout << "Worker " << w << " handled " << count.per_worker[w].load() << std::endl;
    std::cout << "Handled " << count.replies.load() << " requests in " << seconds << " s" << std::endl;
    return 0;
}
