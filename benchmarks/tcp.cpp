// tcp: plain TCP on the loop against the usual C++ ways, in one run.
//   ping-pong  a 16 B round trip on one connection, both ends the variant:
//              blocking (a thread per side, TCP_NODELAY: the floor), zring,
//              zring-epoll, asio (async_read/async_write, epoll)
//   echo       1, 100 and 1,000 connections, each a 64 B message at a time,
//              driven by one client loop; the server is the variant (asio,
//              zring, zring-epoll): messages/s and server CPU per message
//   accept     a storm of connect, half-close, wait for the server's close
//              from 32 connectors at once: connections/s the server takes
// One echo server is behind all three: it echoes what it reads until the
// end of the stream, then closes. Across hosts it runs alone
// (tcp --role echo) and the client measures it (tcp --role client).
#include "bench.hpp"
#include "receivers.hpp"
#include "watchdog.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <future>
#include <iostream>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>

#if ZRING_BENCH_HAVE_ASIO
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/write.hpp>
#endif

using namespace std::chrono_literals;

namespace bench {

std::vector<std::string> tcp_variants() {
    std::vector<std::string> v{"blocking", "zring", "zring-epoll"};
    if (ZRING_BENCH_HAVE_ASIO) v.emplace_back("asio");
    return v;
}

namespace {

constexpr std::size_t ping_size = 16;
constexpr std::size_t echo_size = 64;
constexpr std::size_t buffer_size = 16 * 1024;  // every server's read buffer per connection
constexpr int connectors = 32;

// A connection whose first bytes are one of these is the client talking to
// the echo itself: hello is answered with greeting(variant), end ends it.
constexpr std::string_view hello = "zring-bench tcp hello";
constexpr std::string_view end_of_session = "zring-bench tcp end";
std::string greeting(const std::string& variant) { return "zring-bench tcp echo " + variant; }

enum class control { none, hello, end };
control control_of(const void* data, std::size_t n) {
    const std::string_view got(static_cast<const char*>(data), n);
    return got == hello ? control::hello : got == end_of_session ? control::end : control::none;
}

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::system_category(), what); }

void set_nodelay(int fd) {
    const int on = 1;
    if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0) fail("tcp: setsockopt(TCP_NODELAY)");
}

void write_all(int fd, const void* data, std::size_t n) {
    for (std::size_t at = 0; at < n;) {
        const ssize_t w = ::send(fd, static_cast<const char*>(data) + at, n - at, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) fail("tcp: send");
        at += static_cast<std::size_t>(w);
    }
}

// false at the end of the stream.
bool read_all(int fd, void* data, std::size_t n) {
    for (std::size_t at = 0; at < n;) {
        const ssize_t r = ::recv(fd, static_cast<char*>(data) + at, n - at, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) fail("tcp: recv");
        if (r == 0) return false;
        at += static_cast<std::size_t>(r);
    }
    return true;
}

// A descriptor, closed with its scope unless released.
struct socket_fd {
    int fd;
    explicit socket_fd(int f) : fd(f) {}
    socket_fd(const socket_fd&) = delete;
    socket_fd& operator=(const socket_fd&) = delete;
    ~socket_fd() {
        if (fd >= 0) ::close(fd);
    }
    int release() noexcept { return std::exchange(fd, -1); }
};

