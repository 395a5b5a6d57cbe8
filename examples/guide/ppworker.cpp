// The ZeroMQ Guide's Paranoid Pirate worker: a DEALER that tells ppqueue it
// is ready, answers requests (echoing them), and heartbeats. When the queue
// stays silent for --liveness heartbeats the worker takes it for dead,
// waits (doubling the wait each time, up to --reconnect-max-ms), and
// reconnects on a new socket. Like the Lazy Pirate server, it can be made
// to crash (exit status 3) or to overload.
#include "../common/cli.hpp"
#include "../common/connect.hpp"
#include "../common/scheduler.hpp"
#include "../common/until_signal.hpp"
#include "ppp.hpp"

#include <zring/zring.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <iostream>
#include <optional>
#include <string>
#include <type_traits>

namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
constexpr int crashed = 3;

struct settings {
    std::string endpoint;
    std::string id;
    ppp::heartbeat_settings heartbeat;
    milliseconds reconnect_min;
    milliseconds reconnect_max;
    std::int64_t crash_after;
    std::int64_t overload_every;
    milliseconds overload;
};

// Each connection gets its own identity (id.0, id.1, ...): the queue may not
// have noticed the previous one is gone when this one arrives.
template <class Engine>
typename Engine::socket connect_worker(zring::scheduler& s, Engine& engine, const settings& st, int generation) {
    return examples::connect(s, engine, zmq::socket_type::dealer, st.endpoint,
                             st.id + "." + std::to_string(generation));
}

template <class Socket>
zring::task<void> announce_ready(Socket& worker) {
    co_await worker.send(ppp::ready);
    std::cout << "I: worker " << worker.get(zmq::sockopt::routing_id) << " ready" << std::endl;
}

// The queue counts as dead once it has been silent for liveness heartbeats.
template <class Engine>
zring::task<int> work(zring::scheduler& s, Engine& engine, typename Engine::socket worker, settings st) {
    int generation = 1;
    co_await announce_ready(worker);
    milliseconds reconnect_in = st.reconnect_min;
    auto last_heard = clock::now();
    auto heartbeat_at = last_heard + st.heartbeat.interval;
    for (std::int64_t cycles = 0;;) {
        const auto until = std::min(heartbeat_at, last_heard + st.heartbeat.expiry());
        auto msg = co_await worker.try_recv_multipart(std::max(until - clock::now(), clock::duration::zero()));
        if (msg) {
            last_heard = clock::now();
            reconnect_in = st.reconnect_min;
            if (msg->size() >= 3) {  // [client, "", request]
                const std::string request = msg->back().to_string();
                ++cycles;
                if (st.crash_after > 0 && cycles > st.crash_after) {
                    std::cout << "I: simulating a crash (" << request << ")" << std::endl;
                    co_return crashed;
                }
                if (st.overload_every > 0 && cycles % st.overload_every == 0) {
                    std::cout << "I: simulating CPU overload (" << request << ")" << std::endl;
                    co_await zring::sleep_for(st.overload);
                } else {
                    std::cout << "I: normal reply (" << request << ")" << std::endl;
                }
                co_await worker.send_multipart(std::move(*msg));  // the request, echoed
                last_heard = clock::now();  // the queue had no reason to speak while we worked
            } else if (msg->size() != 1 || msg->front().to_string_view() != ppp::heartbeat) {
                std::cout << "E: invalid message from the queue" << std::endl;
            }
        } else if (clock::now() - last_heard >= st.heartbeat.expiry()) {
            std::cout << "W: heartbeat failure, can't reach queue" << std::endl;
            std::cout << "W: reconnecting in " << reconnect_in.count() << " ms" << std::endl;
            // Closed now, not at the reconnect: left open, it would reconnect
            // by itself, and a restarted queue would send it requests.
            worker.close();
            co_await zring::sleep_for(reconnect_in);
            reconnect_in = std::min(reconnect_in * 2, st.reconnect_max);
            worker = connect_worker(s, engine, st, generation++);
            co_await announce_ready(worker);
            last_heard = clock::now();
        }
        if (clock::now() >= heartbeat_at) {
            heartbeat_at = clock::now() + st.heartbeat.interval;
            co_await worker.send(ppp::heartbeat);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    examples::cli args(argc, argv, "ppworker [options]",
                       {{"endpoint", "the queue's backend (default tcp://127.0.0.1:5556)"},
                        {"id", "names this worker's connections: ID.0, ID.1, ... (default worker)"},
                        {"heartbeat-ms", ppp::heartbeat_help},
                        {"liveness", ppp::liveness_help},
                        {"reconnect-min-ms", "first wait before reconnecting (default 1000)"},
                        {"reconnect-max-ms", "longest wait before reconnecting (default 32000)"},
                        {"crash-after", "answer this many requests, then crash on the next (default 0: never)"},
                        {"overload-every", "answer every Nth request late (default 0: never)"},
                        {"overload-ms", "how late (default 2000)"},
                        {"engine", examples::engine_help}});
    const settings st{args.get("endpoint", "tcp://127.0.0.1:5556"),
                      args.get("id", "worker"),
                      ppp::heartbeat_settings::from(args),
                      milliseconds(args.number("reconnect-min-ms", 1000)),
                      milliseconds(args.number("reconnect-max-ms", 32000)),
                      args.number("crash-after", 0),
                      args.number("overload-every", 0),
                      milliseconds(args.number("overload-ms", 2000))};
    if (st.reconnect_max < st.reconnect_min) args.fail("--reconnect-max-ms must be at least --reconnect-min-ms");
    zring::block_signals(SIGINT, SIGTERM);
    const auto started = examples::start_scheduler(args);
    zring::scheduler& scheduler = *started;
    return examples::with_engine(args, [&](auto& engine) {
        using socket = typename std::remove_reference_t<decltype(engine)>::socket;
        std::optional<socket> first;
        try {
            first.emplace(connect_worker(scheduler, engine, st, 0));
        } catch (const zring::socket_error& e) {
            args.fail(e.what());
        }
        return examples::run_until_stopped(scheduler, work(scheduler, engine, std::move(*first), st), 0);
    });
}
