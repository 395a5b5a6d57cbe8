// fanin: N PULL sockets, each awaited by its own receiver, fed round-robin by
// one blocking PUSH. Measures throughput across all of them, and what an idle
// socket with its waiting receiver costs in memory: heap bytes per socket
// (the raw variant's are libzmq's alone, so the difference is the variant's
// own) and resident bytes per socket; and how long closing them all takes.
#include "bench.hpp"
#include "receivers.hpp"

#include <sys/resource.h>

#include <atomic>
#include <iostream>
#include <thread>

namespace bench {

namespace {

struct fanin_run {
    double msgs_per_s = 0;
    double heap_per_socket = 0;
    double rss_per_socket = 0;
    double teardown_ms = 0;  // last message to every socket closed and the loop gone
};

fanin_run run_once(const std::string& variant, int sockets, std::int64_t count) {
    zmq::context_t context;
    context.set(zmq::ctxopt::max_sockets, sockets + 64);
    const std::string base = fresh_endpoint("inproc");
    const auto endpoint = [&](int i) { return base + "-" + std::to_string(i); };
    fanin_run r;
    const std::size_t heap0 = heap_bytes_in_use(), rss0 = resident_bytes();
    std::thread sender;
    std::atomic<std::int64_t> received{0};
    std::atomic<clock::rep> start{0};  // raw receivers run on many threads
    clock::time_point last;
    receive(variant,
            {context, zmq::socket_type::pull, sockets, [&](zmq::socket_ref s, int i) { s.bind(endpoint(i)); },
             [&] {
                 // Every receiver waits now: measure, then let the sender go.
                 r.heap_per_socket = static_cast<double>(heap_bytes_in_use() - heap0) / sockets;
                 r.rss_per_socket = static_cast<double>(resident_bytes() - rss0) / sockets;
                 sender = std::thread([&] {
                     zmq::socket_t push(context, zmq::socket_type::push);
                     for (int i = 0; i < sockets; ++i) push.connect(endpoint(i));
                     for (std::int64_t i = 0; i < count; ++i)
                         (void)push.send(zmq::str_buffer("0123456789abcdef"), zmq::send_flags::none);
                 });
             }},
            [&](int) {
                const std::int64_t n = received.fetch_add(1, std::memory_order_relaxed) + 1;
                if (n == 1) start = clock::now().time_since_epoch().count();
                if (n < count) return true;
                const clock::time_point first{clock::duration(start.load())};
                last = clock::now();
                r.msgs_per_s = static_cast<double>(count - 1) / seconds_between(first, last);
                return false;
            });
    r.teardown_ms = seconds_between(last, clock::now()) * 1e3;
    sender.join();
    return r;
}

}  // namespace

void fanin(const options& opt, report& out) {
    const std::vector<int> socket_counts = opt.quick ? std::vector<int>{1, 100} : std::vector<int>{1, 1000, 10000};
    const std::int64_t count = opt.quick ? 20'000 : 1'000'000;
    const std::size_t fds = raise_descriptor_limit();  // each socket needs one (its mailbox)
    for (const int sockets : socket_counts) {
        if (static_cast<std::size_t>(sockets) + 256 > fds) {
            std::cerr << "  fanin: skipping " << sockets << " sockets: the descriptor limit is " << fds << "\n";
            continue;
        }
        const params p{{"sockets", std::to_string(sockets)},
                       {"transport", "inproc"},
                       {"size", "16"},
                       {"msgs", std::to_string(count)}};
        for (int rep = 1; rep <= opt.repeat; ++rep) {
            progress("fanin", p, rep, opt.repeat);
            for (const auto& variant : selected_variants(opt)) {
                const fanin_run r = run_once(variant, sockets, count);
                row& x = out.at("fanin", p, variant, "msgs_per_s", true);
                x.record("msgs_per_s", r.msgs_per_s);
                x.record("heap_bytes_per_socket", r.heap_per_socket);
                x.record("rss_bytes_per_socket", r.rss_per_socket);
                x.record("teardown_ms", r.teardown_ms);
            }
        }
    }
}

}  // namespace bench
