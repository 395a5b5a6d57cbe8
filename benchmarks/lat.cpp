// lat: round-trip latency over tcp against a plain blocking libzmq echo
// server; the client is the variant under test (REQ to REP, DEALER to ROUTER).
#include "bench.hpp"
#include "receivers.hpp"
#include "watchdog.hpp"

#include <future>
#include <string_view>
#include <thread>

namespace bench {

namespace {

void echo_server(zmq::context_t& context, zmq::socket_type type, std::promise<std::string>& endpoint,
                 std::int64_t round_trips) {
    zmq::socket_t s(context, type);
    s.bind("tcp://127.0.0.1:*");
    endpoint.set_value(s.get(zmq::sockopt::last_endpoint));
    zmq::message_t id, m;
    for (std::int64_t i = 0; i < round_trips; ++i) {
        if (type == zmq::socket_type::router) {
            (void)s.recv(id);
            (void)s.recv(m);
            (void)s.send(id, zmq::send_flags::sndmore);
        } else {
            (void)s.recv(m);
        }
        (void)s.send(m, zmq::send_flags::none);
    }
}

#if ZRING_BENCH_HAVE_ASIO
// Receives one message the way the Asio baselines wait on ZMQ_FD.
detail::asio::awaitable<void> asio_recv(zmq::socket_t& s, detail::asio::posix::stream_descriptor& fd, bool drain,
                                        zmq::message_t& m) {
    for (;;) {
        if (drain) {
            if (s.recv(m, zmq::recv_flags::dontwait)) co_return;
            if (s.get(zmq::sockopt::events) & ZMQ_POLLIN) continue;
        } else if (s.get(zmq::sockopt::events) & ZMQ_POLLIN) {
            if (s.recv(m, zmq::recv_flags::dontwait)) co_return;
            continue;
        }
        co_await fd.async_wait(detail::asio::posix::stream_descriptor::wait_read, detail::asio::use_awaitable);
    }
}
#endif

struct lat_run {
    std::vector<double> us;  // each measured round trip
    double cpu = 0;          // the client thread, over the measured round trips
};

// Runs warmup + count round trips with the variant's client; mark(i) after each.
template <class Mark>
void run_client(const std::string& variant, zmq::context_t& context, zmq::socket_type type, const std::string& endpoint,
                std::int64_t total, const std::string& payload, Mark mark) {
    if (is_zring(variant)) {
        zring::scheduler s(scheduler_options_for(variant));
        zring::socket c(s, context, type);
        c.connect(endpoint);
        s.run([&]() -> zring::task<void> {
            for (std::int64_t i = 0; i < total; ++i) {
                co_await c.send(zmq::message_t(payload.data(), payload.size()));
                co_await c.recv();
                mark(i);
            }
        }());
        return;
    }
    zmq::socket_t c(context, type);
    c.connect(endpoint);
    zmq::message_t m;
    if (variant == "raw") {
        for (std::int64_t i = 0; i < total; ++i) {
            (void)c.send(zmq::buffer(payload), zmq::send_flags::none);
            (void)c.recv(m);
            mark(i);
        }
        return;
    }
#if ZRING_BENCH_HAVE_ASIO
    namespace asio = detail::asio;
    asio::io_context io(1);
    detail::borrowed_fd fd(io, c);
    const bool drain = variant == "asio-drain";
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            for (std::int64_t i = 0; i < total; ++i) {
                (void)c.send(zmq::buffer(payload), zmq::send_flags::none);
                co_await asio_recv(c, fd.fd, drain, m);
                mark(i);
            }
        },
        asio::detached);
    io.run();
#endif
}

// warmup + count round trips with the variant's client against the echo at
// endpoint; the last count are measured.
lat_run measure(const std::string& variant, zmq::context_t& context, zmq::socket_type type,
                const std::string& endpoint, std::int64_t warmup, std::int64_t count, std::size_t size) {
    lat_run r;
    r.us.reserve(static_cast<std::size_t>(count));
    clock::time_point t0 = clock::now();
    double cpu0 = 0;
    run_client(variant, context, type, endpoint, warmup + count, std::string(size, 'x'), [&](std::int64_t i) {
        const auto now = clock::now();
        if (i == warmup - 1) cpu0 = thread_cpu_seconds();
        if (i >= warmup) r.us.push_back(std::chrono::duration<double, std::micro>(now - t0).count());
        t0 = clock::now();
    });
    r.cpu = thread_cpu_seconds() - cpu0;
    return r;
}

lat_run run_once(const std::string& variant, bool dealer, std::int64_t warmup, std::int64_t count, std::size_t size) {
    zmq::context_t context;
    std::promise<std::string> bound;
    auto endpoint = bound.get_future();
    std::thread server(echo_server, std::ref(context), dealer ? zmq::socket_type::router : zmq::socket_type::rep,
                       std::ref(bound), warmup + count);
    lat_run r = measure(variant, context, dealer ? zmq::socket_type::dealer : zmq::socket_type::req, endpoint.get(),
                        warmup, count, size);
    server.join();
    return r;
}

void record(report& out, const params& p, const std::string& variant, lat_run r) {
    record_round_trips(out.at("lat", p, variant, "median_us", false), std::move(r.us), r.cpu);
}