int blocking_connect(const zring::endpoint& to) {
    socket_fd s(::socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (s.fd < 0) fail("tcp: socket");
    if (::connect(s.fd, to.data(), to.size()) != 0) fail("tcp: connect to " + to.to_string());
    set_nodelay(s.fd);
    return s.release();
}

// A blocking listening socket at `at` (SO_REUSEADDR, as every variant's).
int listening_socket(const zring::endpoint& at) {
    socket_fd s(::socket(at.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (s.fd < 0) fail("tcp: socket");
    const int on = 1;
    ::setsockopt(s.fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(s.fd, at.data(), at.size()) != 0 || ::listen(s.fd, 4096) != 0) fail("tcp: listen on " + at.to_string());
    return s.release();
}

// ---- the echo servers: serve(variant, at, listening) returns once a client sent end ----

using listening_fn = std::function<void(const zring::endpoint&)>;

void blocking_serve(const zring::endpoint& at, const listening_fn& listening) {
    const int l = listening_socket(at);
    listening(zring::endpoint::local_of(l));
    std::mutex m;
    std::condition_variable idle;
    int live = 0;
    std::atomic<bool> ended{false};
    auto echo = [&](int c) {
        std::array<char, buffer_size> buffer;
        ssize_t n = ::recv(c, buffer.data(), buffer.size(), 0);
        switch (control_of(buffer.data(), n > 0 ? static_cast<std::size_t>(n) : 0)) {
            case control::hello: {
                const std::string g = greeting("blocking");
                write_all(c, g.data(), g.size());
                n = 0;
                break;
            }
            case control::end:
                ended = true;
                ::shutdown(l, SHUT_RDWR);  // wakes the accept below
                n = 0;
                break;
            case control::none: break;
        }
        while (n > 0) {
            write_all(c, buffer.data(), static_cast<std::size_t>(n));
            n = ::recv(c, buffer.data(), buffer.size(), 0);
        }
    };
    auto connection = [&](int c) {
        try {
            echo(c);
        } catch (const std::exception& e) {  // a reset: this connection only
            std::cerr << "zring-bench: tcp echo (blocking): " << e.what() << std::endl;
        }
        ::close(c);
        std::lock_guard lock(m);
        if (--live == 0) idle.notify_all();
    };
    std::exception_ptr failure;
    while (!failure) {
        const int c = ::accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0 && ended) break;
        if (c < 0 && (errno == EINTR || errno == ECONNABORTED)) continue;
        try {
            if (c < 0) fail("tcp: accept");
            set_nodelay(c);
            std::lock_guard lock(m);
            std::thread(connection, c).detach();  // a thread per connection: the blocking way
            ++live;
        } catch (...) {
            if (c >= 0) ::close(c);
            failure = std::current_exception();
        }
    }
    // The connections' threads use this frame: they end before it does.
    std::unique_lock lock(m);
    idle.wait(lock, [&] { return live == 0; });
    ::close(l);
    if (failure) std::rethrow_exception(failure);
}

zring::task<void> zring_connection(zring::tcp_stream c, const std::string& variant, std::stop_source& stop) {
    std::array<std::byte, buffer_size> buffer;
    std::size_t n = co_await c.read_some(buffer);
    switch (control_of(buffer.data(), n)) {
        case control::hello: {
            const std::string g = greeting(variant);
            co_await c.write(g);
            co_return;
        }
        case control::end: stop.request_stop(); co_return;
        case control::none: break;
    }
    while (n > 0) {
        co_await c.write(std::span<const std::byte>(buffer.data(), n));
        n = co_await c.read_some(buffer);
    }
}

zring::task<void> zring_accept(zring::tcp_listener& listener, const std::string& variant) {
    std::stop_source stop;
    co_await zring::with_task_group([&](zring::task_group& connections) -> zring::task<void> {
        for (;;) {
            try {
                zring::tcp_stream c = co_await listener.accept(std::nullopt, stop.get_token());
                connections.spawn(zring_connection(std::move(c), variant, stop));
            } catch (const zring::operation_cancelled&) {
                break;  // a client sent end; the group waits for the others' end of stream
            }
        }
    });
}

void zring_serve(const std::string& variant, const zring::endpoint& at, const listening_fn& listening) {
    zring::scheduler s(scheduler_options_for(variant));
    auto listener = zring::tcp_listener::listen(s, at.to_string(), {.backlog = 4096});
    listening(listener.local_endpoint());
    s.run(zring_accept(listener, variant));
}

#if ZRING_BENCH_HAVE_ASIO
namespace asio = detail::asio;
using asio_tcp = asio::ip::tcp;

asio::awaitable<void> asio_connection(asio_tcp::socket c, asio_tcp::acceptor& acceptor) {
    std::array<char, buffer_size> buffer;
    boost::system::error_code ec;
    std::size_t n = co_await c.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    switch (control_of(buffer.data(), ec ? 0 : n)) {
        case control::hello: {
            const std::string g = greeting("asio");
            co_await asio::async_write(c, asio::buffer(g), asio::use_awaitable);
            co_return;
        }
        case control::end:
            acceptor.close();  // ends the accept loop
            co_return;
        case control::none: break;
    }
    while (!ec && n > 0) {
        co_await asio::async_write(c, asio::buffer(buffer.data(), n), asio::use_awaitable);
        n = co_await c.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    }
}

asio::awaitable<void> asio_accept(asio_tcp::acceptor& acceptor) {
    for (;;) {
        boost::system::error_code ec;
        asio_tcp::socket c = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted) co_return;  // closed: a client sent end
        if (ec) throw boost::system::system_error(ec, "tcp echo (asio): accept");
        c.set_option(asio_tcp::no_delay(true));
        asio::co_spawn(acceptor.get_executor(), asio_connection(std::move(c), acceptor), asio::detached);
    }
}

void asio_serve(const zring::endpoint& at, const listening_fn& listening) {
    asio::io_context io(1);
    asio_tcp::acceptor acceptor(io, at.family() == AF_INET6 ? asio_tcp::v6() : asio_tcp::v4(), listening_socket(at));
    listening(zring::endpoint::local_of(acceptor.native_handle()));
    std::exception_ptr failure;
    asio::co_spawn(io, asio_accept(acceptor), [&](std::exception_ptr e) { failure = e; });
    io.run();
    if (failure) std::rethrow_exception(failure);
}
#endif

void serve(const std::string& variant, const zring::endpoint& at, const listening_fn& listening) {
    if (variant == "blocking") return blocking_serve(at, listening);
    if (is_zring(variant)) return zring_serve(variant, at, listening);
#if ZRING_BENCH_HAVE_ASIO
    if (variant == "asio") return asio_serve(at, listening);
#endif
    throw std::invalid_argument("tcp: no such variant: " + variant);
}

// Says `text` on a connection of its own and returns what the echo answers
// before it closes, waiting 10 s at most.
std::string tell(const zring::endpoint& echo, std::string_view text) {
    socket_fd s(blocking_connect(echo));
    write_all(s.fd, text.data(), text.size());
    ::shutdown(s.fd, SHUT_WR);  // all of it: whatever the echo read, it reads the end next
    const timeval patience{10, 0};
    ::setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
    std::string answer;
    char buffer[256];
    for (;;) {
        const ssize_t n = ::recv(s.fd, buffer, sizeof buffer, 0);
        if (n == 0) return answer;
        if (n > 0) {
            answer.append(buffer, static_cast<std::size_t>(n));
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            throw std::runtime_error("tcp: " + echo.to_string() + " answered '" + std::string(text) +
                                     "' with nothing in 10 s: not a zring-bench tcp echo?");
        } else if (errno != EINTR) {
            fail("tcp: recv from " + echo.to_string());
        }
    }
}

// The echo server of a local run, on its own thread, until stopped.
class local_echo {
public:
    explicit local_echo(const std::string& variant) {
        auto at = bound_.get_future();
        thread_ = std::thread([this, variant] {
            bool listening = false;
            try {
                serve(variant, zring::endpoint::parse("127.0.0.1:0"), [&](const zring::endpoint& e) {
                    listening = true;
                    bound_.set_value(e);
                });
            } catch (...) {
                failure_ = std::current_exception();
                if (!listening) bound_.set_exception(failure_);
            }
        });
        try {
            at_ = at.get();
        } catch (...) {
            thread_.join();
            throw;
        }
    }
    ~local_echo() {
        if (!thread_.joinable()) return;
        try {
            stop();
        } catch (const std::exception&) {  // stop() was not called: the run failed already
        }
    }
    const zring::endpoint& at() const { return at_; }
    // The server thread's CPU seconds so far.
    double cpu_seconds() {
        ::clockid_t id;
        ::timespec t{};
        if (::pthread_getcpuclockid(thread_.native_handle(), &id) != 0 || ::clock_gettime(id, &t) != 0) return 0;
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
    }
    // Ends the server; rethrows what ended it early, if anything did.
    void stop() {
        std::exception_ptr told;
        try {
            (void)tell(at_, end_of_session);
        } catch (...) {
            told = std::current_exception();
        }
        thread_.join();
        if (failure_) std::rethrow_exception(failure_);
        if (told) std::rethrow_exception(told);
    }

private:
    std::promise<zring::endpoint> bound_;
    std::thread thread_;
    zring::endpoint at_;
    std::exception_ptr failure_;  // written by the thread, read after join
};

// ---- ping-pong: the variant's client, mark(i) after round trip i ----

template <class Mark>
void ping_pong_client(const std::string& variant, const zring::endpoint& to, std::int64_t total, Mark mark) {
    const std::array<std::byte, ping_size> out{};
    std::array<std::byte, ping_size> in{};
    if (variant == "blocking") {
        const socket_fd s(blocking_connect(to));
        for (std::int64_t i = 0; i < total; ++i) {
            write_all(s.fd, out.data(), out.size());
            if (!read_all(s.fd, in.data(), in.size())) throw std::runtime_error("tcp ping-pong: the echo closed");
            mark(i);
        }
        return;
    }
    if (is_zring(variant)) {
        zring::scheduler s(scheduler_options_for(variant));
        s.run([&]() -> zring::task<void> {
            zring::tcp_stream c = co_await zring::tcp_stream::connect(s, to, 10s);
            for (std::int64_t i = 0; i < total; ++i) {
                co_await c.write(out);
                co_await c.read_exactly(in);
                mark(i);
            }
        }());
        return;
    }
#if ZRING_BENCH_HAVE_ASIO
    asio::io_context io(1);
    asio_tcp::socket c(io, to.family() == AF_INET6 ? asio_tcp::v6() : asio_tcp::v4(), blocking_connect(to));
    std::exception_ptr failure;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            for (std::int64_t i = 0; i < total; ++i) {
                co_await asio::async_write(c, asio::buffer(out), asio::use_awaitable);
                co_await asio::async_read(c, asio::buffer(in), asio::use_awaitable);
                mark(i);
            }
        },
        [&](std::exception_ptr e) { failure = e; });
    io.run();
    if (failure) std::rethrow_exception(failure);
