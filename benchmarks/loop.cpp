// loop: the scheduler alone. Where Boost.Asio is installed, each measure
// also runs on an asio::io_context, the loop C++ users know, as its baseline.
#include "bench.hpp"
#include "receivers.hpp"

#include <thread>

#if ZRING_BENCH_HAVE_ASIO
#include <boost/asio/steady_timer.hpp>
#endif

namespace bench {

namespace {

constexpr int posting_threads = 4;
constexpr int coroutines = 1000;

// n callbacks queued, then run: callbacks per second.
double callbacks(const std::string& variant, std::int64_t n) {
    std::int64_t ran = 0;
    clock::time_point start;
    if (is_zring(variant)) {
        zring::scheduler s(scheduler_options_for(variant));
        start = clock::now();
        for (std::int64_t i = 0; i < n; ++i) s.call_soon([&ran] { ++ran; });
        s.call_soon([&s] { s.stop(); });
        s.run();
    }
#if ZRING_BENCH_HAVE_ASIO
    else {
        detail::asio::io_context io(1);
        start = clock::now();
        for (std::int64_t i = 0; i < n; ++i) detail::asio::post(io, [&ran] { ++ran; });
        io.run();
    }
#endif
    return static_cast<double>(ran) / seconds_between(start, clock::now());
}

// 1000 coroutines each suspending and being resumed through the ready queue: ns per suspend+resume.
double resumes(const std::string& variant, std::int64_t n) {
    const std::int64_t per = n / coroutines;
    clock::time_point start;
    if (is_zring(variant)) {
        zring::scheduler s(scheduler_options_for(variant));
        start = clock::now();
        auto yielder = [&]() -> zring::task<void> {
            for (std::int64_t i = 0; i < per; ++i) co_await s.yield();
        };
        std::vector<zring::task<void>> all;
        for (int i = 0; i < coroutines; ++i) all.push_back(yielder());
        s.run(zring::when_all(std::move(all)));
    }
#if ZRING_BENCH_HAVE_ASIO
    else {
        namespace asio = detail::asio;
        asio::io_context io(1);
        start = clock::now();
        for (int c = 0; c < coroutines; ++c)
            asio::co_spawn(
                io,
                [&]() -> asio::awaitable<void> {
                    for (std::int64_t i = 0; i < per; ++i) co_await asio::post(io, asio::use_awaitable);
                },
                asio::detached);
        io.run();
    }
#endif
    return seconds_between(start, clock::now()) * 1e9 / static_cast<double>(per * coroutines);
}

// n timers armed with deadlines spread over 10 ms, run until all fired: seconds.
double timers(const std::string& variant, std::int64_t n) {
    std::int64_t fired = 0;
    clock::time_point start;
    if (is_zring(variant)) {
        zring::scheduler s(scheduler_options_for(variant));
        start = clock::now();
        for (std::int64_t i = 0; i < n; ++i)
            s.call_later(std::chrono::microseconds(i % 10'000), [&] {
                if (++fired == n) s.stop();
            });
        s.run();
    }
#if ZRING_BENCH_HAVE_ASIO
    else {
        detail::asio::io_context io(1);
        start = clock::now();
        std::vector<detail::asio::steady_timer> armed;
        armed.reserve(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i) {
            armed.emplace_back(io, std::chrono::microseconds(i % 10'000));
            armed.back().async_wait([&fired](const boost::system::error_code&) { ++fired; });
        }
        io.run();
    }
#endif
    if (fired != n) throw std::runtime_error("loop: not every timer fired");
    return seconds_between(start, clock::now());
}

// 4 threads posting n callbacks in all from outside the loop: posts per second.
double remote_posts(const std::string& variant, std::int64_t n) {
    const std::int64_t per = n / posting_threads;
    std::int64_t ran = 0;
    std::vector<std::thread> posters;
    clock::time_point start;
    if (is_zring(variant)) {
        zring::scheduler s(scheduler_options_for(variant));
        start = clock::now();
        for (int t = 0; t < posting_threads; ++t)
            posters.emplace_back([&] {
                for (std::int64_t i = 0; i < per; ++i)
                    s.call_soon_threadsafe([&] {
                        if (++ran == per * posting_threads) s.stop();
                    });
            });
        s.run();
        for (auto& p : posters) p.join();
    }
#if ZRING_BENCH_HAVE_ASIO
    else {
        detail::asio::io_context io;
        auto work = detail::asio::make_work_guard(io);
        start = clock::now();
        for (int t = 0; t < posting_threads; ++t)
            posters.emplace_back([&] {
                for (std::int64_t i = 0; i < per; ++i)
                    detail::asio::post(io, [&] {
                        if (++ran == per * posting_threads) io.stop();
                    });
            });
        io.run();
        for (auto& p : posters) p.join();
    }
#endif
    return static_cast<double>(ran) / seconds_between(start, clock::now());
}

}  // namespace

void loop(const options& opt, report& out) {
    const std::int64_t n = opt.quick ? 100'000 : 1'000'000;
    std::vector<std::string> variants;
    if (ZRING_BENCH_HAVE_ASIO) variants.push_back("asio");
    for (const auto& v : selected_variants(opt))
        if (is_zring(v)) variants.push_back(v);
    struct measure {
        const char* name;
        const char* metric;
        bool higher_is_better;
        double (*run)(const std::string&, std::int64_t);
    };
    const measure measures[] = {
        {"call_soon", "callbacks_per_s", true, callbacks},
        {"suspend+resume", "ns_per_resume", false, resumes},
        {"timers scheduled+fired", "seconds", false, timers},
        {"call_soon_threadsafe", "posts_per_s", true, remote_posts},
    };
    for (int rep = 1; rep <= opt.repeat; ++rep) {
        progress("loop", {{"n", std::to_string(n)}}, rep, opt.repeat);
        for (const auto& m : measures) {
            const params p{{m.name, ""}, {"n", std::to_string(n)}};
            for (const auto& variant : variants)
                out.at("loop", p, variant, m.metric, m.higher_is_better).record(m.metric, m.run(variant, n));
        }
    }
}

}  // namespace bench