struct counts {
    std::int64_t round_trips, warmup;
    explicit counts(const options& opt)
        : round_trips(opt.quick ? 2'000 : 20'000), warmup(opt.quick ? 200 : 2'000) {}
};

std::vector<std::size_t> sizes_of(const options& opt) {
    return opt.sizes.empty() ? std::vector<std::size_t>{16} : opt.sizes;
}

// ---- across hosts, as libzmq's local_lat and remote_lat ----
//
// The echo binds a ROUTER at --bind and returns every message to its
// sender; the client measures with a DEALER per variant and repetition.
// The client's first message, hello, is answered with the echo's variant;
// its last, end, ends the echo.

constexpr std::string_view hello = "zring-bench hello";
constexpr std::string_view end_of_session = "zring-bench end";

// Whether the echo goes on after returning message m, the last frame of a
// message (and what it returns).
bool answer(const std::string& variant, zmq::message_t& m) {
    if (m.to_string_view() == hello) m = zmq::message_t("zring-bench echo " + variant);
    return m.to_string_view() != end_of_session;
}

// Every frame goes back as it came, the sender's identity first; the
// round trips the client measures are [payload] from a DEALER.
void raw_echo(zmq::context_t& context, const std::string& bind) {
    zmq::socket_t s(context, zmq::socket_type::router);
    s.bind(bind);
    announce_listening(s);
    zmq::message_t m;
    for (bool more = true; more;) {
        for (bool last = false; !last;) {
            (void)s.recv(m);
            last = !m.more();
            if (last) more = answer("raw", m);
            (void)s.send(m, last ? zmq::send_flags::none : zmq::send_flags::sndmore);
        }
    }
}

void zring_echo(const std::string& variant, zmq::context_t& context, const std::string& bind) {
    zring::scheduler scheduler(scheduler_options_for(variant));
    zring::socket s(scheduler, context, zmq::socket_type::router);
    s.bind(bind);
    announce_listening(s.native());
    scheduler.run([](zring::socket& s, std::string variant) -> zring::task<void> {
        zmq::message_t m;
        for (bool more = true; more;) {
            for (bool last = false; !last;) {
                co_await s.recv(m);
                last = !m.more();
                if (last) more = answer(variant, m);
                co_await s.send(std::move(m), last ? zmq::send_flags::none : zmq::send_flags::sndmore);
            }
        }
    }(s, variant));
}

void lat_echo(const options& opt) {
    const std::string variant = opt.variants.empty() ? "raw" : opt.variants.front();
    zmq::context_t context;
    if (variant == "raw")
        raw_echo(context, opt.bind);
    else
        zring_echo(variant, context, opt.bind);
    remove_ipc_file(opt.bind);
}

void lat_client(const options& opt, report& out) {
    zmq::context_t context;
    zmq::socket_t control(context, zmq::socket_type::dealer);
    control.connect(opt.connect);
    const std::string greeting = handshake(control, hello, opt.connect, "lat --role echo");
    constexpr std::string_view echo_greeting = "zring-bench echo ";
    if (greeting.rfind(echo_greeting, 0) != 0)
        throw std::runtime_error("lat --role client: " + opt.connect + " answered '" + greeting +
                                 "': not a lat --role echo");
    const std::string echo_variant = greeting.substr(echo_greeting.size());
    watchdog::start(std::chrono::seconds(120));
    const counts n(opt);
    role_progress told("lat --role client", sizes_of(opt).size(), selected_variants(opt).size(), opt.repeat);
    for (const std::size_t size : sizes_of(opt)) {
        const params p{{"DEALER/ROUTER", ""},
                       {"size", std::to_string(size)},
                       {"transport", opt.connect.substr(0, opt.connect.find(':'))},
                       {"echo", "remote " + echo_variant},
                       {"round_trips", std::to_string(n.round_trips)}};
        for (int rep = 1; rep <= opt.repeat; ++rep) {
            progress("lat", p, rep, opt.repeat);
            for (const auto& variant : selected_variants(opt)) {
                watchdog::note("lat --role client: " + variant + ", " + std::to_string(size) + " B, repetition " +
                               std::to_string(rep));  // a slow link may take minutes per repetition
                record(out, p, variant,
                       measure(variant, context, zmq::socket_type::dealer, opt.connect, n.warmup, n.round_trips, size));
                told.finished(variant, size, rep);
            }
        }
    }
    request_reply(control, end_of_session);
}

}  // namespace

void lat(const options& opt, report& out) {
    if (opt.role == "echo") return lat_echo(opt);
    if (opt.role == "client") return lat_client(opt, out);
    const counts n(opt);
    const std::int64_t count = n.round_trips, warmup = n.warmup;
    const std::vector<std::size_t> sizes = sizes_of(opt);
    for (const std::size_t size : sizes) {
        for (const bool dealer : {false, true}) {
            const params p{{dealer ? "DEALER/ROUTER" : "REQ/REP", ""},
                           {"size", std::to_string(size)},
                           {"transport", "tcp"},
                           {"round_trips", std::to_string(count)}};
            for (int rep = 1; rep <= opt.repeat; ++rep) {
                progress("lat", p, rep, opt.repeat);
                for (const auto& variant : selected_variants(opt))
                    record(out, p, variant, run_once(variant, dealer, warmup, count, size));
            }
        }
    }
}

}  // namespace bench
