// zring-cat: netcat for ZeroMQ.
//
// Sending sockets send one message per line of standard input; receiving
// sockets print one line per message; REQ sends a line and prints the reply;
// REP prints a request and answers with the next line (or echoes it once
// input has ended); DEALER and PAIR send and print at the same time. Exit
// status 0 only when --count messages were handled (without --count: at the
// end of input, or on SIGINT/SIGTERM). --engine native runs the socket on
// zring's own ZMTP engine instead of libzmq (tcp and ipc).
#include "common/cli.hpp"
#include "common/engine.hpp"
#include "common/scheduler.hpp"
#include "common/line_reader.hpp"

#include <zring/zring.hpp>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace {

const std::map<std::string, zmq::socket_type> socket_types{
    {"PUB", zmq::socket_type::pub},       {"SUB", zmq::socket_type::sub},   {"XPUB", zmq::socket_type::xpub},
    {"XSUB", zmq::socket_type::xsub},     {"PUSH", zmq::socket_type::push}, {"PULL", zmq::socket_type::pull},
    {"REQ", zmq::socket_type::req},       {"REP", zmq::socket_type::rep},   {"DEALER", zmq::socket_type::dealer},
    {"ROUTER", zmq::socket_type::router}, {"PAIR", zmq::socket_type::pair}, {"STREAM", zmq::socket_type::stream},
};

enum class role { send, receive, request, reply, both };

role role_of(zmq::socket_type t) {
    switch (t) {
        case zmq::socket_type::pub:
        case zmq::socket_type::xpub:
        case zmq::socket_type::push: return role::send;
        case zmq::socket_type::req: return role::request;
        case zmq::socket_type::rep: return role::reply;
        case zmq::socket_type::dealer:
        case zmq::socket_type::pair: return role::both;
        default: return role::receive;
    }
}

struct settings {
    std::optional<std::int64_t> count;
    std::optional<std::chrono::milliseconds> timeout;
    std::string separator;
};

template <class Socket>
class cat {
public:
    cat(Socket& s, settings cfg) : socket_(s), cfg_(std::move(cfg)) {}

    // True once --count messages were handled (or, without --count, input ended).
    zring::task<bool> run(role r) {
        switch (r) {
            case role::send: co_return co_await send_lines();
            case role::receive: co_return co_await print_messages();
            case role::request: co_return co_await request_replies();
            case role::reply: co_return co_await answer_requests();
            case role::both: {
                // The receiving side decides; sending ends with the input.
                auto first = co_await zring::when_any(send_lines_forever(), print_messages());
                co_return first.index() == 1 && std::get<1>(first);
            }
        }
        co_return false;
    }

    std::int64_t handled() const noexcept { return handled_; }

private:
    bool done() const noexcept { return cfg_.count && handled_ >= *cfg_.count; }

    std::vector<zmq::message_t> frames_of(const std::string& line) const {
        std::vector<zmq::message_t> frames;
        if (cfg_.separator.empty()) {
            frames.emplace_back(line.data(), line.size());
            return frames;
        }
        std::size_t start = 0;
        for (;;) {
            const auto at = line.find(cfg_.separator, start);
            frames.emplace_back(line.data() + start, (at == std::string::npos ? line.size() : at) - start);
            if (at == std::string::npos) return frames;
            start = at + cfg_.separator.size();
        }
    }

    std::string line_of(const std::vector<zmq::message_t>& frames) const {
        std::string line;
        for (std::size_t i = 0; i < frames.size(); ++i) {
            if (i) line += cfg_.separator.empty() ? " " : cfg_.separator;
            line += frames[i].to_string_view();
        }
        return line;
    }

    zring::task<std::vector<zmq::message_t>> receive() {
        if (cfg_.timeout) co_return co_await socket_.recv_multipart(*cfg_.timeout);
        co_return co_await socket_.recv_multipart();
    }

    zring::task<bool> send_lines() {
        while (!done()) {
            auto line = co_await input_.next();
            if (!line) co_return !cfg_.count;
            co_await socket_.send_multipart(frames_of(*line));
            ++handled_;
        }
        co_return true;
    }

    zring::task<std::monostate> send_lines_forever() {
        for (;;) {
            auto line = co_await input_.next();
            if (!line) break;
            co_await socket_.send_multipart(frames_of(*line));
        }
        // Input ended: keep receiving until the count is reached or a signal comes.
        zring::event never;
        co_await never;
        co_return std::monostate{};
    }

    zring::task<bool> print_messages() {
        while (!done()) {
            std::cout << line_of(co_await receive()) << std::endl;
            ++handled_;
        }
        co_return true;
    }

