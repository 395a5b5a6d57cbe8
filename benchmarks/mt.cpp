// mt: zring on several cores.
//   scaling  one PUSH sender fans out over inproc to N PULL receivers, one per
//            thread, each doing a fixed CPU step per message (about 2 us of
//            hashing), so the receivers are the bottleneck: aggregate msgs/s
//            for N = 1 .. cores. raw: a blocking thread per socket; zring: a
//            scheduler_pool of N; asio: an io_context per thread (drain loop).
//   hop      resume_on ping-pong between two schedulers of a pool: time per
//            hop, with MSG_RING wake-ups and with the eventfd; asio: a
//            callback posted back and forth between two io_contexts.
//   offload  offload() of an empty callable and back; asio: co_spawn on an
//            asio::thread_pool, awaited from an io_context.
#include "bench.hpp"
#include "receivers.hpp"

#include <atomic>
#include <cstdint>
#include <latch>
#include <memory>
#include <stop_token>
#include <thread>

#if ZRING_BENCH_HAVE_ASIO
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/thread_pool.hpp>
#endif

namespace bench {

namespace {

// The receivers' CPU step: rounds of FNV-1a over the message.
std::uint64_t cpu_step(const zmq::message_t& m, int rounds) {
    std::uint64_t h = 1469598103934665603ull;
    const auto* p = static_cast<const unsigned char*>(m.data());
    const std::size_t size = m.size();  // libzmq calls, out of the loop: the step is pure arithmetic
    for (int r = 0; r < rounds; ++r)
        for (std::size_t i = 0; i < size; ++i) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

// Rounds that take about `target` on this machine (the median of a few tries).
int calibrate_rounds(std::chrono::nanoseconds target) {
    const zmq::message_t m(std::string(16, 'x'));
    constexpr int probe_rounds = 10'000;
    std::vector<double> ns;
    volatile std::uint64_t sink = 0;
    for (int i = 0; i < 5; ++i) {
        const auto start = clock::now();
        sink = sink + cpu_step(m, probe_rounds);
        ns.push_back(seconds_between(start, clock::now()) * 1e9);
    }
    const double per_round = summarize(ns).median / probe_rounds;
    return std::max(1, static_cast<int>(static_cast<double>(target.count()) / per_round));
}

// What every receiver variant shares: the total count and when it was reached.
struct fan_out {
    std::int64_t total;
    int rounds;
    std::atomic<std::int64_t> received{0};
    std::atomic<std::uint64_t> digest{0};  // keeps the step from being optimised away
    clock::time_point finished{};

    // After each message; true if it was the last of all.
    bool count(const zmq::message_t& m) {
        digest.fetch_xor(cpu_step(m, rounds), std::memory_order_relaxed);
        if (received.fetch_add(1, std::memory_order_relaxed) + 1 != total) return false;
        finished = clock::now();
        return true;
    }
};

// The sender: waits until every receiver is connected, then sends; returns when it started.
clock::time_point send_all(zmq::socket_t& push, std::latch& receivers_ready, std::int64_t total) {
    receivers_ready.wait();
    const auto start = clock::now();
    const char payload[16] = {};
    for (std::int64_t i = 0; i < total; ++i) (void)push.send(zmq::buffer(payload), zmq::send_flags::none);
    return start;
}

// One scaling measurement: aggregate msgs/s of n receivers.
double scaling(const std::string& variant, int n, std::int64_t total, int rounds) {
    zmq::context_t context;
    zmq::socket_t push(context, zmq::socket_type::push);
    const std::string endpoint = fresh_endpoint("inproc");
    push.bind(endpoint);
    fan_out f{total, rounds, {0}, {0}, {}};
    std::latch ready(n);
    clock::time_point start;
    if (variant == "raw") {
        std::vector<std::thread> threads;
        for (int i = 0; i < n; ++i)
            threads.emplace_back([&] {
                zmq::socket_t pull(context, zmq::socket_type::pull);
                pull.connect(endpoint);
                ready.count_down();
                zmq::message_t m;
                try {
                    while (pull.recv(m))
                        if (f.count(m)) context.shutdown();  // the others leave recv with ETERM
                } catch (const zmq::error_t& e) {
                    if (e.num() != ETERM) throw;
                }
            });
        start = send_all(push, ready, total);
        for (auto& t : threads) t.join();
    } else if (is_zring(variant)) {
        zring::scheduler_pool pool(static_cast<std::size_t>(n), scheduler_options_for(variant));
        std::stop_source done;
        std::latch finished(n);
        auto receiver = [](zmq::context_t& ctx, const std::string& ep, std::latch& ready, std::latch& finished,
                           fan_out& f, std::stop_source& done) -> zring::task<void> {
            zring::socket pull(*zring::scheduler::current(), ctx, zmq::socket_type::pull);
            pull.connect(ep);
            ready.count_down();
            zmq::message_t m;
            try {
                for (;;) {
                    co_await pull.recv(m, done.get_token());
                    if (f.count(m)) done.request_stop();  // cancels the other receivers' recv
                }
            } catch (const zring::operation_cancelled&) {
            }
            finished.count_down();
        };
        for (int i = 0; i < n; ++i)
            zring::spawn(pool.at(static_cast<std::size_t>(i)), receiver(context, endpoint, ready, finished, f, done));
        start = send_all(push, ready, total);
        finished.wait();
    }
#if ZRING_BENCH_HAVE_ASIO
    else {
        namespace asio = detail::asio;
        std::vector<std::unique_ptr<asio::io_context>> ios;
        std::vector<zmq::socket_t> pulls;
        std::vector<std::unique_ptr<detail::borrowed_fd>> fds;
        for (int i = 0; i < n; ++i) {
            ios.push_back(std::make_unique<asio::io_context>(1));
            pulls.emplace_back(context, zmq::socket_type::pull);
            pulls.back().connect(endpoint);
        }
        // asio_loop keeps its message to itself: the step hashes 16 bytes all the same.
        const zmq::message_t sample(std::string(16, 'x'));
        auto on_message = [&](int) {
            if (!f.count(sample)) return true;
            for (auto& io : ios) io->stop();
            return false;
        };
        std::vector<std::thread> threads;
        for (int i = 0; i < n; ++i) {
            auto& io = *ios[static_cast<std::size_t>(i)];
            auto& s = pulls[static_cast<std::size_t>(i)];
            fds.push_back(std::make_unique<detail::borrowed_fd>(io, s));
            asio::co_spawn(io, detail::asio_loop(io, s, fds.back()->fd, i, true, on_message), asio::detached);
            threads.emplace_back([&io, &ready] {
                asio::post(io, [&ready] { ready.count_down(); });
                io.run();
            });
        }
        start = send_all(push, ready, total);
        for (auto& t : threads) t.join();
        fds.clear();
    }
#endif
    return static_cast<double>(total) / seconds_between(start, f.finished);
}

struct latencies {
    double median_ns = 0, p99_ns = 0;
};
latencies of(std::vector<double> ns) {
    std::sort(ns.begin(), ns.end());
    return {quantile(ns, 0.5), quantile(ns, 0.99)};
}

// n round trips between two schedulers (or io_contexts): time per hop.
latencies hops(const std::string& variant, std::int64_t n) {
    std::vector<double> ns;
    ns.reserve(static_cast<std::size_t>(n));
    if (variant != "asio") {
        zring::scheduler_options options = scheduler_options_for(variant == "zring-eventfd" ? "zring" : variant);
        options.msg_ring = variant != "zring-eventfd";
        zring::scheduler_pool pool(2, options);
        pool.run([](zring::scheduler_pool& p, std::int64_t n, std::vector<double>& ns) -> zring::task<void> {
            for (std::int64_t i = 0; i < n; ++i) {
                const auto start = clock::now();
                co_await zring::resume_on(p.at(1));
                co_await zring::resume_on(p.at(0));
                ns.push_back(seconds_between(start, clock::now()) * 1e9 / 2);
            }
        }(pool, n, ns));
    }
#if ZRING_BENCH_HAVE_ASIO
    else {
        namespace asio = detail::asio;
        asio::io_context a(1), b(1);
        auto guard_a = asio::make_work_guard(a);
        auto guard_b = asio::make_work_guard(b);
        std::thread other([&] { b.run(); });
        std::int64_t left = n;
        clock::time_point start;
        std::function<void()> ping = [&] {
            start = clock::now();
            asio::post(b, [&] {
                asio::post(a, [&] {
                    ns.push_back(seconds_between(start, clock::now()) * 1e9 / 2);
                    if (--left > 0) {
                        ping();
                    } else {
                        guard_a.reset();
                        guard_b.reset();
                    }
                });
            });
        };
        asio::post(a, ping);
        a.run();
        other.join();
    }
#endif
    return of(std::move(ns));
}

// n offloads of an empty callable, one after another: time per round trip.
latencies offloads(const std::string& variant, std::int64_t n) {
    std::vector<double> ns;
    ns.reserve(static_cast<std::size_t>(n));
    if (variant == "zring") {
        zring::scheduler s;
        zring::thread_pool workers(1);
        s.run([](zring::thread_pool& w, std::int64_t n, std::vector<double>& ns) -> zring::task<void> {
            for (std::int64_t i = 0; i < n; ++i) {
                const auto start = clock::now();
                co_await zring::offload(w, [] {});
                ns.push_back(seconds_between(start, clock::now()) * 1e9);
            }
        }(workers, n, ns));
    }
#if ZRING_BENCH_HAVE_ASIO
    else {
        namespace asio = detail::asio;
        asio::io_context io(1);
        asio::thread_pool workers(1);
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                for (std::int64_t i = 0; i < n; ++i) {
                    const auto start = clock::now();
                    co_await asio::co_spawn(workers, []() -> asio::awaitable<void> { co_return; }, asio::use_awaitable);
                    ns.push_back(seconds_between(start, clock::now()) * 1e9);
                }
            },
            asio::detached);
        io.run();
    }
#endif
    return of(std::move(ns));
}

}  // namespace

