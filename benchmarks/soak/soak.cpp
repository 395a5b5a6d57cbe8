// zring-soak: runs zring's socket paths for a while under random
// cancellation, timeouts, socket reopening and a peer process killed and
// restarted, and checks the promises that hold on every path:
// - no message is duplicated or reordered per sender;
// - none is lost on a live, connected PUSH->PULL pipe (a cancelled or
//   timed-out receive consumes nothing; a timed-out send sends nothing);
// - memory stays flat (RSS, less the soak's own per-sender records, sampled
//   after a warm-up), and in a run of 20 minutes or more it has plateaued:
//   it grows by less than 2 MiB over the last 10 minutes;
// - nothing hangs (a watchdog thread).
// Exit 0 only if every invariant held; one summary line either way.
//
// --engine native puts the native ZMTP engine on the receiving side of every
// path (PULL, DEALER) against libzmq peers (PUSH, ROUTER, the killed
// process); inproc, which it lacks, is left out.
//
//     zring-soak --seconds N [--seed S] [--engine libzmq|native]

#include <zring/zring.hpp>

#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory_resource>
#include <random>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

struct stamp {
    std::uint64_t sender;  // an incarnation of a sending socket or process
    std::uint64_t seq;
};

zmq::message_t encode(stamp s) { return zmq::message_t(&s, sizeof s); }
stamp decode(const zmq::message_t& m) {
    stamp s{};
    if (m.size() == sizeof s) std::memcpy(&s, m.data(), sizeof s);
    return s;
}

// The side under test: zring::socket over libzmq, or the native engine.
struct libzmq_side {
    static zring::socket make(zring::scheduler& s, zmq::context_t& ctx, zmq::socket_type type) {
        return zring::socket(s, ctx, type);
    }
};
struct native_side {
    static zring::zmtp::socket make(zring::scheduler& s, zmq::context_t&, zmq::socket_type type) {
        return zring::zmtp::socket(s, type);
    }
};

struct totals {
    std::uint64_t received = 0, cancelled_recvs = 0, timed_out_sends = 0, reopens = 0;
    std::uint64_t round_trips = 0, peer_kills = 0, peer_messages = 0;
    std::vector<std::string> violations;
};

std::atomic<std::uint64_t> progress{0};

// Bytes the order checks' per-sender records hold. They are the soak's own,
// kept to the end and growing with every sender (a native run reopens some
// 400 sockets a second): RSS is judged flat without them.
std::atomic<std::size_t> record_bytes{0};

// Pages of their own for the records: memory the heap freed (and that is
// still resident) is never reused for them, so what they are handed is
// what they add to RSS, and taking it out cannot hide a leak.
class mapped_resource : public std::pmr::memory_resource {
    void* do_allocate(std::size_t n, std::size_t) override {
        void* p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        return p;
    }
    void do_deallocate(void* p, std::size_t n, std::size_t) override { ::munmap(p, n); }
    bool do_is_equal(const std::pmr::memory_resource& o) const noexcept override { return this == &o; }
};

class counted_resource : public std::pmr::memory_resource {
public:
    explicit counted_resource(std::pmr::memory_resource* upstream) : upstream_(upstream) {}

private:
    void* do_allocate(std::size_t n, std::size_t align) override {
        void* p = upstream_->allocate(n, align);
        record_bytes.fetch_add(n, std::memory_order_relaxed);
        return p;
    }
    void do_deallocate(void* p, std::size_t n, std::size_t align) override {
        record_bytes.fetch_sub(n, std::memory_order_relaxed);
        upstream_->deallocate(p, n, align);
    }
    bool do_is_equal(const std::pmr::memory_resource& o) const noexcept override { return this == &o; }

    std::pmr::memory_resource* upstream_;
};

