// pubsub: one publisher to N subscribers (the variant receives on N SUB
// sockets), and N publishers into one subscriber. Publishers are plain
// blocking libzmq XPUBs that start once their subscriptions arrived, and
// nothing is dropped (high-water marks off), so every message is counted.
#include "bench.hpp"
#include "receivers.hpp"

#include <atomic>
#include <thread>

namespace bench {

namespace {

// Publishes count messages once `subscribers` subscriptions arrived.
void publish(zmq::socket_t& xpub, int subscribers, std::int64_t count, clock::time_point* started) {
    zmq::message_t subscription;
    for (int i = 0; i < subscribers; ++i) (void)xpub.recv(subscription);
    if (started) *started = clock::now();
    for (std::int64_t i = 0; i < count; ++i) (void)xpub.send(zmq::str_buffer("updates"), zmq::send_flags::none);
}

zmq::socket_t make_xpub(zmq::context_t& context) {
    zmq::socket_t xpub(context, zmq::socket_type::xpub);
    xpub.set(zmq::sockopt::sndhwm, 0);
    xpub.set(zmq::sockopt::xpub_verbose, true);  // every subscription reaches publish(), duplicates too
    return xpub;
}

void subscribe_all(zmq::socket_ref s) {
    s.set(zmq::sockopt::rcvhwm, 0);
    s.set(zmq::sockopt::subscribe, "");
}

// 1 publisher -> n subscribers: deliveries per second, publisher start to last delivery.
double fan_out(const std::string& variant, int n, std::int64_t count) {
    zmq::context_t context;
    zmq::socket_t xpub = make_xpub(context);
    xpub.bind(fresh_endpoint("inproc"));
    const std::string endpoint = xpub.get(zmq::sockopt::last_endpoint);
    clock::time_point start;
    std::thread publisher;
    std::vector<std::int64_t> received(static_cast<std::size_t>(n));  // each touched by one receiver
    std::atomic<int> finished{0};
    receive(variant,
            {context, zmq::socket_type::sub, n,
             [&](zmq::socket_ref s, int) {
                 subscribe_all(s);
                 s.connect(endpoint);
             },
             [&] { publisher = std::thread(publish, std::ref(xpub), n, count, &start); }},
            [&](int i) { return ++received[static_cast<std::size_t>(i)] < count || ++finished < n; });
    const double seconds = seconds_between(start, clock::now());
    publisher.join();
    return static_cast<double>(count) * n / seconds;
}

// n publishers -> 1 subscriber: messages per second, first to last at the subscriber.
double fan_in(const std::string& variant, int n, std::int64_t count) {
    zmq::context_t context;
    const std::string endpoint = fresh_endpoint("inproc");
    std::vector<zmq::socket_t> xpubs;
    std::vector<std::thread> publishers;
    const std::int64_t total = count * n;
    std::int64_t received = 0;
    clock::time_point start;
    receive(variant,
            {context, zmq::socket_type::sub, 1,
             [&](zmq::socket_ref s, int) {
                 subscribe_all(s);
                 s.bind(endpoint);
             },
             [&] {
                 for (int i = 0; i < n; ++i) {
                     xpubs.push_back(make_xpub(context));
                     xpubs.back().connect(endpoint);
                 }
                 for (auto& x : xpubs) publishers.emplace_back(publish, std::ref(x), 1, count, nullptr);
             }},
            [&](int) {
                if (++received == 1) start = clock::now();
                return received < total;
            });
    const double seconds = seconds_between(start, clock::now());
    for (auto& t : publishers) t.join();
    return static_cast<double>(total - 1) / seconds;
}

}  // namespace

void pubsub(const options& opt, report& out) {
    const int n = opt.quick ? 4 : 16;
    const std::int64_t count = opt.quick ? 10'000 : 100'000;
    for (const bool out_direction : {true, false}) {
        const params p{{out_direction ? "1 pub -> N subs" : "N pubs -> 1 sub", ""},
                       {"N", std::to_string(n)},
                       {"transport", "inproc"},
                       {"msgs_per_publisher", std::to_string(count)}};
        for (int rep = 1; rep <= opt.repeat; ++rep) {
            progress("pubsub", p, rep, opt.repeat);
            for (const auto& variant : selected_variants(opt)) {
                const double rate = out_direction ? fan_out(variant, n, count) : fan_in(variant, n, count);
                out.at("pubsub", p, variant, "msgs_per_s", true).record("msgs_per_s", rate);
            }
        }
    }
}

}  // namespace bench
