#include "bench.hpp"
#include "receivers.hpp"
#include "watchdog.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <stdexcept>

namespace bench {

std::vector<std::string> selected_variants(const options& opt) {
    std::vector<std::string> out;
    for (const auto& v : zmq_variants())
        if (opt.variants.empty() || std::find(opt.variants.begin(), opt.variants.end(), v) != opt.variants.end())
            out.push_back(v);
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