void mt(const options& opt, report& out) {
    const std::int64_t messages = opt.quick ? 20'000 : 300'000;
    const std::int64_t round_trips = opt.quick ? 2'000 : 50'000;
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int rounds = calibrate_rounds(std::chrono::nanoseconds(2000));

    std::vector<std::string> receivers{"raw"};
    for (const auto& v : selected_variants(opt))
        if (is_zring(v)) receivers.push_back(v);
    if (ZRING_BENCH_HAVE_ASIO) receivers.push_back("asio");
    std::vector<std::string> hoppers;
    if (ZRING_BENCH_HAVE_ASIO) hoppers.push_back("asio");
    for (const auto& v : selected_variants(opt)) {
        if (!is_zring(v)) continue;
        hoppers.push_back(v);
        if (scheduler_options_for(v).backend == zring::backend::io_uring) hoppers.push_back("zring-eventfd");
    }
    std::vector<std::string> offloaders;
    if (ZRING_BENCH_HAVE_ASIO) offloaders.push_back("asio");
    offloaders.push_back("zring");

    for (int rep = 1; rep <= opt.repeat; ++rep) {
        for (int n = 1; n <= cores; ++n) {
            const params p{{"scaling", ""}, {"receivers", std::to_string(n)}, {"step_rounds", std::to_string(rounds)}};
            progress("mt", p, rep, opt.repeat);
            for (const auto& v : receivers)
                out.at("mt", p, v, "msgs_per_s", true).record("msgs_per_s", scaling(v, n, messages, rounds));
        }
        const auto timed = [&](const char* name, const std::vector<std::string>& variants,
                               latencies (*measure)(const std::string&, std::int64_t)) {
            const params p{{name, ""}, {"n", std::to_string(round_trips)}};
            progress("mt", p, rep, opt.repeat);
            for (const auto& v : variants) {
                const latencies l = measure(v, round_trips);
                auto& r = out.at("mt", p, v, "median_ns", false);
                r.record("median_ns", l.median_ns);
                r.record("p99_ns", l.p99_ns);
            }
        };
        timed("hop", hoppers, hops);
        timed("offload", offloaders, offloads);
    }
}

}  // namespace bench
