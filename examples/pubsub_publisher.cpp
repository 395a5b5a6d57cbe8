// Publishes "updates <n>" every --interval-ms on --endpoint.
#include "common/cli.hpp"
#include "common/engine.hpp"
#include "common/scheduler.hpp"
#include "common/pubsub.hpp"

#include <zring/zring.hpp>

#include <csignal>

int main(int argc, char** argv) {
    examples::cli args(argc, argv, "pubsub_publisher [options]",
                       {{"endpoint", "endpoint to bind (default tcp://127.0.0.1:5556)"},
                        {"interval-ms", "milliseconds between updates (default 1000)"},
                        {"count", "updates to send, 0 for no limit (default 0)"},
                        {"engine", examples::engine_help}});
    // Argument errors before any output.
    const auto interval = std::chrono::milliseconds(args.number("interval-ms", 1000));
    const auto count = args.number("count", 0);
    // Before the ZeroMQ context starts its threads, so only signal() sees them.
    zring::block_signals(SIGINT, SIGTERM);
    const auto started = examples::start_scheduler(args);
    zring::scheduler& scheduler = *started;
    return examples::with_engine(args, [&](auto& engine) {
        auto pub = engine.make(scheduler, zmq::socket_type::pub);
        try {
            pub.bind(args.get("endpoint", "tcp://127.0.0.1:5556"));
        } catch (const zring::socket_error& e) {
            args.fail(e.what());
        }
        std::cerr << "Publishing on " << pub.name() << std::endl;
        scheduler.run(examples::until_signal(examples::publish(pub, interval, count)));
        return 0;
    });
}
