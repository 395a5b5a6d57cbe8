// The ZeroMQ Guide's Paranoid Pirate queue: clients (Lazy Pirate REQ
// sockets) on a ROUTER frontend, workers (ppworker) on a ROUTER backend.
// Each request goes to the worker that has been ready longest. Queue and
// workers heartbeat each other; a worker silent for --liveness heartbeats
// expires, and one whose connection is gone is forgotten at the first send.
#include "../common/cli.hpp"
#include "../common/scheduler.hpp"
#include "../common/until_signal.hpp"
#include "ppp.hpp"

#include <zring/zring.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <iostream>
#include <list>
#include <string>

namespace {

using clock = std::chrono::steady_clock;

// Ready workers, the one ready longest first.
class worker_list {
public:
    explicit worker_list(ppp::heartbeat_settings h) : heartbeat_(h) {}

    // The worker spoke: it is ready, until its expiry.
    void ready(std::string identity) {
        forget(identity);
        workers_.push_back({std::move(identity), clock::now() + heartbeat_.expiry()});
    }
    void forget(const std::string& identity) {
        workers_.remove_if([&](const worker& w) { return w.identity == identity; });
    }
    std::string take_next() {
        std::string identity = std::move(workers_.front().identity);
        workers_.pop_front();
        return identity;
    }
    void expire() {
        const auto now = clock::now();
        workers_.remove_if([&](const worker& w) {
            if (w.expiry > now) return false;
            std::cout << "I: worker " << w.identity << " expired" << std::endl;
            return true;
        });
    }
    std::vector<std::string> identities() const {
        std::vector<std::string> ids;
        for (const auto& w : workers_) ids.push_back(w.identity);
        return ids;
    }
    bool empty() const noexcept { return workers_.empty(); }

private:
    struct worker {
        std::string identity;
        clock::time_point expiry;
    };
    ppp::heartbeat_settings heartbeat_;
    std::list<worker> workers_;
};

bool peer_gone(const zring::socket_error& e) { return e.code().value() == EHOSTUNREACH; }

// Both ROUTERs are mandatory: a send to a peer that is gone fails with
// EHOSTUNREACH, which is then reported, instead of being dropped silently.
zring::task<void> serve(zring::socket& frontend, zring::socket& backend, ppp::heartbeat_settings heartbeat) {
    worker_list workers(heartbeat);
    zring::poller poller;
    poller.add(backend, ZMQ_POLLIN);
    auto heartbeat_at = clock::now() + heartbeat.interval;
    for (;;) {
        // Take requests only while a worker is ready for them.
        if (workers.empty())
            poller.remove(frontend);
        else
            poller.add(frontend, ZMQ_POLLIN);
        const auto found = co_await poller.poll(std::max(heartbeat_at - clock::now(), clock::duration::zero()));

        if (found.ready(backend)) {
            zmq::multipart_t msg;
            co_await backend.recv_multipart(msg);
            std::string worker = msg.popstr();
            workers.ready(worker);  // any message from a worker says it is alive
            const bool control = msg.size() == 1;
            if (control && msg.peekstr(0) == ppp::ready) {
                std::cout << "I: worker " << worker << " ready" << std::endl;
            } else if (!control && msg.size() >= 3) {
                const std::string client = msg.peekstr(0);
                try {
                    co_await frontend.send_multipart(std::move(msg));  // [client, "", reply]
                } catch (const zring::socket_error& e) {
                    if (!peer_gone(e)) throw;
                    std::cout << "W: client " << client << " gone, its reply dropped" << std::endl;
                }
            } else if (!control || msg.peekstr(0) != ppp::heartbeat) {
                std::cout << "E: invalid message from worker " << worker << std::endl;
            }
        }

        if (found.ready(frontend) && !workers.empty()) {
            zmq::multipart_t msg;
            co_await frontend.recv_multipart(msg);  // [client, "", request]
            std::string worker = workers.take_next();
            msg.pushstr(worker);
            try {
                co_await backend.send_multipart(std::move(msg));
            } catch (const zring::socket_error& e) {
                if (!peer_gone(e)) throw;
                // The client's Lazy Pirate retry brings the request back.
                std::cout << "W: worker " << worker << " gone, request dropped" << std::endl;
            }
        }

        if (clock::now() >= heartbeat_at) {
            heartbeat_at = clock::now() + heartbeat.interval;
            for (const auto& worker : workers.identities()) {
                try {
                    co_await backend.send_multipart({worker, ppp::heartbeat});
                } catch (const zring::socket_error& e) {
                    if (!peer_gone(e)) throw;
                    std::cout << "W: worker " << worker << " gone" << std::endl;
                    workers.forget(worker);
                }
            }
        }
        workers.expire();
    }
}

}  // namespace

int main(int argc, char** argv) {
    examples::cli args(argc, argv, "ppqueue [options]",
                       {{"frontend", "where clients connect (default tcp://127.0.0.1:5555)"},
                        {"backend", "where workers connect (default tcp://127.0.0.1:5556)"},
                        {"heartbeat-ms", ppp::heartbeat_help},
                        {"liveness", ppp::liveness_help}});
    const auto heartbeat = ppp::heartbeat_settings::from(args);
    zring::block_signals(SIGINT, SIGTERM);
    zmq::context_t context;
    const auto started = examples::start_scheduler(args);
    zring::scheduler& scheduler = *started;
    zring::socket frontend(scheduler, context, zmq::socket_type::router);
    zring::socket backend(scheduler, context, zmq::socket_type::router);
    for (auto* s : {&frontend, &backend}) {
        s->set(zmq::sockopt::router_mandatory, true);
        s->set(zmq::sockopt::linger, 0);
    }
    try {
        frontend.bind(args.get("frontend", "tcp://127.0.0.1:5555"));
        backend.bind(args.get("backend", "tcp://127.0.0.1:5556"));
    } catch (const zring::socket_error& e) {
        args.fail(e.what());
    }
    return examples::run_until_stopped(scheduler, serve(frontend, backend, heartbeat), 0);
}