// Per sender: the next sequence expected. A sender's first message must be
// 0 (nothing lost at the start of a live pipe); after that each must be the
// next one, unless the sender is one whose tail may be lost (closed or
// killed): then only its last messages may be missing, never a middle one.
class order_check {
public:
    void saw(stamp s, const char* path, totals& t) {
        auto [it, fresh] = next_.try_emplace(s.sender, 0);
        if (s.seq != it->second && t.violations.size() < 10)
            t.violations.push_back(std::string(path) + ": sender " + std::to_string(s.sender) + " expected seq " +
                                   std::to_string(it->second) + ", got " + std::to_string(s.seq) +
                                   (s.seq < it->second ? " (duplicate or reordered)" : " (lost)"));
        it->second = s.seq + 1;
        ++t.received;
        progress.fetch_add(1, std::memory_order_relaxed);
    }

private:
    // An entry per sender, kept to the end. From the general heap, these
    // long-lived nodes split the chunks libzmq frees and reallocates, and
    // RSS grew ~100 KiB/s with no leak anywhere; from blocks of their own
    // they leave the heap's reuse alone.
    mapped_resource pages_;
    std::pmr::monotonic_buffer_resource nodes_{64 * 1024, &pages_};
    counted_resource counted_{&nodes_};
    std::pmr::map<std::uint64_t, std::uint64_t> next_{&counted_};
};

long rss_kib() {
    std::ifstream status("/proc/self/status");
    std::string key;
    long value = 0;
    while (status >> key) {
        if (key == "VmRSS:") {
            status >> value;
            return value;
        }
        status.ignore(1 << 12, '\n');
    }
    return 0;
}

// PUSH -> PULL over one transport: the sender is closed and reopened as a
// new incarnation now and then; its sends have random timeouts, the
// receiver's receives have random timeouts. The PULL is the Side's.
template <class Side>
zring::task<void> push_pull(zring::scheduler& s, zmq::context_t& ctx, std::string endpoint, const char* path,
                            clock_type::time_point end, std::mt19937_64& rng, std::uint64_t& next_sender, totals& t) {
    auto pull = Side::make(s, ctx, zmq::socket_type::pull);
    pull.bind(endpoint);
    endpoint = pull.get(zmq::sockopt::last_endpoint);
    order_check order;
    bool sending = true;
    auto sender = [&]() -> zring::task<void> {
        while (clock_type::now() < end) {
            zring::socket push(s, ctx, zmq::socket_type::push);
            push.set(zmq::sockopt::sndhwm, 50);
            push.connect(endpoint);
            const std::uint64_t me = next_sender++;
            const std::uint64_t count = 200 + rng() % 2000;
            for (std::uint64_t seq = 0; seq < count && clock_type::now() < end;) {
                const auto timeout = std::chrono::microseconds(rng() % 500);
                try {
                    co_await push.send(encode({me, seq}), timeout);
                    ++seq;
                } catch (const zring::timed_out&) {
                    ++t.timed_out_sends;  // nothing went out: the same seq again
                }
            }
            ++t.reopens;
            // The socket closes here with its linger: its tail may still be delivered.
        }
        sending = false;
    };
    auto receiver = [&]() -> zring::task<void> {
        zmq::message_t m;
        while (sending || clock_type::now() < end + 500ms) {
            // The receive's own timeout, as when_any's note says: a receive
            // that loses a race to another awaitable may have taken its message.
            const auto race = std::chrono::microseconds(rng() % 300);
            const bool received = co_await pull.try_recv(m, race);
            if (!received) {
                ++t.cancelled_recvs;
                if (!sending) break;
                continue;
            }
            order.saw(decode(m), path, t);
        }
    };
    co_await zring::when_all(sender(), receiver());
}

// DEALER <-> ROUTER: the router echoes; the dealer (the Side's) checks its
// replies come back in order, one by one, each receive with a random timeout.
template <class Side>
zring::task<void> dealer_router(zring::scheduler& s, zmq::context_t& ctx, clock_type::time_point end,
                                std::mt19937_64& rng, totals& t) {
    zring::socket router(s, ctx, zmq::socket_type::router);
    auto dealer = Side::make(s, ctx, zmq::socket_type::dealer);
    router.bind("tcp://127.0.0.1:*");
    dealer.connect(router.get(zmq::sockopt::last_endpoint));
    std::stop_source stop_echo;
    auto echo = [&]() -> zring::task<void> {
        try {
            for (;;) {
                auto parts = co_await router.recv_multipart(stop_echo.get_token());
                co_await router.send_multipart(std::move(parts), stop_echo.get_token());
            }
        } catch (const zring::operation_cancelled&) {
        }
    };
    auto client = [&]() -> zring::task<void> {
        order_check order;
        for (std::uint64_t seq = 0; clock_type::now() < end; ++seq) {
            co_await dealer.send(encode({0, seq}));
            for (;;) {
                zmq::message_t reply;
                const bool received = co_await dealer.try_recv(reply, std::chrono::microseconds(rng() % 300));
                if (!received) {
                    ++t.cancelled_recvs;
                    continue;
                }
                order.saw(decode(reply), "dealer/router", t);
                ++t.round_trips;
                break;
            }
        }
        stop_echo.request_stop();
    };
    co_await zring::when_all(echo(), client());
}

