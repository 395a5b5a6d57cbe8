// The ZeroMQ Guide's asynchronous client/server (asyncsrv): DEALER clients
// send requests at their own pace and take replies as they come; the server
// is a ROUTER frontend, zring::proxy to a DEALER backend, and worker
// coroutines that answer each request with several replies. Request #k gets
// 1 + k % 4 replies, so each client knows what it must receive.
//
// --role all runs both in one process, as in the Guide; --role server and
// --role clients run them apart. A client resends a request that is not
// fully answered within --timeout-ms (a crashed server loses it), so it gets
// every reply at least once; it counts each once, and any reply that is not
// its own ends it as misrouted. --engine native runs it all on zring's own
// ZMTP engine, the backend on an abstract ipc:// endpoint for inproc://.
#include "../common/cli.hpp"
#include "../common/connect.hpp"
#include "../common/engine.hpp"
#include "../common/scheduler.hpp"
#include "../common/until_signal.hpp"

#include <zring/zring.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <csignal>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
constexpr int crashed = 3;
const std::string backend_name = "asyncsrv-backend";

// The number at the start of text, and what follows it; nullopt if none.
std::optional<std::pair<std::int64_t, std::string_view>> leading_number(std::string_view text) {
    std::int64_t n = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (error != std::errc() || n < 1) return std::nullopt;
    return std::pair{n, text.substr(static_cast<std::size_t>(end - text.data()))};
}
// "<client> #<k>" -> k; nullopt for anything else (requests come off the network).
std::optional<std::int64_t> request_number(std::string_view request) {
    const auto hash = request.find('#');
    if (hash == std::string_view::npos) return std::nullopt;
    const auto number = leading_number(request.substr(hash + 1));
    if (!number || !number->second.empty()) return std::nullopt;
    return number->first;
}
std::int64_t replies_to(std::int64_t number) { return 1 + number % 4; }

// ---- server ----

struct simulated_crash : std::runtime_error {
    simulated_crash() : std::runtime_error("simulated crash") {}
};

// Shared by a server's workers: crash after answering this many requests
// (0: never), on the next.
struct crash_budget {
    std::int64_t after;
    std::int64_t answered = 0;
    bool due() const noexcept { return after > 0 && answered >= after; }
};

template <class Engine>
zring::task<void> server_worker(zring::scheduler& s, Engine& engine, crash_budget& crash) {
    auto worker = engine.make(s, zmq::socket_type::dealer);
    worker.connect(Engine::local_endpoint(backend_name));
    for (zmq::multipart_t msg;;) {
        co_await worker.recv_multipart(msg);  // [client, request]
        const std::string client = msg.popstr();
        const std::string request = msg.popstr();
        const auto number = request_number(request);
        if (!number) {
            std::cout << "E: malformed request dropped: " << request << std::endl;
            continue;
        }
        if (crash.due()) {
            std::cout << "I: simulating a crash (" << request << ")" << std::endl;
            throw simulated_crash();
        }
        const std::int64_t n = replies_to(*number);
        for (std::int64_t i = 1; i <= n; ++i) {
            co_await zring::sleep_for(milliseconds(i));  // let the workers' replies interleave
            co_await worker.send_multipart({client, request + " reply " + std::to_string(i) + "/" + std::to_string(n)});
        }
        ++crash.answered;
    }
}

template <class Engine>
zring::task<void> serve(zring::scheduler& s, Engine& engine, typename Engine::socket& frontend,
                        typename Engine::socket& backend, std::int64_t workers, crash_budget& crash) {
    co_await zring::with_task_group([&](zring::task_group& group) -> zring::task<void> {
        group.spawn(zring::proxy(frontend, backend));
        for (std::int64_t w = 0; w < workers; ++w) group.spawn(server_worker(s, engine, crash));
        co_return;
    });
}

// ---- client ----

struct client_settings {
    std::string endpoint;
    std::int64_t requests;
    milliseconds interval;
    milliseconds timeout;
    std::int64_t retries;
};

struct request_state {
    std::int64_t expected;
    std::set<std::int64_t> received;
    clock::time_point sent_at;
    std::int64_t attempts = 1;
    bool complete() const noexcept { return static_cast<std::int64_t>(received.size()) == expected; }
};

// The reply "<k> reply <i>/<n>" (after the client's prefix) -> {k, i, n}.
std::optional<std::array<std::int64_t, 3>> parse_reply(std::string_view text) {
    const auto k = leading_number(text);
    if (!k || k->second.rfind(" reply ", 0) != 0) return std::nullopt;
    const auto i = leading_number(k->second.substr(7));
    if (!i || i->second.empty() || i->second.front() != '/') return std::nullopt;
    const auto n = leading_number(i->second.substr(1));
    if (!n || !n->second.empty()) return std::nullopt;
    return std::array{k->first, i->first, n->first};
}

