// The targets zring is held to, checked against whatever this run measured.
#include "bench.hpp"
#include "receivers.hpp"

#include <cstdio>

namespace bench {

namespace {

// The first row of the benchmark and variant whose params include all of
// `want`. Rows measured against another host (--role: their sender, echo or
// server is remote) are not held to the targets, which are set for one host.
const row* lookup(const report& r, const std::string& benchmark, const std::string& variant, const params& want) {
    return r.find([&](const row& x) {
        if (x.benchmark != benchmark || x.variant != variant) return false;
        if (x.param("sender") || !x.param("echo").value_or("").empty() || x.param("server")) return false;
        for (const auto& [k, v] : want)
            if (x.param(k) != v) return false;
        return true;
    });
}

void expect(report& out, const std::string& name, std::optional<double> value, bool at_most, double bound) {
    if (!value) return;
    char text[32];
    std::snprintf(text, sizeof text, "%s %g", at_most ? "<=" : ">=", bound);
    out.add_target({name, *value, text, at_most ? *value <= bound : *value >= bound});
}

// a's metric over b's, paired by repetition as report::ratio pairs them.
std::optional<double> quotient(const row* a, const row* b, const std::string& metric) {
    if (!a || !b || !a->values(metric) || !b->values(metric)) return std::nullopt;
    return paired_ratio(*a->values(metric), *b->values(metric));
}

}  // namespace

void check_targets(report& out) {
    for (const std::string transport : {"inproc", "tcp"}) {
        const params p{{"size", "16"}, {"transport", transport}};
        const row* zring = lookup(out, "thr", "zring", p);
        const row* raw = lookup(out, "thr", "raw", p);
        const row* asio = lookup(out, "thr", "asio-drain", p);
        const std::string what = "thr 16 B " + transport + ": zring / ";
        expect(out, what + "raw msgs/s", quotient(zring, raw, "msgs_per_s"), false, 0.95);
        expect(out, what + "asio-drain msgs/s", quotient(zring, asio, "msgs_per_s"), false, 1.0);
        expect(out, what + "asio-drain receiver CPU per msg", quotient(zring, asio, "rx_thread_cpu_ns_per_msg"), true,
               1.0);
        // The epoll backend: within 10% of io_uring, and no more CPU than Asio (itself on epoll).
        const row* epoll = lookup(out, "thr", "zring-epoll", p);
        const std::string on_epoll = "thr 16 B " + transport + ": zring-epoll / ";
        expect(out, on_epoll + "zring (io_uring) msgs/s", quotient(epoll, zring, "msgs_per_s"), false, 0.90);
        expect(out, on_epoll + "asio-drain receiver CPU per msg", quotient(epoll, asio, "rx_thread_cpu_ns_per_msg"),
               true, 1.0);
    }
    const params reqrep{{"REQ/REP", ""}, {"size", "16"}};
    const row* zring = lookup(out, "lat", "zring", reqrep);
    expect(out, "lat REQ/REP tcp: zring / raw median", quotient(zring, lookup(out, "lat", "raw", reqrep), "median_us"),
           true, 1.10);
    expect(out, "lat REQ/REP tcp: zring / raw p99", quotient(zring, lookup(out, "lat", "raw", reqrep), "p99_us"), true,
           1.25);
    expect(out, "lat REQ/REP tcp: zring / asio-drain median",
           quotient(zring, lookup(out, "lat", "asio-drain", reqrep), "median_us"), true, 1.0);
    expect(out, "lat REQ/REP tcp: zring-epoll / zring (io_uring) median",
           quotient(lookup(out, "lat", "zring-epoll", reqrep), zring, "median_us"), true, 1.10);

    // Plain TCP: a round trip within 15% of blocking sockets (the floor) and
    // no slower than Asio; an echo server that keeps up with Asio at every
    // connection count, on less CPU.
    const params ping{{"ping-pong", ""}};
    for (const std::string variant : {"zring", "zring-epoll"}) {
        const row* r = lookup(out, "tcp", variant, ping);
        expect(out, "tcp ping-pong: " + variant + " / blocking median",
               quotient(r, lookup(out, "tcp", "blocking", ping), "median_us"), true, 1.15);
        expect(out, "tcp ping-pong: " + variant + " / asio median",
               quotient(r, lookup(out, "tcp", "asio", ping), "median_us"), true, 1.0);
    }
    for (const row& x : out.rows()) {
        if (x.benchmark != "tcp" || x.param("echo") != "" || x.param("server") || !is_zring(x.variant)) continue;
        const params echo{{"echo", ""}, {"connections", *x.param("connections")}};
        const row* asio = lookup(out, "tcp", "asio", echo);
        const std::string what = "tcp echo " + *x.param("connections") + " connections: " + x.variant + " / asio ";
        expect(out, what + "msgs/s", quotient(&x, asio, "msgs_per_s"), false, 1.0);
        expect(out, what + "server CPU per msg", quotient(&x, asio, "server_cpu_ns_per_msg"), true, 1.0);
    }

    // HTTP hello world: at least 1.2x Boost.Beast's requests/s and 10x Tornado's.
    for (const row& x : out.rows()) {
        if (x.benchmark != "http" || !is_zring(x.variant)) continue;
        const params same{{"hello", ""}, {"connections", *x.param("connections")}, {"keep-alive", *x.param("keep-alive")}};
        const std::string what = "http " + *x.param("connections") + " connections, keep-alive " +
                                 *x.param("keep-alive") + ": " + x.variant + " / ";
        expect(out, what + "beast requests/s", quotient(&x, lookup(out, "http", "beast", same), "requests_per_s"),
               false, 1.2);
        expect(out, what + "tornado requests/s", quotient(&x, lookup(out, "http", "tornado", same), "requests_per_s"),
               false, 10);
    }

    // SSE fan-out: on io_uring every event reaches every subscriber. (Its
    // ratio to Tornado is reported, not held to a bound: it is capped by
    // what the publisher offers, all of which zring delivers.)
    for (const row& x : out.rows()) {
        if (x.benchmark != "sse" || x.variant != "zring") continue;
        expect(out, "sse fan-out to " + *x.param("subscribers") + ": zring delivered fraction",
               x.median("delivered_fraction"), false, 0.99);
    }

    if (const row* r = lookup(out, "loop", "zring", {{"call_soon", ""}}))
        expect(out, "loop: call_soon callbacks/s", r->median("callbacks_per_s"), false, 20e6);
    if (const row* r = lookup(out, "loop", "zring", {{"suspend+resume", ""}}))
        expect(out, "loop: coroutine suspend+resume ns", r->median("ns_per_resume"), true, 20);
    if (const row* r = lookup(out, "loop", "zring", {{"timers scheduled+fired", ""}, {"n", "1000000"}}))
        expect(out, "loop: 1,000,000 timers scheduled+fired, seconds", r->median("seconds"), true, 1.0);

    // Multi-core: zring keeps up with a blocking thread per socket at every
    // N, and two receivers on two cores do nearly twice the work of one.
    const row* one_receiver = nullptr;
    const row* two_receivers = nullptr;
    for (const row& x : out.rows()) {
        if (x.benchmark != "mt" || x.variant != "zring") continue;
        const std::string n = x.param("receivers").value_or("");
        if (n.empty()) continue;
        if (n == "1") one_receiver = &x;
        if (n == "2") two_receivers = &x;
        expect(out, "mt scaling " + n + " receivers: zring / raw msgs/s",
               quotient(&x, lookup(out, "mt", "raw", {{"receivers", n}}), "msgs_per_s"), false, 0.95);
    }
    expect(out, "mt scaling: zring 2 receivers / 1 receiver msgs/s",
           quotient(two_receivers, one_receiver, "msgs_per_s"), false, 1.7);
    for (const std::string hopper : {"zring", "zring-eventfd", "zring-epoll"})
        expect(out, "mt hop: " + hopper + " / asio post median",
               quotient(lookup(out, "mt", hopper, {{"hop", ""}}), lookup(out, "mt", "asio", {{"hop", ""}}), "median_ns"),
               true, 1.0);
    expect(out, "mt offload round trip: zring / asio thread_pool median",
           quotient(lookup(out, "mt", "zring", {{"offload", ""}}), lookup(out, "mt", "asio", {{"offload", ""}}),
                    "median_ns"),
           true, 1.0);

    // Fan-in: the most sockets measured, against one socket.
    const row* one = lookup(out, "fanin", "zring", {{"sockets", "1"}});
    const row* most = nullptr;
    for (const row& x : out.rows()) {
        if (x.benchmark == "fanin" && x.variant == "zring" &&
            (!most || std::stoi(*x.param("sockets")) > std::stoi(*most->param("sockets"))))
            most = &x;
    }
    if (one && most && most != one) {
        const std::string n = *most->param("sockets");
        expect(out, "fanin " + n + " sockets: zring msgs/s / 1 socket", quotient(most, one, "msgs_per_s"), false, 0.80);
        const row* raw = lookup(out, "fanin", "raw", {{"sockets", n}});
        if (raw && most->median("heap_bytes_per_socket") && raw->median("heap_bytes_per_socket"))
            expect(out, "fanin " + n + " sockets: zring-owned heap bytes per idle socket+coroutine",
                   *most->median("heap_bytes_per_socket") - *raw->median("heap_bytes_per_socket"), true, 4096);
    }
}

}  // namespace bench