#endif
}

void ping_pong(const std::string& variant, const zring::endpoint& to, std::int64_t warmup, std::int64_t count,
               report& out, const params& p) {
    std::vector<double> us;
    us.reserve(static_cast<std::size_t>(count));
    double cpu0 = 0;
    clock::time_point t0 = clock::now();
    ping_pong_client(variant, to, warmup + count, [&](std::int64_t i) {
        const auto now = clock::now();
        if (i == warmup - 1) cpu0 = thread_cpu_seconds();
        if (i >= warmup) us.push_back(std::chrono::duration<double, std::micro>(now - t0).count());
        t0 = clock::now();
    });
    record_round_trips(out.at("tcp", p, variant, "median_us", false), std::move(us), thread_cpu_seconds() - cpu0);
}

// ---- echo and accept: one client loop drives the server variant ----

zring::scheduler_options client_options() {
    static const bool io_uring = backend_starts(zring::backend::io_uring);
    return {.backend = io_uring ? zring::backend::io_uring : zring::backend::epoll};
}

struct window {
    clock::duration warmup, length;
};

// Messages/s over the window, and the server's CPU per message where
// server_cpu can read it (a local server).
void echo_load(const zring::endpoint& to, int connections, window w, const std::function<double()>& server_cpu,
               row& r) {
    zring::scheduler s(client_options());
    std::int64_t done = 0;
    bool stop = false;
    auto ping = [&](zring::tcp_stream& c) -> zring::task<void> {
        std::array<std::byte, echo_size> message{};
        while (!stop) {
            co_await c.write(message);  // unbounded: the watchdog bounds the run
            co_await c.read_exactly(message);
            ++done;
        }
    };
    s.run([&]() -> zring::task<void> {
        std::vector<zring::tcp_stream> streams;
        streams.reserve(static_cast<std::size_t>(connections));
        for (int i = 0; i < connections; ++i) {
            zring::tcp_stream c = co_await zring::tcp_stream::connect(s, to, 10s);
            streams.push_back(std::move(c));
        }
        co_await zring::with_task_group([&](zring::task_group& g) -> zring::task<void> {
            for (auto& c : streams) g.spawn(ping(c));
            co_await zring::sleep_for(w.warmup);
            const std::int64_t n0 = done;
            const double cpu0 = server_cpu ? server_cpu() : 0;
            const auto t0 = clock::now();
            co_await zring::sleep_for(w.length);
            const double seconds = seconds_between(t0, clock::now());
            const auto messages = static_cast<double>(done - n0);
            r.record("msgs_per_s", messages / seconds);
            if (server_cpu) r.record("server_cpu_ns_per_msg", (server_cpu() - cpu0) * 1e9 / messages);
            stop = true;
        });
    }());
}

