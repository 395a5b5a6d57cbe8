#include "bench.hpp"
#include "receivers.hpp"
#include "watchdog.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <stdexcept>

namespace bench {

bool backend_starts(zring::backend b) {
    try {
        zring::scheduler probe({.backend = b});
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

namespace {

bool listed(const std::vector<std::string>& list, const std::string& item) {
    return list.empty() || std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

std::vector<std::string> selected_variants(const options& opt) { return selected_variants(opt, zmq_variants()); }

std::vector<std::string> selected_variants(const options& opt, const std::vector<std::string>& all) {
    std::vector<std::string> out;
    for (const auto& v : all) {
        if (!listed(opt.variants, v)) continue;
        if (is_zring(v)) {
            const zring::backend b = scheduler_options_for(v).backend;
            if (!listed(opt.backends, std::string(zring::to_string(b)))) continue;
            // Where the kernel refuses io_uring, its variant cannot run.
            static const bool io_uring_starts = backend_starts(zring::backend::io_uring);
            if (b == zring::backend::io_uring && !io_uring_starts) continue;
        }
        out.push_back(v);
    }
    return out;
}

std::vector<std::string> in_turn(std::vector<std::string> variants, int rep) {
    if (!variants.empty())
        std::rotate(variants.begin(), variants.begin() + (rep - 1) % static_cast<int>(variants.size()), variants.end());
    return variants;
}

void record_round_trips(row& r, std::vector<double> us, double client_cpu_seconds) {
    std::sort(us.begin(), us.end());
    double sum = 0;
    for (const double v : us) sum += v;
    const auto n = static_cast<double>(us.size());
    r.record("median_us", quantile(us, 0.5));
    r.record("mean_us", sum / n);
    r.record("p99_us", quantile(us, 0.99));
    r.record("p99.9_us", quantile(us, 0.999));
    r.record("client_cpu_us_per_rt", client_cpu_seconds * 1e6 / n);
}

namespace {
struct {
    std::string name;
    int index = 0, count = 0;
} stage;
const auto started = clock::now();
}  // namespace

void begin_benchmark(const std::string& name, int index, int count) {
    stage.name = name;
    stage.index = index;
    stage.count = count;
}

void progress(const std::string& benchmark, const params& p, int repetition, int of) {
    std::string text = benchmark;
    for (const auto& [k, v] : p) text += " " + (v.empty() ? k : k + "=" + v);
    text += ", repetition " + std::to_string(repetition) + " of " + std::to_string(of);
    note_progress(text);
}

void note_progress(const std::string& text) {
    watchdog::note(text);
    if (!::isatty(STDERR_FILENO)) return;
    const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(clock::now() - started).count();
    char clock_text[32];
    std::snprintf(clock_text, sizeof clock_text, "%lld:%02lld", static_cast<long long>(elapsed / 60),
                  static_cast<long long>(elapsed % 60));
    const std::string stage_text =
        stage.count > 0 ? std::to_string(stage.index) + "/" + std::to_string(stage.count) + " " + stage.name + ", "
                        : "";
    std::cerr << "zring-bench [" + stage_text + clock_text + " elapsed] " + text + "\n" << std::flush;
}

role_progress::role_progress(std::string role, std::size_t sizes, std::size_t variants, int repetitions)
    : role_(std::move(role)), total_(sizes * variants * static_cast<std::size_t>(repetitions)) {
    std::cerr << "zring-bench: " + role_ + ": " + std::to_string(total_) + " measurements (" + std::to_string(sizes) +
                     " sizes x " + std::to_string(variants) + " variants x " + std::to_string(repetitions) +
                     " repetitions); a line as each finishes\n"
              << std::flush;
}

void role_progress::finished(const std::string& variant, std::size_t size, int repetition) {
    ++done_;
    const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(clock::now() - started).count();
    std::cerr << "zring-bench: " + role_ + ": " + std::to_string(done_) + "/" + std::to_string(total_) + " done (" +
                     variant + ", " + std::to_string(size) + " B, repetition " + std::to_string(repetition) + ", " +
                     std::to_string(elapsed) + " s elapsed)\n"
              << std::flush;
}

std::size_t raise_descriptor_limit() {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
    return static_cast<std::size_t>(limit.rlim_cur);
}

std::string fresh_endpoint(const std::string& transport) {
    static std::atomic<int> counter{0};
    const std::string id = std::to_string(::getpid()) + "-" + std::to_string(counter++);
    if (transport == "inproc") return "inproc://zring-bench-" + id;
    if (transport == "ipc") return "ipc:///tmp/zring-bench-" + id;
    if (transport == "tcp") return "tcp://127.0.0.1:*";
    throw std::invalid_argument("unknown transport '" + transport + "' (inproc, ipc or tcp)");
}

void remove_ipc_file(const std::string& endpoint) {
    if (endpoint.rfind("ipc://", 0) == 0) ::unlink(endpoint.c_str() + 6);
}

void announce_listening(zmq::socket_ref s) { announce_listening(s.get(zmq::sockopt::last_endpoint)); }

void announce_listening(const std::string& endpoint) {
    // One write, so that a script reading the line never sees half of it.
    std::cerr << "zring-bench: listening on " + endpoint + "\n" << std::flush;
}

std::string handshake(zmq::socket_ref s, std::string_view hello, const std::string& endpoint, const std::string& peer) {
    constexpr int patience_ms = 120'000;  // the other side may be started minutes later
    s.set(zmq::sockopt::rcvtimeo, patience_ms);
    (void)s.send(zmq::buffer(hello), zmq::send_flags::none);
    zmq::message_t reply;
    if (!s.recv(reply))
        throw std::runtime_error("no answer from " + endpoint + " in " + std::to_string(patience_ms / 1000) +
                                 " s: is a zring-bench " + peer + " listening there?");
    s.set(zmq::sockopt::rcvtimeo, -1);
    return reply.to_string();
}

std::string request_reply(zmq::socket_ref s, std::string_view request) {
    (void)s.send(zmq::buffer(request), zmq::send_flags::none);
    zmq::message_t reply;
    (void)s.recv(reply);
    return reply.to_string();
}

std::string data_endpoint(const std::string& bind) {
    static std::atomic<int> counter{0};
    if (bind.rfind("tcp://", 0) == 0) return bind.substr(0, bind.rfind(':')) + ":*";
    if (bind.rfind("ipc://", 0) == 0)  // this process's own: a stale sender cannot reach it
        return bind + "-data-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    throw std::invalid_argument("not a tcp:// or ipc:// endpoint: " + bind);
}

std::string reachable(const std::string& endpoint, const std::string& connect) {
    if (endpoint.rfind("tcp://", 0) != 0 || connect.rfind("tcp://", 0) != 0) return endpoint;
    return connect.substr(0, connect.rfind(':')) + endpoint.substr(endpoint.rfind(':'));
}

void send_messages(zmq::context_t& context, const std::string& endpoint, std::int64_t count, std::size_t size,
                   const std::function<void()>& before_close) {
    zmq::socket_t push(context, zmq::socket_type::push);
    push.connect(endpoint);
    const std::string payload(size, 'x');
    for (std::int64_t i = 0; i < count; ++i) (void)push.send(zmq::buffer(payload), zmq::send_flags::none);
    before_close();
}

}  // namespace bench
