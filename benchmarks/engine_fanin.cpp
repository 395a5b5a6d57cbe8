// engine fanin: many tcp connections into one PULL, 16 B messages. A sender
// process opens the connections from one native PUSH, waits for every
// handshake, then sends one message down each connection in turn, letting
// its loop run after every round: each connection carries a trickle, as
// the clients of a collector do. The receiver is raw (a libzmq PULL and
// its I/O thread), native or native-epoll; measured are its messages per
// second, its CPU per message (the whole process: libzmq's I/O thread
// counted) and its resident memory per connection.
#include "engine.hpp"
#include "measure.hpp"

#include <zring/coro/event.hpp>
#include <zring/zmq/zmtp_socket.hpp>

#include <malloc.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <chrono>
#include <iostream>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <system_error>

extern char** environ;

namespace bench {

namespace {

using namespace std::chrono_literals;

// How long a receiver waits for the next message, and the sender for its
// connections, before the run fails: nothing in it may hang.
constexpr auto stall_limit = 60s;
constexpr const char payload[] = "0123456789abcdef";

// The sender process, waited for (and killed first if the run failed).
class sender_process {
public:
    sender_process(const std::string& endpoint, int connections, std::int64_t count) {
        std::vector<std::string> args{"zring-bench", "_fanin_sender", endpoint, std::to_string(connections),
                                      std::to_string(count)};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        const int rc = ::posix_spawn(&pid_, "/proc/self/exe", nullptr, nullptr, argv.data(), environ);
        if (rc != 0) throw std::system_error(rc, std::system_category(), "engine fanin: starting the sender process");
    }
    sender_process(const sender_process&) = delete;
    sender_process& operator=(const sender_process&) = delete;
    ~sender_process() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    // Waits for the sender to exit; throws if it failed.
    void finish() {
        int status = 0;
        pid_t waited;
        while ((waited = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
        }
        if (waited != pid_) return;  // not ours to wait for: the destructor kills it
        pid_ = -1;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            throw std::runtime_error("engine fanin: the sender process failed");
    }

private:
    pid_t pid_ = -1;
};

struct fanin_result {
    double msgs_per_s = 0;
    double cpu_us_per_msg = 0;
    double rss_per_connection = 0;
};

fanin_result fanin_once(const std::string& variant, int connections, std::int64_t count) {
    fanin_result r;
    ::malloc_trim(0);  // what an earlier variant freed must not hide this one's growth
    const auto rss0 = static_cast<double>(resident_bytes());
    clock::time_point first{}, last{};
    double cpu0 = 0;
    const auto on_message = [&](std::int64_t i) {
        if (i == 0) {
            first = clock::now();
            cpu0 = process_cpu_seconds();
        }
    };
    const auto stalled = [&](std::int64_t i) {
        return std::runtime_error("engine fanin: " + variant + " received " + std::to_string(i) + " of " +
                                  std::to_string(count) + " messages, then nothing for 60 s");
    };
    std::optional<sender_process> sender;
    // With the receiving socket still open: its connections count.
    const auto received_all = [&] {
        last = clock::now();
        r.cpu_us_per_msg = (process_cpu_seconds() - cpu0) * 1e6 / static_cast<double>(count - 1);
        r.rss_per_connection = (static_cast<double>(resident_bytes()) - rss0) / connections;
        sender->finish();
    };
    if (variant == "raw") {
        zmq::context_t context;
        zmq::socket_t pull(context, zmq::socket_type::pull);
        pull.set(zmq::sockopt::backlog, 4096);  // as the native listener's: the connections arrive at once
        pull.set(zmq::sockopt::rcvtimeo, static_cast<int>(std::chrono::milliseconds(stall_limit).count()));
        pull.bind(fresh_endpoint("tcp"));
        sender.emplace(pull.get(zmq::sockopt::last_endpoint), connections, count);
        zmq::message_t m;
        for (std::int64_t i = 0; i < count; ++i) {
            if (!pull.recv(m)) throw stalled(i);
            on_message(i);
        }
        received_all();
    } else {
        zring::scheduler s(native_options(variant));
        zring::zmtp::socket pull(s, zmq::socket_type::pull);
        pull.bind(fresh_endpoint("tcp"));
        sender.emplace(pull.get(zmq::sockopt::last_endpoint), connections, count);
        s.run([&]() -> zring::task<void> {
            zmq::message_t m;
            for (std::int64_t i = 0; i < count; ++i) {
                try {
                    co_await pull.recv(m, stall_limit);
                } catch (const zring::timed_out&) {
                    throw stalled(i);
                }
                on_message(i);
            }
        }());
        received_all();
    }
    r.msgs_per_s = static_cast<double>(count - 1) / seconds_between(first, last);
    return r;
}

}  // namespace

int fanin_sender(const std::string& endpoint, int connections, std::int64_t count) {
    // A parent gone (failed, or killed by its watchdog) takes this process
    // and its thousands of connections with it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    try {
        zring::scheduler s;
        zring::zmtp::socket push(s, zmq::socket_type::push);
        push.set(zmq::sockopt::linger, static_cast<int>(std::chrono::milliseconds(stall_limit).count()));
        int connected = 0;
        zring::event all_connected;
        push.on_event([&](const zring::zmtp::event& e) {
            if (e.kind == zring::zmtp::event_kind::connected && ++connected == connections) all_connected.set();
        });
        for (int i = 0; i < connections; ++i) push.connect(endpoint);
        s.run([&]() -> zring::task<void> {
            std::stop_source gave_up;
            const auto limit = s.call_later(stall_limit, [&] { gave_up.request_stop(); });
            try {
                co_await all_connected.wait(gave_up.get_token());
            } catch (const zring::operation_cancelled&) {
                throw std::runtime_error(std::to_string(connected) + " of " + std::to_string(connections) +
                                         " connections made in 60 s");
            }
            for (std::int64_t i = 0; i < count; ++i) {
                co_await push.send(zmq::message_t(payload, sizeof payload - 1));
                if ((i + 1) % connections == 0) co_await s.yield();  // a round: the writers run
            }
        }());
        push.close();  // runs the loop until everything queued is written
        return 0;
    } catch (const std::exception& error) {
        std::cerr << "zring-bench _fanin_sender: " << error.what() << "\n";
        return 1;
    }
}

void engine_fanin(const options& opt, report& out) {
    if (!opt.transports.empty() && std::find(opt.transports.begin(), opt.transports.end(), "tcp") == opt.transports.end())
        return;
    const std::vector<int> counts = opt.quick ? std::vector<int>{100} : std::vector<int>{1000, 10000};
    const std::int64_t messages = opt.quick ? 20'000 : 1'000'000;
    const std::size_t fds = raise_descriptor_limit();  // one per connection, on each side
    for (const int connections : counts) {
        if (static_cast<std::size_t>(connections) + 256 > fds) {
            std::cerr << "  engine fanin: skipping " << connections << " connections: the descriptor limit is " << fds
                      << "\n";
            continue;
        }
        const params p{{"connections", std::to_string(connections)},
                       {"transport", "tcp"},
                       {"size", std::to_string(sizeof payload - 1)},
                       {"messages", std::to_string(messages)}};
        for (int rep = 1; rep <= opt.repeat; ++rep) {
            progress("engine fanin", p, rep, opt.repeat);
            for (const auto& variant : in_turn(chosen_engine_variants(opt, {"raw", "native", "native-epoll"}), rep)) {
                note_progress("engine fanin " + variant);  // each takes seconds at 10,000 connections
                const fanin_result r = fanin_once(variant, connections, messages);
                row& line = out.at("engine-fanin", p, variant, "msgs_per_s", true);
                line.record("msgs_per_s", r.msgs_per_s);
                line.record("cpu_us_per_msg", r.cpu_us_per_msg);
                line.record("rss_bytes_per_connection", r.rss_per_connection);
            }
        }
    }
}

}  // namespace bench