// A plain libzmq PUSH in a child process (this program with --peer),
// killed with SIGKILL and restarted; each process is a sender of its own.
template <class Side>
zring::task<void> killed_peer(zring::scheduler& s, zmq::context_t& ctx, const char* self, clock_type::time_point end,
                              std::mt19937_64& rng, totals& t) {
    auto pull = Side::make(s, ctx, zmq::socket_type::pull);
    pull.bind("tcp://127.0.0.1:*");
    const std::string endpoint = pull.get(zmq::sockopt::last_endpoint);
    order_check order;
    pid_t child = -1;
    auto start = [&] {
        const char* argv[] = {self, "--peer", endpoint.c_str(), nullptr};
        if (::posix_spawn(&child, self, nullptr, nullptr, const_cast<char**>(argv), environ) != 0) child = -1;
    };
    auto stop = [&] {
        if (child <= 0) return;
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        child = -1;
        ++t.peer_kills;
    };
    start();
    auto next_kill = clock_type::now() + 1s;
    zmq::message_t m;
    while (clock_type::now() < end) {
        if (clock_type::now() >= next_kill) {
            stop();
            start();
            next_kill = clock_type::now() + std::chrono::milliseconds(300 + rng() % 1500);
        }
        try {
            co_await pull.recv(m, 50ms);
        } catch (const zring::timed_out&) {
            continue;
        }
        const stamp st = decode(m);
        order.saw(st, "peer process", t);
        ++t.peer_messages;
    }
    stop();
}

