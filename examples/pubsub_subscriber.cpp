// Prints every update published on --endpoint under --topic.
#include "common/cli.hpp"
#include "common/engine.hpp"
#include "common/scheduler.hpp"
#include "common/pubsub.hpp"

#include <zring/zring.hpp>

#include <csignal>

int main(int argc, char** argv) {
    examples::cli args(argc, argv, "pubsub_subscriber [options]",
                       {{"endpoint", "endpoint to connect to (default tcp://127.0.0.1:5556)"},
                        {"topic", "subscription prefix (default updates)"},
                        {"count", "messages to receive before exiting, 0 for no limit (default 0)"},
                        {"engine", examples::engine_help}});
    const auto count = args.number("count", 0);  // argument errors before any output
    zring::block_signals(SIGINT, SIGTERM);
    const auto started = examples::start_scheduler(args);
    zring::scheduler& scheduler = *started;
    return examples::with_engine(args, [&](auto& engine) {
        auto sub = engine.make(scheduler, zmq::socket_type::sub);
        try {
            sub.connect(args.get("endpoint", "tcp://127.0.0.1:5556"));
        } catch (const zring::socket_error& e) {
            args.fail(e.what());
        }
        sub.subscribe(args.get("topic", "updates"));
        std::cerr << "Subscribed to '" << args.get("topic", "updates") << "' on " << sub.name() << std::endl;
        scheduler.run(examples::until_signal(examples::subscribe(sub, count)));
        return 0;
    });
}
