// A publisher and a subscriber as two coroutines on one scheduler.
#include "common/cli.hpp"
#include "common/engine.hpp"
#include "common/scheduler.hpp"
#include "common/pubsub.hpp"

#include <zring/zring.hpp>

#include <csignal>

int main(int argc, char** argv) {
    examples::cli args(argc, argv, "pubsub_demo [options]",
                       {{"endpoint", "endpoint between the two (default tcp://127.0.0.1:5556)"},
                        {"interval-ms", "milliseconds between updates (default 1000)"},
                        {"count", "updates to receive before exiting, 0 for no limit (default 0)"},
                        {"engine", examples::engine_help}});
    zring::block_signals(SIGINT, SIGTERM);
    const auto started = examples::start_scheduler(args);
    zring::scheduler& scheduler = *started;
    const std::string endpoint = args.get("endpoint", "tcp://127.0.0.1:5556");
    const auto interval = std::chrono::milliseconds(args.number("interval-ms", 1000));
    const auto count = args.number("count", 0);
    return examples::with_engine(args, [&](auto& engine) {
        auto pub = engine.make(scheduler, zmq::socket_type::pub);
        auto sub = engine.make(scheduler, zmq::socket_type::sub);
        try {
            pub.bind(endpoint);
            sub.connect(endpoint);
        } catch (const zring::socket_error& e) {
            args.fail(e.what());
        }
        sub.subscribe("updates");
        // The subscriber decides when the demo ends; the publisher is cancelled then.
        auto demo = [&]() -> zring::task<void> {
            co_await zring::when_any(examples::subscribe(sub, count), examples::publish(pub, interval, 0));
        };
        scheduler.run(examples::until_signal(demo()));
        return 0;
    });
}