// Connections/s for `count` connections after `warm` unmeasured ones, and
// the server's CPU per connection where server_cpu can read it.
void accept_storm(const zring::endpoint& to, int warm, int count, const std::function<double()>& server_cpu, row& r) {
    zring::scheduler s(client_options());
    auto storm = [&](int n) -> zring::task<void> {
        int started = 0;
        auto connector = [&]() -> zring::task<void> {
            std::array<std::byte, 16> buffer;
            while (started < n) {
                ++started;
                zring::tcp_stream c = co_await zring::tcp_stream::connect(s, to, 10s);
                c.shutdown_write();
                const std::size_t got = co_await c.read_some(buffer);
                if (got != 0) throw std::runtime_error("tcp accept: the echo sent bytes nobody wrote");
            }
        };
        std::vector<zring::task<void>> all;
        for (int i = 0; i < connectors; ++i) all.push_back(connector());
        co_await zring::when_all(std::move(all));
    };
    s.run(storm(warm));
    const double cpu0 = server_cpu ? server_cpu() : 0;
    const auto t0 = clock::now();
    s.run(storm(count));
    const double seconds = seconds_between(t0, clock::now());
    r.record("conns_per_s", count / seconds);
    if (server_cpu) r.record("server_cpu_us_per_conn", (server_cpu() - cpu0) * 1e6 / count);
}

