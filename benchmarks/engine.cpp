// engine: the native ZMTP engine (zring::zmtp::socket) against libzmq, in
// one run, each side on its own thread as libzmq's I/O threads would be.
//   lat: REQ/REP and DEALER/ROUTER round trips, 16 B unless --size, tcp and ipc:
//        raw (libzmq both sides, blocking: the baseline), native and
//        native-epoll (native both sides), native-libzmq (a native client, a
//        libzmq echo), floor (plain blocking sockets: the kernel's round trip).
//   thr: PUSH to PULL, 16 B and 1 KiB unless --size, tcp and ipc: raw,
//        native, native-epoll; with the process's CPU per message, both
//        sides and libzmq's I/O threads counted.
#include "engine.hpp"
#include "measure.hpp"

#include <zring/coro/event.hpp>
#include <zring/zmq/zmtp_socket.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

namespace bench {

namespace {

const std::vector<std::string>& lat_variants() {
    static const std::vector<std::string> v{"raw", "native", "native-epoll", "native-libzmq", "floor"};
    return v;
}
const std::vector<std::string>& thr_variants() {
    static const std::vector<std::string> v{"raw", "native", "native-epoll"};
    return v;
}

}  // namespace

zring::scheduler_options native_options(const std::string& variant) {
    return {.backend = variant == "native-epoll" ? zring::backend::epoll : zring::backend::io_uring};
}

std::vector<std::string> chosen_engine_variants(const options& opt, const std::vector<std::string>& all) {
    static const bool io_uring_starts = backend_starts(zring::backend::io_uring);
    std::vector<std::string> out;
    for (const auto& v : all) {
        if (!opt.variants.empty() && std::find(opt.variants.begin(), opt.variants.end(), v) == opt.variants.end())
            continue;
        if ((v == "native" || v == "native-libzmq") && !io_uring_starts) continue;
        out.push_back(v);
    }
    return out;
}

namespace {

// An abstract ipc name leaves no file behind, whichever engine bound it.
std::string bind_endpoint(const std::string& transport) {
    static std::atomic<int> counter{0};
    if (transport == "ipc") return "ipc://@zring-bench-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    return fresh_endpoint(transport);
}

// ---- lat ----

// Echoes `total` messages on a socket of the variant's engine; says where it listens.
void echo(const std::string& variant, zmq::socket_type type, const std::string& transport,
          std::promise<std::string>& where, std::int64_t total) {
    if (variant == "native" || variant == "native-epoll") {
        zring::scheduler s(native_options(variant));
        zring::zmtp::socket e(s, type);
        e.bind(bind_endpoint(transport));
        where.set_value(e.get(zmq::sockopt::last_endpoint));
        s.run([](zring::zmtp::socket& e, std::int64_t total) -> zring::task<void> {
            for (std::int64_t i = 0; i < total; ++i) {
                auto parts = co_await e.recv_multipart();
                co_await e.send_multipart(std::move(parts));
            }
        }(e, total));
        return;
    }
    zmq::context_t context;
    zmq::socket_t e(context, type);
    e.bind(bind_endpoint(transport));
    where.set_value(e.get(zmq::sockopt::last_endpoint));
    zmq::message_t m;
    for (std::int64_t i = 0; i < total; ++i) {
        for (bool more = true; more;) {
            (void)e.recv(m);
            more = m.more();
            (void)e.send(m, more ? zmq::send_flags::sndmore : zmq::send_flags::none);
        }
    }
}

// The floor: the same payload over a plain connected socket, blocking.
struct plain_socket {
    int fd = -1;
    explicit plain_socket(int f) : fd(f) {
        if (fd < 0) throw std::system_error(errno, std::system_category(), "engine floor: socket");
    }
    plain_socket(plain_socket&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
    plain_socket& operator=(plain_socket&&) = delete;
    ~plain_socket() {
        if (fd >= 0) ::close(fd);
    }
    void exactly(char* p, std::size_t n, bool reading) const {
        while (n > 0) {
            const ssize_t r = reading ? ::read(fd, p, n) : ::write(fd, p, n);
            if (r <= 0) throw std::system_error(errno, std::system_category(), "engine floor: read/write");
            p += r;
            n -= static_cast<std::size_t>(r);
        }
    }
};

std::pair<plain_socket, plain_socket> plain_pair(const std::string& transport) {
    if (transport == "ipc") {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
            throw std::system_error(errno, std::system_category(), "engine floor: socketpair");
        return {plain_socket(fds[0]), plain_socket(fds[1])};
    }
    plain_socket listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener.fd, 1) != 0 ||
        ::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        throw std::system_error(errno, std::system_category(), "engine floor: listen");
    plain_socket client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (::connect(client.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw std::system_error(errno, std::system_category(), "engine floor: connect");
    plain_socket server(::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC));
    const int one = 1;
    ::setsockopt(client.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(server.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return {std::move(client), std::move(server)};
}

struct lat_result {
    std::vector<double> us;
    double cpu = 0;
};

lat_result lat_floor(const std::string& transport, std::int64_t warmup, std::int64_t count, std::size_t size) {
    auto [client, server] = plain_pair(transport);
    std::thread echo_thread([&, total = warmup + count] {
        std::string buffer(size, '\0');
        for (std::int64_t i = 0; i < total; ++i) {
            server.exactly(buffer.data(), size, true);
            server.exactly(buffer.data(), size, false);
        }
    });
    lat_result r;
    std::string buffer(size, 'x');
    double cpu0 = 0;
    for (std::int64_t i = 0; i < warmup + count; ++i) {
        if (i == warmup) cpu0 = thread_cpu_seconds();
        const auto t0 = clock::now();
        client.exactly(buffer.data(), size, false);
        client.exactly(buffer.data(), size, true);
        if (i >= warmup) r.us.push_back(std::chrono::duration<double, std::micro>(clock::now() - t0).count());
    }
    r.cpu = thread_cpu_seconds() - cpu0;
    echo_thread.join();
    return r;
}

lat_result lat_once(const std::string& variant, bool dealer, const std::string& transport, std::int64_t warmup,
                    std::int64_t count, std::size_t size) {
    if (variant == "floor") return lat_floor(transport, warmup, count, size);
    const auto server_type = dealer ? zmq::socket_type::router : zmq::socket_type::rep;
    const auto client_type = dealer ? zmq::socket_type::dealer : zmq::socket_type::req;
    const std::string echo_variant = variant == "native-libzmq" ? "raw" : variant;
    std::promise<std::string> bound;
    auto where = bound.get_future();
    std::thread server(echo, echo_variant, server_type, transport, std::ref(bound), warmup + count);
    const std::string endpoint = where.get();
    const std::string payload(size, 'x');
    lat_result r;
    double cpu0 = 0;
    if (variant == "raw") {
        zmq::context_t context;
        zmq::socket_t c(context, client_type);
        c.connect(endpoint);
        zmq::message_t m;
        for (std::int64_t i = 0; i < warmup + count; ++i) {
            if (i == warmup) cpu0 = thread_cpu_seconds();
            const auto t0 = clock::now();
            (void)c.send(zmq::buffer(payload), zmq::send_flags::none);
            (void)c.recv(m);
            if (i >= warmup) r.us.push_back(std::chrono::duration<double, std::micro>(clock::now() - t0).count());
        }
    } else {
        zring::scheduler s(native_options(variant == "native-libzmq" ? "native" : variant));
        zring::zmtp::socket c(s, client_type);
        c.connect(endpoint);
        s.run([&]() -> zring::task<void> {
            for (std::int64_t i = 0; i < warmup + count; ++i) {
                if (i == warmup) cpu0 = thread_cpu_seconds();
                const auto t0 = clock::now();
                co_await c.send(zmq::message_t(payload.data(), payload.size()));
                co_await c.recv();
                if (i >= warmup) r.us.push_back(std::chrono::duration<double, std::micro>(clock::now() - t0).count());
            }
        }());
    }
    r.cpu = thread_cpu_seconds() - cpu0;
    server.join();
    return r;
}

// ---- thr ----

struct thr_result {
    double msgs_per_s = 0;
    double cpu_us_per_msg = 0;
};

thr_result thr_once(const std::string& variant, const std::string& transport, std::int64_t count, std::size_t size) {
    const std::string payload(size, 'x');
    clock::time_point first{}, last{};
    const double cpu0 = process_cpu_seconds();
    if (variant == "raw") {
        zmq::context_t context;
        zmq::socket_t pull(context, zmq::socket_type::pull);
        pull.bind(bind_endpoint(transport));
        const std::string endpoint = pull.get(zmq::sockopt::last_endpoint);
        std::promise<void> received;
        std::thread sender([&] {
            zmq::socket_t push(context, zmq::socket_type::push);
            push.connect(endpoint);
            for (std::int64_t i = 0; i < count; ++i) (void)push.send(zmq::buffer(payload), zmq::send_flags::none);
            received.get_future().wait();  // libzmq may drop queued ipc messages at close (libzmq#4660)
        });
        zmq::message_t m;
        for (std::int64_t i = 0; i < count; ++i) {
            (void)pull.recv(m);
            if (i == 0) first = clock::now();
        }
        last = clock::now();
        received.set_value();
        sender.join();
    } else {
        zring::scheduler receiver_scheduler(native_options(variant));
        zring::zmtp::socket pull(receiver_scheduler, zmq::socket_type::pull);
        pull.bind(bind_endpoint(transport));
        const std::string endpoint = pull.get(zmq::sockopt::last_endpoint);
        std::promise<zring::scheduler*> sender_ready;
        auto sender_scheduler = sender_ready.get_future();
        zring::event received;  // the sender's: its scheduler runs until everything arrived
        std::thread sender([&] {
            zring::scheduler s(native_options(variant));
            zring::zmtp::socket push(s, zmq::socket_type::push);
            push.connect(endpoint);
            sender_ready.set_value(&s);
            s.run([&]() -> zring::task<void> {
                for (std::int64_t i = 0; i < count; ++i)
                    co_await push.send(zmq::message_t(payload.data(), payload.size()));
                co_await received;
            }());
        });
        zring::scheduler* other = sender_scheduler.get();
        receiver_scheduler.run([&]() -> zring::task<void> {
            zmq::message_t m;
            for (std::int64_t i = 0; i < count; ++i) {
                co_await pull.recv(m);
                if (i == 0) first = clock::now();
            }
            last = clock::now();
        }());
        other->call_soon_threadsafe([&] { received.set(); });
        sender.join();
    }
    thr_result r;
    const double seconds = std::chrono::duration<double>(last - first).count();
    r.msgs_per_s = seconds > 0 ? static_cast<double>(count - 1) / seconds : 0;
    r.cpu_us_per_msg = (process_cpu_seconds() - cpu0) * 1e6 / static_cast<double>(count);
    return r;
}

}  // namespace

std::vector<std::string> engine_variants() { return lat_variants(); }

namespace {
std::vector<std::string> engine_transports(const options& opt) {
    return opt.transports.empty() ? std::vector<std::string>{"tcp", "ipc"} : opt.transports;
}
}  // namespace

void engine_lat(const options& opt, report& out) {
    const std::vector<std::string> transports = engine_transports(opt);
    const std::int64_t round_trips = opt.quick ? 2'000 : 20'000, warmup = opt.quick ? 200 : 2'000;
    for (const std::size_t size : opt.sizes.empty() ? std::vector<std::size_t>{16} : opt.sizes) {
        for (const std::string& transport : transports) {
            for (const bool dealer : {false, true}) {
                const params p{{dealer ? "DEALER/ROUTER" : "REQ/REP", ""},
                               {"size", std::to_string(size)},
                               {"transport", transport},
                               {"round_trips", std::to_string(round_trips)}};
                for (int rep = 1; rep <= opt.repeat; ++rep) {
                    progress("engine lat", p, rep, opt.repeat);
                    for (const auto& variant : in_turn(chosen_engine_variants(opt, lat_variants()), rep)) {
                        lat_result r = lat_once(variant, dealer, transport, warmup, round_trips, size);
                        record_round_trips(out.at("engine-lat", p, variant, "median_us", false), std::move(r.us),
                                           r.cpu);
                    }
                }
            }
        }
    }
}

void engine_thr(const options& opt, report& out) {
    const std::vector<std::string> transports = engine_transports(opt);
    for (const std::size_t size : opt.sizes.empty() ? std::vector<std::size_t>{16, 1024} : opt.sizes) {
        const std::int64_t count = opt.quick ? 20'000 : (size <= 256 ? 2'000'000 : 500'000);
        for (const std::string& transport : transports) {
            const params p{{"size", std::to_string(size)}, {"transport", transport}, {"messages", std::to_string(count)}};
            for (int rep = 1; rep <= opt.repeat; ++rep) {
                progress("engine thr", p, rep, opt.repeat);
                for (const auto& variant : in_turn(chosen_engine_variants(opt, thr_variants()), rep)) {
                    const thr_result r = thr_once(variant, transport, count, size);
                    row& line = out.at("engine-thr", p, variant, "msgs_per_s", true);
                    line.record("msgs_per_s", r.msgs_per_s);
                    line.record("cpu_us_per_msg", r.cpu_us_per_msg);
                }
            }
        }
    }
}

void engine(const options& opt, report& out) {
    engine_lat(opt, out);
    engine_thr(opt, out);
    engine_fanin(opt, out);
}

}  // namespace bench
