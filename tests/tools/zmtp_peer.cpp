// zmtp-peer: a native-engine peer for interop tests against clients zring
// did not write (pyzmq). Three roles:
//   zmtp-peer echo TYPE bind|connect ENDPOINT
//       returns every message as it came (REP, ROUTER, DEALER, PAIR)
//   zmtp-peer forward IN_TYPE bind|connect IN_ENDPOINT OUT_TYPE bind|connect OUT_ENDPOINT
//       sends every message received on IN on OUT (PULL to PUSH, SUB to PUB); as
//       a proxy, XSUB to XPUB, also the subscriptions back from OUT to IN
//   zmtp-peer ask TYPE bind|connect ENDPOINT BURST
//       drives an echo (REQ, DEALER, PAIR): sizes 0 1 255 256 1 MiB, 100 frames,
//       then BURST messages; exits 1 naming the first mismatch
// A tcp endpoint to bind may name port * (the kernel picks). Prints "ready"
// and each socket's last endpoint once they are bound or connected; exits 0 on SIGTERM
// (echo, forward) or when done (ask). Heartbeats (ZMQ_HEARTBEAT_IVL) with
// ZMTP_PEER_HEARTBEAT_MS in the environment, a routing id with ZMTP_PEER_ID,
// both high-water marks with ZMTP_PEER_HWM.
#include <zring/zring.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;

zmq::socket_type type_of(const std::string& name) {
    static const std::map<std::string, zmq::socket_type> types{
        {"PAIR", zmq::socket_type::pair}, {"PUSH", zmq::socket_type::push},     {"PULL", zmq::socket_type::pull},
        {"PUB", zmq::socket_type::pub},   {"SUB", zmq::socket_type::sub},       {"REQ", zmq::socket_type::req},
        {"REP", zmq::socket_type::rep},   {"DEALER", zmq::socket_type::dealer}, {"ROUTER", zmq::socket_type::router},
        {"XPUB", zmq::socket_type::xpub}, {"XSUB", zmq::socket_type::xsub}};
    const auto it = types.find(name);
    if (it == types.end()) throw std::invalid_argument("unknown socket type " + name);
    return it->second;
}

zring::zmtp::socket open(zring::scheduler& s, const std::string& type, const std::string& mode,
                         const std::string& endpoint) {
    zring::zmtp::socket socket(s, type_of(type));
    if (const char* hb = std::getenv("ZMTP_PEER_HEARTBEAT_MS")) {
        socket.set(zmq::sockopt::heartbeat_ivl, std::atoi(hb));
        // A timeout of many intervals: PINGs flow, and a loaded machine's
        // pauses do not cost the connection (and the messages in flight).
        socket.set(zmq::sockopt::heartbeat_timeout, 50 * std::atoi(hb));
    }
    if (const char* hwm = std::getenv("ZMTP_PEER_HWM")) {
        socket.set(zmq::sockopt::sndhwm, std::atoi(hwm));
        socket.set(zmq::sockopt::rcvhwm, std::atoi(hwm));
    }
    if (const char* id = std::getenv("ZMTP_PEER_ID")) socket.set(zmq::sockopt::routing_id, id);
    // A connection lost mid-stream loses what was in flight: say so, and why,
    // so that a test that sees a gap knows where it came from.
    socket.on_event([name = type + " " + endpoint](const zring::zmtp::event& e) {
        if (e.kind == zring::zmtp::event_kind::disconnected || e.kind == zring::zmtp::event_kind::handshake_failed)
            std::cerr << "zmtp-peer: " << name << ": connection " << e.endpoint << " lost: " << e.reason << std::endl;
    });
    if (type == "SUB") socket.subscribe("");
    if (mode == "bind")
        socket.bind(endpoint);
    else
        socket.connect(endpoint);
    return socket;
}

zring::task<void> echo(zring::zmtp::socket& s) {
    for (;;) {
        std::vector<zmq::message_t> m = co_await s.recv_multipart();
        co_await s.send_multipart(std::move(m));
    }
}

zring::task<void> forward(zring::zmtp::socket& in, zring::zmtp::socket& out) {
    for (;;) {
        std::vector<zmq::message_t> m = co_await in.recv_multipart();
        co_await out.send_multipart(std::move(m));
    }
}

zring::task<int> ask(zring::zmtp::socket& s, long burst) {
    std::vector<std::vector<std::string>> cases;
    for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{255}, std::size_t{256},
                                   std::size_t{1} << 20})
        cases.push_back({std::string(size, static_cast<char>('a' + size % 26))});
    std::vector<std::string> frames;
    for (int i = 0; i < 100; ++i) frames.push_back("frame " + std::to_string(i));
    cases.push_back(frames);
    for (const auto& c : cases) {
        co_await s.send_multipart(c, 10s);
        std::vector<zmq::message_t> back = co_await s.recv_multipart(10s);
        bool same = back.size() == c.size();
        for (std::size_t i = 0; same && i < c.size(); ++i) same = back[i].to_string() == c[i];
        if (!same) {
            std::cerr << "zmtp-peer ask: a " << c.size() << "-frame message of " << c[0].size()
                      << " B came back different\n";
            co_return 1;
        }
    }
    // The burst: REQ alternates; the others keep a window of 100 in flight,
    // below every high-water mark (a ROUTER echo drops at its own).
    constexpr long window = 100;
    const long step = s.type() == zmq::socket_type::req ? 1 : window;
    for (long first = 0; first < burst; first += step) {
        const long last = std::min(burst, first + step);
        for (long i = first; i < last; ++i) co_await s.send(zmq::message_t(std::to_string(i)), 10s);
        for (long i = first; i < last; ++i) {
            zmq::message_t m = co_await s.recv(10s);
            if (m.to_string() != std::to_string(i)) {
                std::cerr << "zmtp-peer ask: burst message " << i << " came back as " << m.to_string() << "\n";
                co_return 1;
            }
        }
    }
    co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> a(argv + 1, argv + argc);
    try {
        zring::block_signals(SIGINT, SIGTERM);
        zring::scheduler s;
        auto until_signal = [&](zring::task<void> work) -> zring::task<int> {
            co_await zring::when_any(std::move(work), zring::signal(SIGINT, SIGTERM));
            co_return 0;
        };
        if (a.size() == 4 && a[0] == "echo") {
            auto socket = open(s, a[1], a[2], a[3]);
            std::cout << "ready " << socket.get(zmq::sockopt::last_endpoint) << std::endl;
            return s.run(until_signal(echo(socket)));
        }
        if (a.size() == 7 && a[0] == "forward") {
            auto in = open(s, a[1], a[2], a[3]);
            auto out = open(s, a[4], a[5], a[6]);
            std::cout << "ready " << in.get(zmq::sockopt::last_endpoint) << " "
                      << out.get(zmq::sockopt::last_endpoint) << std::endl;
            if (in.type() == zmq::socket_type::xsub)
                return s.run(until_signal([](auto both) -> zring::task<void> { co_await std::move(both); }(
                    zring::when_all(forward(in, out), forward(out, in)))));
            return s.run(until_signal(forward(in, out)));
        }
        if (a.size() == 5 && a[0] == "ask") {
            auto socket = open(s, a[1], a[2], a[3]);
            std::cout << "ready " << socket.get(zmq::sockopt::last_endpoint) << std::endl;
            return s.run(ask(socket, std::stol(a[4])));
        }
        std::cerr << "usage: zmtp-peer echo|forward|ask ... (see the source's first lines)\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "zmtp-peer: " << e.what() << "\n";
        return 1;
    }
}
