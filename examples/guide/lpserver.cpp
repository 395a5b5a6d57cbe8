// The ZeroMQ Guide's Lazy Pirate server: a REP echo that is deliberately
// unreliable. Every --overload-every'th request is answered only after
// --overload-ms (a client gives up on it and retries), and the request after
// --crash-after answered ones is never answered: the server "crashes" (exit
// status 3), to be restarted by whoever runs it.
#include "../common/cli.hpp"
#include "../common/engine.hpp"
#include "../common/scheduler.hpp"
#include "../common/until_signal.hpp"

#include <zring/zring.hpp>

#include <chrono>
#include <csignal>
#include <iostream>

namespace {

constexpr int crashed = 3;

struct flakiness {
    std::int64_t crash_after;
    std::int64_t overload_every;
    std::chrono::milliseconds overload;
};

template <class Socket>
zring::task<int> serve(Socket& rep, flakiness f) {
    for (std::int64_t cycle = 1;; ++cycle) {
        auto request = co_await rep.recv();
        if (f.crash_after > 0 && cycle > f.crash_after) {
            std::cout << "I: simulating a crash (" << request.to_string_view() << ")" << std::endl;
            co_return crashed;
        }
        if (f.overload_every > 0 && cycle % f.overload_every == 0) {
            std::cout << "I: simulating CPU overload (" << request.to_string_view() << ")" << std::endl;
            co_await zring::sleep_for(f.overload);
        } else {
            std::cout << "I: normal request (" << request.to_string_view() << ")" << std::endl;
        }
        co_await rep.send(std::move(request));
    }
}

}  // namespace

int main(int argc, char** argv) {
    examples::cli args(argc, argv, "lpserver [options]",
                       {{"endpoint", "where to bind (default tcp://127.0.0.1:5555)"},
                        {"crash-after", "answer this many requests, then crash on the next (default 10, 0: never)"},
                        {"overload-every", "answer every Nth request late (default 4, 0: never)"},
                        {"overload-ms", "how late (default 2000)"},
                        {"engine", examples::engine_help}});
    const flakiness f{args.number("crash-after", 10), args.number("overload-every", 4),
                      std::chrono::milliseconds(args.number("overload-ms", 2000))};
    zring::block_signals(SIGINT, SIGTERM);
    const auto started = examples::start_scheduler(args);
    zring::scheduler& scheduler = *started;
    return examples::with_engine(args, [&](auto& engine) {
        auto rep = engine.make(scheduler, zmq::socket_type::rep);
        rep.set(zmq::sockopt::linger, 0);  // a crash takes unsent replies with it
        try {
            rep.bind(args.get("endpoint", "tcp://127.0.0.1:5555"));
        } catch (const zring::socket_error& e) {
            args.fail(e.what());
        }
        return examples::run_until_stopped(scheduler, serve(rep, f), 0);
    });
}