struct counts {
    std::int64_t round_trips, warmup;
    window echo;
    int storm_warm, storm;
    std::vector<int> connections;
    explicit counts(const options& opt)
        : round_trips(opt.quick ? 2'000 : 20'000),
          warmup(opt.quick ? 200 : 2'000), echo{opt.quick ? window{20ms, 100ms} : window{200ms, 1s}},
          storm_warm(opt.quick ? 50 : 500),
          // Across hosts each connection leaves the client a socket in
          // TIME_WAIT for a minute, out of some 28,000 ports.
          storm(opt.quick          ? 500
                : opt.role.empty() ? 5'000
                                   : 2'000),
          connections(opt.quick ? std::vector<int>{1, 100} : std::vector<int>{1, 100, 1000}) {}
};

// Whether the descriptor limit allows `connections` (descriptors per
// connection: 2 with the server in this process); says so if not.
bool descriptors_for(int connections, int per_connection) {
    static const std::size_t limit = raise_descriptor_limit();
    if (static_cast<std::size_t>(connections * per_connection) + 256 <= limit) return true;
    std::cerr << "  tcp: skipping " << connections << " connections: the descriptor limit is " << limit << "\n";
    return false;
}

// The variants of echo and accept: the server is the variant, Asio first
// (the baseline); blocking has no place there (a thread per connection).
std::vector<std::string> server_variants(const options& opt) {
    std::vector<std::string> v;
    for (const auto& name : selected_variants(opt, tcp_variants()))
        if (name != "blocking") v.push_back(name);
    std::stable_partition(v.begin(), v.end(), [](const std::string& n) { return n == "asio"; });
    return v;
}

// A measurement's parameters; across hosts, with the remote server's variant.
params with_server(params p, const std::string& server) {
    if (!server.empty()) p.emplace_back("server", server);
    return p;
}
params ping_params(const counts& n, const std::string& server) {
    return with_server(
        {{"ping-pong", ""}, {"size", std::to_string(ping_size)}, {"round_trips", std::to_string(n.round_trips)}},
        server);
}
params echo_params(int connections, const std::string& server) {
    return with_server(
        {{"echo", ""}, {"connections", std::to_string(connections)}, {"size", std::to_string(echo_size)}}, server);
}
params accept_params(const counts& n, const std::string& server) {
    return with_server({{"accept", ""}, {"connections", std::to_string(n.storm)}}, server);
}

// "tcp://HOST:PORT" (PORT may be *) as an endpoint.
zring::endpoint endpoint_of(const std::string& flag, std::string text) {
    if (text.rfind("tcp://", 0) != 0)
        throw std::invalid_argument("tcp: " + flag + " takes tcp://HOST:PORT, not " + text);
    text.erase(0, 6);
    if (text.size() > 2 && text.compare(text.size() - 2, 2, ":*") == 0) text.replace(text.size() - 1, 1, "0");
    return zring::endpoint::parse(text);
}

void tcp_echo_role(const options& opt) {
    const std::string variant = opt.variants.empty() ? "zring" : opt.variants.front();
    serve(variant, endpoint_of("--bind", opt.bind),
          [](const zring::endpoint& e) { announce_listening("tcp://" + e.to_string()); });
}

void tcp_client_role(const options& opt, report& out) {
    const zring::endpoint to = endpoint_of("--connect", opt.connect);
    const auto deadline = clock::now() + 120s;  // the echo may be started minutes later
    std::string answer;
    for (;;) {
        try {
            answer = tell(to, hello);
            break;
        } catch (const std::system_error&) {
            if (clock::now() > deadline)
                throw std::runtime_error("no answer from " + opt.connect +
                                         " in 120 s: is a zring-bench tcp --role echo listening there?");
            std::this_thread::sleep_for(100ms);  // polling a peer that is not up yet
        }
    }
    const std::string prefix = greeting("");
    if (answer.rfind(prefix, 0) != 0)
        throw std::runtime_error("tcp --role client: " + opt.connect + " answered " + std::to_string(answer.size()) +
                                 " bytes that are no greeting: not a tcp --role echo");
    const std::string echo = "remote " + answer.substr(prefix.size());
    watchdog::start(std::chrono::seconds(120));
    const counts n(opt);
    for (int rep = 1; rep <= opt.repeat; ++rep) {
        progress("tcp", ping_params(n, echo), rep, opt.repeat);
        for (const auto& variant : in_turn(selected_variants(opt, tcp_variants()), rep))
            ping_pong(variant, to, n.warmup, n.round_trips, out, ping_params(n, echo));
        for (const int c : n.connections) {
            if (!descriptors_for(c, 1)) continue;
            progress("tcp", echo_params(c, echo), rep, opt.repeat);
            echo_load(to, c, n.echo, nullptr, out.at("tcp", echo_params(c, echo), "zring", "msgs_per_s", true));
        }
        progress("tcp", accept_params(n, echo), rep, opt.repeat);
        accept_storm(to, n.storm_warm, n.storm, nullptr,
                     out.at("tcp", accept_params(n, echo), "zring", "conns_per_s", true));
    }
    (void)tell(to, end_of_session);
}

}  // namespace

void tcp(const options& opt, report& out) {
    if (opt.role == "echo") return tcp_echo_role(opt);
    if (opt.role == "client") return tcp_client_role(opt, out);
    const counts n(opt);
    for (int rep = 1; rep <= opt.repeat; ++rep) {
        progress("tcp", ping_params(n, ""), rep, opt.repeat);
        for (const auto& variant : in_turn(selected_variants(opt, tcp_variants()), rep)) {
            local_echo echo(variant);
            ping_pong(variant, echo.at(), n.warmup, n.round_trips, out, ping_params(n, ""));
            echo.stop();
        }
    }
    for (const int c : n.connections) {
        if (!descriptors_for(c, 2)) continue;
        for (int rep = 1; rep <= opt.repeat; ++rep) {
            progress("tcp", echo_params(c, ""), rep, opt.repeat);
            for (const auto& variant : in_turn(server_variants(opt), rep)) {
                local_echo echo(variant);
                echo_load(
                    echo.at(), c, n.echo, [&] { return echo.cpu_seconds(); },
                    out.at("tcp", echo_params(c, ""), variant, "msgs_per_s", true));
                echo.stop();
            }
        }
    }
    for (int rep = 1; rep <= opt.repeat; ++rep) {
        progress("tcp", accept_params(n, ""), rep, opt.repeat);
        for (const auto& variant : in_turn(server_variants(opt), rep)) {
            local_echo echo(variant);
            accept_storm(
                echo.at(), n.storm_warm, n.storm, [&] { return echo.cpu_seconds(); },
                out.at("tcp", accept_params(n, ""), variant, "conns_per_s", true));
            echo.stop();
        }
    }
}

}  // namespace bench