int run_peer(const char* endpoint) {
    zmq::context_t ctx;
    zmq::socket_t push(ctx, zmq::socket_type::push);
    push.set(zmq::sockopt::sndhwm, 100);
    push.connect(endpoint);
    const auto me = static_cast<std::uint64_t>(::getpid()) << 32;
    for (std::uint64_t seq = 0;; ++seq) push.send(encode({me, seq}), zmq::send_flags::none);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::strcmp(argv[1], "--peer") == 0) return run_peer(argv[2]);
    long seconds = 10;
    std::uint64_t seed = std::random_device{}();
    bool native = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--seconds" && i + 1 < argc) {
            seconds = std::strtol(argv[++i], nullptr, 10);
        } else if (a == "--seed" && i + 1 < argc) {
            seed = std::strtoull(argv[++i], nullptr, 10);
        } else if (a == "--engine" && i + 1 < argc && (argv[i + 1] == std::string("native") ||
                                                        argv[i + 1] == std::string("libzmq"))) {
            native = argv[++i] == std::string("native");
        } else {
            std::fprintf(stderr, "usage: zring-soak --seconds N [--seed S] [--engine libzmq|native]\n");
            return 2;
        }
    }
    if (seconds <= 0) {
        std::fprintf(stderr, "zring-soak: --seconds must be positive\n");
        return 2;
    }
    // Nothing hangs: progress must move at least every 15 s.
    std::thread([] {
        std::uint64_t last = ~0ull;
        for (int idle = 0;; std::this_thread::sleep_for(1s)) {
            const std::uint64_t now = progress.load();
            idle = now == last ? idle + 1 : 0;
            last = now;
            if (idle >= 15) {
                std::fprintf(stderr, "zring-soak: FAILED: no message moved for 15 s (a hang)\n");
                std::_Exit(1);
            }
        }
    }).detach();

    std::mt19937_64 rng(seed);
    totals t;
    long rss_warm = 0, rss_peak = 0;
    long records_kib_peak = 0;
    long rss_late = 0, rss_late_peak = 0;  // from 10 minutes before the end, in runs of 20 minutes or more
    constexpr auto plateau = std::chrono::minutes(10);
    const bool check_plateau = std::chrono::seconds(seconds) >= 2 * plateau;
    const auto begin = clock_type::now();
    const auto end = begin + std::chrono::seconds(seconds);
    const std::string ipc_path = "/tmp/zring-soak-" + std::to_string(::getpid());
    try {
        zmq::context_t ctx;
        zring::scheduler s;
        std::uint64_t next_sender = 1;
        const std::string ipc = "ipc://" + ipc_path;
        auto sampler = [&]() -> zring::task<void> {
            const auto warm = begin + std::chrono::seconds(seconds) / 5;
            while (clock_type::now() < end) {
                co_await zring::sleep_for(250ms);
                const long records_kib = static_cast<long>(record_bytes.load() / 1024);
                records_kib_peak = std::max(records_kib_peak, records_kib);
                const long rss = rss_kib() - records_kib;
                if (clock_type::now() >= warm && rss_warm == 0) rss_warm = rss;
                if (rss_warm) rss_peak = std::max(rss_peak, rss);
                if (check_plateau && clock_type::now() >= end - plateau) {
                    if (rss_late == 0) rss_late = rss;
                    rss_late_peak = std::max(rss_late_peak, rss);
                }
            }
        };
        if (native)
            s.run(zring::when_all(push_pull<native_side>(s, ctx, ipc, "ipc", end, rng, next_sender, t),
                                  push_pull<native_side>(s, ctx, "tcp://127.0.0.1:*", "tcp", end, rng, next_sender, t),
                                  dealer_router<native_side>(s, ctx, end, rng, t),
                                  killed_peer<native_side>(s, ctx, argv[0], end, rng, t), sampler()));
        else
            s.run(zring::when_all(
                push_pull<libzmq_side>(s, ctx, "inproc://zring-soak", "inproc", end, rng, next_sender, t),
                push_pull<libzmq_side>(s, ctx, ipc, "ipc", end, rng, next_sender, t),
                push_pull<libzmq_side>(s, ctx, "tcp://127.0.0.1:*", "tcp", end, rng, next_sender, t),
                dealer_router<libzmq_side>(s, ctx, end, rng, t), killed_peer<libzmq_side>(s, ctx, argv[0], end, rng, t),
                sampler()));
    } catch (const std::exception& e) {
        t.violations.push_back(std::string("exception: ") + e.what());
    }
    ::unlink(ipc_path.c_str());  // libzmq leaves the socket file behind
    // Flat: what grew after the warm-up is bounded (allocator and sanitizer
    // caches settle; a leak per message would not).
    const long growth = rss_peak - rss_warm;
    if (rss_warm && growth > 64 * 1024)
        t.violations.push_back("RSS grew by " + std::to_string(growth / 1024) + " MiB after warm-up");
    if (rss_late && rss_late_peak - rss_late >= 2 * 1024)
        t.violations.push_back("RSS grew by " + std::to_string(rss_late_peak - rss_late) +
                               " KiB in the last 10 minutes: no plateau");
    if (check_plateau && rss_late == 0) t.violations.push_back("RSS was not sampled in the last 10 minutes");
    const bool ok = t.violations.empty();
    std::printf(
        "zring-soak: %s in %ld s (seed %llu, %s engine): %llu messages in order, %llu round trips, %llu cancelled receives, "
        "%llu timed-out sends, %llu socket reopens, %llu peer kills (%llu peer messages), RSS %ld -> %ld KiB"
        "%s (without the soak's per-sender records, at most %ld KiB)\n",
        ok ? "OK" : "FAILED", seconds, static_cast<unsigned long long>(seed), native ? "native" : "libzmq",
        static_cast<unsigned long long>(t.received), static_cast<unsigned long long>(t.round_trips),
        static_cast<unsigned long long>(t.cancelled_recvs), static_cast<unsigned long long>(t.timed_out_sends),
        static_cast<unsigned long long>(t.reopens), static_cast<unsigned long long>(t.peer_kills),
        static_cast<unsigned long long>(t.peer_messages), rss_warm, rss_peak,
        rss_late ? (", last 10 min " + std::to_string(rss_late) + " -> " + std::to_string(rss_late_peak) + " KiB").c_str()
                 : "",
        records_kib_peak);
    for (const auto& v : t.violations) std::fprintf(stderr, "zring-soak: %s\n", v.c_str());
    return ok ? 0 : 1;
}