template <class Socket>
zring::task<bool> client(Socket& dealer, std::string id, client_settings cs) {
    const std::string prefix = id + " #";
    std::map<std::int64_t, request_state> requests;
    std::int64_t sent = 0, complete = 0, replies = 0, duplicates = 0;
    auto next_send = clock::now();
    while (complete < cs.requests) {
        const auto now = clock::now();
        if (sent < cs.requests && now >= next_send) {
            ++sent;
            requests.emplace(sent, request_state{replies_to(sent), {}, now});
            co_await dealer.send(prefix + std::to_string(sent));
            next_send = now + cs.interval;
        }
        for (auto& [number, r] : requests) {
            if (r.complete() || now - r.sent_at < cs.timeout) continue;
            if (r.attempts >= cs.retries) {
                std::cout << "E: " << prefix << number << " unanswered after " << r.attempts << " attempts" << std::endl;
                co_return false;
            }
            std::cout << "W: " << prefix << number << " not fully answered, resending" << std::endl;
            ++r.attempts;
            r.sent_at = now;
            co_await dealer.send(prefix + std::to_string(number));
        }
        auto reply = co_await dealer.try_recv(milliseconds(10));
        if (!reply) continue;
        const std::string_view text = reply->to_string_view();  // "<id> #<k> reply <i>/<n>"
        const auto parsed = text.rfind(prefix, 0) == 0 ? parse_reply(text.substr(prefix.size())) : std::nullopt;
        const auto it = parsed ? requests.find((*parsed)[0]) : requests.end();
        const std::int64_t i = parsed ? (*parsed)[1] : 0;
        if (it == requests.end() || (*parsed)[2] != it->second.expected || i > it->second.expected) {
            std::cout << "E: " << id << " got a misrouted reply: " << text << std::endl;
            co_return false;
        }
        if (!it->second.received.insert(i).second) {
            ++duplicates;
            continue;
        }
        ++replies;
        if (it->second.complete()) ++complete;
    }
    std::cout << "Client " << id << ": " << cs.requests << " requests, " << replies << " replies, " << duplicates
              << " duplicates, none misrouted" << std::endl;
    co_return true;
}

template <class Socket>
zring::task<int> clients(std::vector<Socket>& dealers, client_settings cs) {
    std::vector<zring::task<bool>> all;
    for (auto& dealer : dealers) all.push_back(client(dealer, dealer.get(zmq::sockopt::routing_id), cs));
    int failed = 0;
    for (bool ok : co_await zring::when_all(std::move(all))) failed += ok ? 0 : 1;
    co_return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    examples::cli args(argc, argv, "asyncsrv [options]",
                       {{"role", "all (default), server or clients"},
                        {"endpoint", "the server's frontend (default tcp://127.0.0.1:5570)"},
                        {"workers", "server: worker coroutines (default 5)"},
                        {"crash-after", "server: answer this many requests, then crash on the next (default 0: never)"},
                        {"clients", "client coroutines (default 3)"},
                        {"requests", "requests per client (default 5)"},
                        {"interval-ms", "client: pause between requests (default 100)"},
                        {"timeout-ms", "client: resend a request not fully answered by then (default 1000)"},
                        {"retries", "client: attempts per request before giving up (default 3)"},
                        {"engine", examples::engine_help}});
    const std::string role = args.get("role", "all");
    if (role != "all" && role != "server" && role != "clients") args.fail("--role must be all, server or clients");
    const bool run_server = role != "clients";
    const bool run_clients = role != "server";
    const std::string endpoint = args.get("endpoint", "tcp://127.0.0.1:5570");
    const std::int64_t workers = args.number("workers", 5);
    crash_budget crash{args.number("crash-after", 0)};
    if (run_server && workers == 0) args.fail("--workers must be at least 1");
    if (run_clients && crash.after > 0) args.fail("--crash-after needs --role server");
    const std::int64_t client_count = args.number("clients", 3);
    const client_settings cs{endpoint, args.number("requests", 5), milliseconds(args.number("interval-ms", 100)),
                             milliseconds(args.number("timeout-ms", 1000)), args.number("retries", 3)};
    if (cs.retries == 0) args.fail("--retries must be at least 1");

    zring::block_signals(SIGINT, SIGTERM);
    const auto started = examples::start_scheduler(args);
    zring::scheduler& scheduler = *started;
    return examples::with_engine(args, [&](auto& engine) {
        using engine_type = std::remove_reference_t<decltype(engine)>;
        using socket = typename engine_type::socket;
        std::optional<socket> frontend, backend;
        if (run_server) {
            frontend.emplace(engine.make(scheduler, zmq::socket_type::router));
            backend.emplace(engine.make(scheduler, zmq::socket_type::dealer));
            frontend->set(zmq::sockopt::linger, 0);
            try {
                frontend->bind(endpoint);
            } catch (const zring::socket_error& e) {
                args.fail(e.what());
            }
            backend->bind(engine_type::local_endpoint(backend_name));
        }
        std::vector<socket> dealers;
        if (run_clients) {
            try {
                for (std::int64_t c = 0; c < client_count; ++c)
                    dealers.push_back(examples::connect(scheduler, engine, zmq::socket_type::dealer, endpoint,
                                                       "client-" + std::to_string(c)));
            } catch (const zring::socket_error& e) {
                args.fail(e.what());
            }
        }

        // The server runs until stopped; the clients until answered.
        auto everything = [&]() -> zring::task<int> {
            int status = 0;
            co_await zring::with_task_group([&](zring::task_group& group) -> zring::task<void> {
                if (run_server) group.spawn(serve(scheduler, engine, *frontend, *backend, workers, crash));
                if (run_clients) {
                    status = co_await clients(dealers, cs);
                    group.request_stop();  // the server's work is done too
                }
            });
            co_return status;
        };
        try {
            // Stopped by a signal: the clients' requests are unanswered, a server is done.
            return examples::run_until_stopped(scheduler, everything(), run_clients ? 1 : 0);
        } catch (const simulated_crash&) {
            return crashed;
        }
    });
}
