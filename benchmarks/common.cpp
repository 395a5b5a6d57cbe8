#include "bench.hpp"
#include "receivers.hpp"
#include "watchdog.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <stdexcept>

namespace bench {

namespace {

bool backend_starts(zring::backend b) {
    try {
        zring::scheduler probe({.backend = b});
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

bool listed(const std::vector<std::string>& list, const std::string& item) {
    return list.empty() || std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

std::vector<std::string> selected_variants(const options& opt) {
    std::vector<std::string> out;
    for (const auto& v : zmq_variants()) {
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

void progress(const std::string& benchmark, const params& p, int repetition, int of) {
    std::string text = benchmark;
    for (const auto& [k, v] : p) text += " " + (v.empty() ? k : k + "=" + v);
    text += "  [" + std::to_string(repetition) + "/" + std::to_string(of) + "]";
    std::cerr << "  " << text << std::endl;
    watchdog::note(text);
}

std::string fresh_endpoint(const std::string& transport) {
    static std::atomic<int> counter{0};
    const std::string id = std::to_string(::getpid()) + "-" + std::to_string(counter++);
    if (transport == "inproc") return "inproc://zring-bench-" + id;
    if (transport == "ipc") return "ipc:///tmp/zring-bench-" + id;
    if (transport == "tcp") return "tcp://127.0.0.1:*";
    throw std::invalid_argument("unknown transport '" + transport + "' (inproc, ipc or tcp)");
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
