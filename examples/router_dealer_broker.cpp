// A load-balancing broker: clients (REQ) talk to a ROUTER frontend, workers
// (REQ, announcing themselves with READY) to a ROUTER backend, and each
// request goes to a worker that is free. Clients, workers and the broker are
// coroutines on one scheduler; a channel of free workers does the balancing.
// --engine native runs it on zring's own ZMTP engine (abstract ipc://
// endpoints in place of inproc://).
#include "common/cli.hpp"
#include "common/engine.hpp"
#include "common/scheduler.hpp"

#include <zring/zring.hpp>

#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace {

using frames = std::vector<zmq::message_t>;

zmq::message_t text(std::string_view s) { return zmq::message_t(s.data(), s.size()); }

// Backend: READY or a reply makes a worker free; replies go to their client.
template <class Socket>
zring::task<void> from_workers(Socket& backend, Socket& frontend, zring::channel<std::string>& free) {
    for (;;) {
        auto msg = co_await backend.recv_multipart();  // worker, "", READY | client, "", reply
        co_await free.send(msg[0].to_string());
        if (msg.size() == 5) {
            frames reply;
            reply.push_back(std::move(msg[2]));
            reply.push_back(text(""));
            reply.push_back(std::move(msg[4]));
            co_await frontend.send_multipart(std::move(reply));
        }
    }
}

// Frontend: take a request only when a worker is free for it.
template <class Socket>
zring::task<void> to_workers(Socket& frontend, Socket& backend, zring::channel<std::string>& free) {
    for (;;) {
        auto worker = co_await free.recv();
        auto request = co_await frontend.recv_multipart();  // client, "", request
        frames routed;
        routed.push_back(text(*worker));
        routed.push_back(text(""));
        routed.push_back(std::move(request[0]));
        routed.push_back(text(""));
        routed.push_back(std::move(request[2]));
        co_await backend.send_multipart(std::move(routed));
    }
}

template <class Engine>
zring::task<void> worker(zring::scheduler& s, Engine& engine, std::string endpoint, int id,
                         std::map<int, int>& served) {
    auto req = engine.make(s, zmq::socket_type::req);
    req.set(zmq::sockopt::routing_id, "worker-" + std::to_string(id));
    req.connect(endpoint);
    co_await req.send("READY");
    for (;;) {
        auto msg = co_await req.recv_multipart();  // client, "", request
        ++served[id];
        msg[2] = text("done: " + msg[2].to_string() + " by worker " + std::to_string(id));
        co_await req.send_multipart(std::move(msg));
    }
}

template <class Engine>
zring::task<int> client(zring::scheduler& s, Engine& engine, std::string endpoint, int id, int requests) {
    auto req = engine.make(s, zmq::socket_type::req);
    req.connect(endpoint);
    int replies = 0;
    for (int r = 0; r < requests; ++r) {
        co_await req.send("request " + std::to_string(r) + " of client " + std::to_string(id));
        auto reply = co_await req.recv(std::chrono::seconds(5));
        std::cout << "Client " << id << ": " << reply.to_string_view() << std::endl;
        ++replies;
    }
    co_return replies;
}

}  // namespace

int main(int argc, char** argv) {
    examples::cli args(argc, argv, "router_dealer_broker [options]",
                       {{"clients", "client coroutines (default 4)"},
                        {"workers", "worker coroutines (default 2)"},
                        {"requests", "requests per client (default 5)"},
                        {"engine", examples::engine_help}});
    const int clients = static_cast<int>(args.number("clients", 4));
    const int workers = static_cast<int>(args.number("workers", 2));
    const int requests = static_cast<int>(args.number("requests", 5));
    if (workers == 0) args.fail("--workers must be at least 1");

    const auto started = examples::start_scheduler(args);
    zring::scheduler& scheduler = *started;
    return examples::with_engine(args, [&](auto& engine) {
        using engine_type = std::remove_reference_t<decltype(engine)>;
        const std::string frontend_endpoint = engine_type::local_endpoint("broker-frontend");
        const std::string backend_endpoint = engine_type::local_endpoint("broker-backend");
        auto frontend = engine.make(scheduler, zmq::socket_type::router);
        auto backend = engine.make(scheduler, zmq::socket_type::router);
        frontend.bind(frontend_endpoint);
        backend.bind(backend_endpoint);
        zring::channel<std::string> free(static_cast<std::size_t>(workers));
        std::map<int, int> served;

        auto all = [&]() -> zring::task<int> {
            int replies = 0;
            co_await zring::with_task_group([&](zring::task_group& group) -> zring::task<void> {
                group.spawn(from_workers(backend, frontend, free));
                group.spawn(to_workers(frontend, backend, free));
                for (int w = 0; w < workers; ++w) group.spawn(worker(scheduler, engine, backend_endpoint, w, served));
                std::vector<zring::task<int>> cs;
                for (int c = 0; c < clients; ++c)
                    cs.push_back(client(scheduler, engine, frontend_endpoint, c, requests));
                const auto per_client = co_await zring::when_all(std::move(cs));
                for (int r : per_client) replies += r;
                group.request_stop();  // clients are done: stop the broker and the workers
            });
            co_return replies;
        };
        const int replies = scheduler.run(all());
        for (const auto& [id, n] : served) std::cout << "Worker " << id << " served " << n << std::endl;
        std::cout << "Replies: " << replies << " of " << clients * requests << std::endl;
        return replies == clients * requests ? 0 : 1;
    });
}