    zring::task<bool> request_replies() {
        while (!done()) {
            auto line = co_await input_.next();
            if (!line) co_return !cfg_.count;
            co_await socket_.send_multipart(frames_of(*line));
            std::cout << line_of(co_await receive()) << std::endl;
            ++handled_;
        }
        co_return true;
    }

    zring::task<bool> answer_requests() {
        while (!done()) {
            auto request = co_await receive();
            std::cout << line_of(request) << std::endl;
            auto reply = co_await input_.next();
            if (reply)
                co_await socket_.send_multipart(frames_of(*reply));
            else
                co_await socket_.send_multipart(std::move(request));
            ++handled_;
        }
        co_return true;
    }

    Socket& socket_;
    settings cfg_;
    examples::line_reader input_{STDIN_FILENO};
    std::int64_t handled_ = 0;
};

// Binds, connects and subscribes as the arguments say, then runs the tool.
template <class Socket>
int run(examples::cli& args, zring::scheduler& scheduler, Socket& socket, zmq::socket_type type, settings cfg) {
    try {
        for (const auto& e : args.all("bind")) socket.bind(e);
        for (const auto& e : args.all("connect")) socket.connect(e);
        if (type == zmq::socket_type::sub) {
            const auto prefixes = args.all("subscribe");
            if (prefixes.empty()) socket.subscribe("");
            for (const auto& p : prefixes) socket.subscribe(p);
        }
    } catch (const zring::socket_error& e) {
        args.fail(e.what());
    }

    cat<Socket> tool(socket, cfg);
    auto main_task = [&]() -> zring::task<int> {
        auto outcome = co_await zring::when_any(tool.run(role_of(type)), zring::signal(SIGINT, SIGTERM));
        if (outcome.index() == 1) co_return cfg.count ? 1 : 0;
        co_return std::get<0>(outcome) ? 0 : 1;
    };
    try {
        const int status = scheduler.run(main_task());
        if (status != 0 && cfg.count)
            std::cerr << "zring-cat: handled " << tool.handled() << " of " << *cfg.count << " messages\n";
        return status;
    } catch (const zring::timed_out& e) {
        std::cerr << "zring-cat: " << e.what() << " after handling " << tool.handled() << " messages\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "zring-cat: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace

int main(int argc, char** argv) {
    examples::cli args(argc, argv, "zring-cat --type TYPE (--bind|--connect ENDPOINT)... [options]",
                       {{"type", "socket type, any case: pub sub xpub xsub push pull req rep dealer router pair stream"},
                        {"bind", "endpoint to bind (repeatable)"},
                        {"connect", "endpoint to connect to (repeatable)"},
                        {"subscribe", "SUB prefix (repeatable; default: everything)"},
                        {"count", "messages to handle, then exit 0"},
                        {"timeout-ms", "give up (exit 1) when a message takes longer than this"},
                        {"multipart-sep", "split lines into frames at this separator, and join frames with it"},
                        {"engine", examples::engine_help}},
                       "exit status:\n"
                       "  0  done: --count messages handled; without --count, input ended or SIGINT/SIGTERM\n"
                       "  1  failed: a timeout, fewer than --count messages, no scheduler backend, a socket error\n"
                       "  2  bad arguments: an unknown option or socket type, a bad number, an endpoint refused\n");
    if (!args.has("type")) args.fail("--type is required");
    std::string type_name = args.get("type", "");  // any case, as pyzmq and zmqc take it
    std::transform(type_name.begin(), type_name.end(), type_name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    const auto type_it = socket_types.find(type_name);
    if (type_it == socket_types.end()) args.fail("unknown socket type '" + args.get("type", "") + "'");
    if (!args.has("bind") && !args.has("connect")) args.fail("give at least one --bind or --connect");

    settings cfg;
    if (args.has("count")) cfg.count = args.number("count", 0);
    if (args.has("timeout-ms")) cfg.timeout = std::chrono::milliseconds(args.number("timeout-ms", 0));
    cfg.separator = args.get("multipart-sep", "");

    zring::block_signals(SIGINT, SIGTERM);
    const auto started = examples::start_scheduler(args);
    zring::scheduler& scheduler = *started;
    return examples::with_engine(args, [&](auto& engine) {
        using socket_type = typename std::remove_reference_t<decltype(engine)>::socket;
        std::optional<socket_type> socket;
        try {
            socket.emplace(engine.make(scheduler, type_it->second));  // the native engine lacks a few types
        } catch (const zring::socket_error& e) {
            args.fail(e.what());
        }
        return run(args, scheduler, *socket, type_it->second, cfg);
    });
}
