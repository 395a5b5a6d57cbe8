// The ZeroMQ Guide's Lazy Pirate client: reliable request-reply over a REQ
// socket. A request without a reply within --timeout-ms is retried on a new
// socket (a REQ socket that sent cannot send again until it receives); after
// --retries attempts the server is taken to be offline. Every reply must
// echo its request: anything else is misrouted, and ends the client.
#include "../common/cli.hpp"
#include "../common/connect.hpp"
#include "../common/scheduler.hpp"
#include "../common/until_signal.hpp"

#include <zring/zring.hpp>

#include <chrono>
#include <csignal>
#include <iostream>
#include <optional>
#include <string>
#include <type_traits>

namespace {

struct options {
    std::string endpoint;
    std::string id;
    std::int64_t requests;
    std::chrono::milliseconds timeout;
    std::int64_t retries;
};

template <class Engine>
zring::task<int> ask(zring::scheduler& s, Engine& engine, typename Engine::socket client, options o) {
    for (std::int64_t seq = 1; seq <= o.requests; ++seq) {
        const std::string request = o.id + ":" + std::to_string(seq);
        co_await client.send(request);
        for (std::int64_t retries_left = o.retries;;) {
            auto reply = co_await client.try_recv(o.timeout);
            if (reply) {
                if (reply->to_string_view() != request) {
                    std::cout << "E: misrouted reply '" << reply->to_string_view() << "' to " << request << std::endl;
                    co_return 1;
                }
                std::cout << "I: server replied OK (" << request << ")" << std::endl;
                break;
            }
            if (--retries_left <= 0) {
                std::cout << "E: server seems to be offline, abandoning " << request << std::endl;
                co_return 1;
            }
            std::cout << "W: no response from server, retrying " << request << std::endl;
            // Assigning closes the old socket: a late reply to it is dropped.
            client = examples::connect(s, engine, zmq::socket_type::req, o.endpoint);
            co_await client.send(request);
        }
    }
    std::cout << "I: " << o.requests << " replies, each to its request" << std::endl;
    co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
    examples::cli args(argc, argv, "lpclient [options]",
                       {{"endpoint", "where to connect (default tcp://127.0.0.1:5555)"},
                        {"id", "prefix of this client's requests (default client)"},
                        {"requests", "how many requests (default 10)"},
                        {"timeout-ms", "how long to wait for a reply (default 2500)"},
                        {"retries", "attempts per request before giving up (default 3)"},
                        {"engine", examples::engine_help}});
    const options o{args.get("endpoint", "tcp://127.0.0.1:5555"), args.get("id", "client"),
                    args.number("requests", 10), std::chrono::milliseconds(args.number("timeout-ms", 2500)),
                    args.number("retries", 3)};
    if (o.retries == 0) args.fail("--retries must be at least 1");
    zring::block_signals(SIGINT, SIGTERM);
    const auto started = examples::start_scheduler(args);
    zring::scheduler& scheduler = *started;
    return examples::with_engine(args, [&](auto& engine) {
        using socket = typename std::remove_reference_t<decltype(engine)>::socket;
        std::optional<socket> first;
        try {
            first.emplace(examples::connect(scheduler, engine, zmq::socket_type::req, o.endpoint));
        } catch (const zring::socket_error& e) {
            args.fail(e.what());
        }
        // Stopped by a signal: requests are left unanswered.
        return examples::run_until_stopped(scheduler, ask(scheduler, engine, std::move(*first), o), 1);
    });
}
