// REQ/REP echo: `--mode server` answers every request with "echo: <request>";
// `--mode client` sends --count requests and prints the replies.
#include "common/cli.hpp"
#include "common/engine.hpp"
#include "common/scheduler.hpp"
#include "common/pubsub.hpp"

#include <zring/zring.hpp>

#include <csignal>
#include <iostream>

namespace {

template <class Socket>
zring::task<void> serve(Socket& rep, std::int64_t count) {
    for (std::int64_t n = 0; count == 0 || n < count; ++n) {
        auto request = co_await rep.recv();
        co_await rep.send("echo: " + request.to_string());
    }
}

template <class Socket>
zring::task<void> ask(Socket& req, std::int64_t count, std::chrono::milliseconds timeout) {
    for (std::int64_t n = 1; n <= count; ++n) {
        co_await req.send("hello " + std::to_string(n));
        auto reply = co_await req.recv(timeout);
        std::cout << "Reply: " << reply.to_string_view() << std::endl;
    }
}

}  // namespace

int main(int argc, char** argv) {
    examples::cli args(argc, argv, "reqrep_echo --mode server|client [options]",
                       {{"mode", "server or client"},
                        {"endpoint", "server binds, client connects (default tcp://127.0.0.1:5557)"},
                        {"count", "requests to answer (server, 0: no limit) or send (client, default 10)"},
                        {"timeout-ms", "client: how long to wait for each reply (default 5000)"},
                        {"engine", examples::engine_help}});
    const std::string mode = args.get("mode", "");
    if (mode != "server" && mode != "client") args.fail("--mode must be server or client");
    zring::block_signals(SIGINT, SIGTERM);
    const auto started = examples::start_scheduler(args);
    zring::scheduler& scheduler = *started;
    const bool server = mode == "server";
    const std::string endpoint = args.get("endpoint", "tcp://127.0.0.1:5557");
    return examples::with_engine(args, [&](auto& engine) {
        auto s = engine.make(scheduler, server ? zmq::socket_type::rep : zmq::socket_type::req);
        try {
            server ? s.bind(endpoint) : s.connect(endpoint);
        } catch (const zring::socket_error& e) {
            args.fail(e.what());
        }
        try {
            const bool finished =
                server ? scheduler.run(examples::until_signal(serve(s, args.number("count", 0))))
                       : scheduler.run(examples::until_signal(ask(
                             s, args.number("count", 10), std::chrono::milliseconds(args.number("timeout-ms", 5000)))));
            return finished || server ? 0 : 1;
        } catch (const zring::timed_out& e) {
            std::cerr << e.what() << std::endl;
            return 1;
        }
    });
}
