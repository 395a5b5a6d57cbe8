// The ZeroMQ Guide's Paranoid Pirate queue: clients (Lazy Pirate REQ
// sockets) on a ROUTER frontend, workers (ppworker) on a ROUTER backend.
// Each request goes to the idle worker that has waited longest (the Guide's
// LRU queue). Queue and idle workers heartbeat each other; an idle worker
// silent for --liveness heartbeats expires. The queue never waits on a
// peer: a worker that is gone or not reading is skipped, a reply that a
// client cannot take is dropped (Lazy Pirate clients retry).
#include "../common/cli.hpp"
#include "../common/engine.hpp"
#include "../common/scheduler.hpp"
#include "../common/until_signal.hpp"
#include "ppp.hpp"

#include <zring/zring.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <list>
#include <string>
#include <vector>

namespace {

using clock = std::chrono::steady_clock;

// Identities as text: a worker's own (A.0), or a client's generated one in hex.
std::string printable(std::string_view identity) {
    if (!identity.empty() && std::all_of(identity.begin(), identity.end(), [](unsigned char c) { return std::isgraph(c); }))
        return std::string(identity);
    std::string hex = "0x";
    char byte[3];
    for (unsigned char c : identity) {
        std::snprintf(byte, sizeof byte, "%02x", c);
        hex += byte;
    }
    return hex;
}

// Idle workers, the one idle longest first.
class worker_list {
public:
    explicit worker_list(ppp::heartbeat_settings h) : heartbeat_(h) {}

    // READY, or a reply: the worker is idle, at the back of the queue.
    void idle(std::string identity) {
        forget(identity);
        workers_.push_back({std::move(identity), clock::now() + heartbeat_.expiry()});
    }
    // A heartbeat keeps an idle worker alive where it stands. One from a
    // worker that is busy, or expired, changes nothing: a busy worker comes
    // back with its reply, an expired one with READY once it reconnects.
    void heard(const std::string& identity) {
        for (auto& w : workers_)
            if (w.identity == identity) w.expiry = clock::now() + heartbeat_.expiry();
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

// Sends without waiting: false if the peer is gone (EHOSTUNREACH: both
// ROUTERs are mandatory) or not reading (its pipe is full).
template <class Socket>
zring::task<bool> send_now(Socket& s, zring::frame_list frames) {
    try {
        co_return co_await s.try_send_multipart(std::move(frames), clock::duration::zero());
    } catch (const zring::socket_error& e) {
        if (e.code().value() != EHOSTUNREACH) throw;
    }
    co_return false;
}

// A worker's message: [worker, READY | HEARTBEAT] or [worker, client, "", reply].
template <class Socket>
zring::task<void> from_worker(std::vector<zmq::message_t> msg, Socket& frontend, worker_list& workers) {
    const std::string worker = msg.front().to_string();
    const bool control = msg.size() == 2;
    if (control && msg[1].to_string_view() == ppp::ready) {
        std::cout << "I: worker " << worker << " ready" << std::endl;
        workers.idle(worker);
    } else if (control && msg[1].to_string_view() == ppp::heartbeat) {
        workers.heard(worker);
    } else if (msg.size() >= 4) {
        workers.idle(worker);
        msg.erase(msg.begin());
        const std::string client = printable(msg.front().to_string_view());
        const bool sent = co_await send_now(frontend, std::move(msg));
        if (!sent)
            std::cout << "W: client " << client << " gone or not reading, its reply dropped" << std::endl;
    } else {
        std::cout << "E: invalid message from worker " << worker << std::endl;
    }
}

// A client's request, [client, "", request], to the idle worker first in line.
template <class Socket>
zring::task<void> to_worker(zmq::multipart_t request, Socket& backend, worker_list& workers) {
    while (!workers.empty()) {
        const std::string worker = workers.take_next();
        zmq::multipart_t routed = request.clone();  // kept for the next worker, should this one fail
        routed.pushstr(worker);
        const bool sent = co_await send_now(backend, std::move(routed));
        if (sent) co_return;
        std::cout << "W: worker " << worker << " gone or not reading, trying the next" << std::endl;
    }
    std::cout << "W: no worker left for a request, dropped (the client retries)" << std::endl;
}

template <class Socket>
zring::task<void> serve(Socket& frontend, Socket& backend, ppp::heartbeat_settings heartbeat) {
    worker_list workers(heartbeat);
    zring::basic_poller<Socket> poller;
    poller.add(backend, ZMQ_POLLIN);
    auto heartbeat_at = clock::now() + heartbeat.interval;
    for (;;) {
        // Take requests only while a worker is idle for them.
        if (workers.empty())
            poller.remove(frontend);
        else
            poller.add(frontend, ZMQ_POLLIN);
        const auto found = co_await poller.poll(std::max(heartbeat_at - clock::now(), clock::duration::zero()));

        // Every worker message waiting, before any worker may expire: a
        // worker is alive when it spoke, not when the queue got round to it.
        while (found.ready(backend)) {
            auto msg = co_await backend.try_recv_multipart(clock::duration::zero());
            if (!msg) break;
            co_await from_worker(std::move(*msg), frontend, workers);
        }

        if (found.ready(frontend) && !workers.empty()) {
            zmq::multipart_t request;
            co_await frontend.recv_multipart(request);
            co_await to_worker(std::move(request), backend, workers);
        }

        if (clock::now() >= heartbeat_at) {
            heartbeat_at = clock::now() + heartbeat.interval;
            for (const auto& worker : workers.identities()) {
                const bool sent = co_await send_now(backend, {worker, ppp::heartbeat});
                if (!sent) {
                    std::cout << "W: worker " << worker << " gone or not reading, forgotten" << std::endl;
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
                        {"liveness", ppp::liveness_help},
                        {"engine", examples::engine_help}});
    const auto heartbeat = ppp::heartbeat_settings::from(args);
    zring::block_signals(SIGINT, SIGTERM);
    const auto started = examples::start_scheduler(args);
    zring::scheduler& scheduler = *started;
    return examples::with_engine(args, [&](auto& engine) {
        auto frontend = engine.make(scheduler, zmq::socket_type::router);
        auto backend = engine.make(scheduler, zmq::socket_type::router);
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
    });
}
