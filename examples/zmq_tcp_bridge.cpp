// ZeroMQ inside a network server, on one thread: a line-protocol TCP server
// whose clients' lines are published on a ZeroMQ PUB, and whose SUB's
// updates are written to every TCP client.
//
//   zmq_tcp_bridge --listen 127.0.0.1:7000 --pub tcp://127.0.0.1:5557
//
// With no --sub it subscribes to its own PUB: the clients hear each other.
// In two terminals:
//   nc 127.0.0.1 7000        type "hello", and both terminals show "hello"
//   nc 127.0.0.1 7000
// Against pubsub_publisher (which publishes "updates N" on 5556):
//   zmq_tcp_bridge --listen 127.0.0.1:7000 --sub tcp://127.0.0.1:5556
//   nc 127.0.0.1 7000        shows every update; what you type goes to --pub
//
// A line is at most 64 KiB. A client that reads too slowly to keep up (1,000
// lines behind, or a write stuck for 30 s) is disconnected rather than let
// the server's memory grow; one that only listens may stay silent. A client
// that ends its stream is gone. Ctrl-C stops the server cleanly. With
// --engine native, ZeroMQ runs on zring's own ZMTP engine too: one thread
// in all, streams and sockets on one ring.
#include "common/cli.hpp"
#include "common/engine.hpp"
#include "common/scheduler.hpp"
#include "common/until_signal.hpp"

#include <zring/zring.hpp>

#include <csignal>
#include <iostream>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <utility>

using namespace std::chrono_literals;

namespace {

constexpr std::size_t max_line = 64 * 1024;
constexpr std::size_t max_behind = 1000;  // lines queued for one client

using line_ptr = std::shared_ptr<const std::string>;  // one update, shared by every client's queue

struct client {
    explicit client(zring::tcp_stream s) : stream(std::move(s)) {}
    zring::tcp_stream stream;
    zring::channel<line_ptr> outgoing{max_behind};
    std::string name = stream.peer_endpoint().to_string();
};

template <class Engine>
class bridge {
public:
    using socket = typename Engine::socket;
    bridge(zring::scheduler& s, Engine& engine)
        : pub_(engine.make(s, zmq::socket_type::pub)), sub_(engine.make(s, zmq::socket_type::sub)) {}

    socket& pub() { return pub_; }
    socket& sub() { return sub_; }

    zring::task<void> serve(zring::tcp_listener& listener) {
        co_await zring::with_task_group([&](zring::task_group& group) -> zring::task<void> {
            group.spawn(fan_out());
            for (;;) {
                zring::tcp_stream accepted = co_await listener.accept();
                clients_.emplace_back(std::move(accepted));
                group.spawn(serve_client(std::prev(clients_.end())));
            }
        });
    }

private:
    // Each update from the SUB goes to every client's queue, as a line; a
    // client whose queue is full is too slow, and is closed.
    zring::task<void> fan_out() {
        for (;;) {
            zmq::message_t update = co_await sub_.recv();
            const auto line = std::make_shared<const std::string>(update.to_string() + "\n");
            for (client& c : clients_) {
                line_ptr queued = line;
                if (!c.outgoing.try_send(queued) && c.stream.is_open()) {
                    std::cerr << c.name << ": " << max_behind << " lines behind, disconnected" << std::endl;
                    c.stream.close();  // its reader and writer end with stream_closed
                }
            }
        }
    }

    // One client: its lines go to the PUB while its queue is written to it.
    zring::task<void> serve_client(std::list<client>::iterator it) {
        client& c = *it;
        std::cerr << c.name << ": connected" << std::endl;
        try {
            co_await zring::when_any(read_lines(c), write_lines(c));
        } catch (const zring::stream_closed&) {
            // closed by fan_out: said so there
        } catch (const zring::operation_cancelled&) {
            clients_.erase(it);
            throw;  // the server stops
        } catch (const std::exception& e) {
            std::cerr << e.what() << std::endl;  // a reset, a line too long, a timeout: this client only
        }
        std::cerr << c.name << ": gone" << std::endl;
        clients_.erase(it);
    }

    zring::task<void> read_lines(client& c) {
        for (;;) {
            std::optional<std::string> line;
            try {
                line = co_await c.stream.read_until("\n", max_line);
            } catch (const zring::end_of_stream&) {
                co_return;  // the client hung up
            }
            line->pop_back();                                              // the "\n"
            if (!line->empty() && line->back() == '\r') line->pop_back();  // nc -C, telnet
            co_await pub_.send(zmq::message_t(*line));
        }
    }

    zring::task<void> write_lines(client& c) {
        for (;;) {
            std::optional<line_ptr> line = co_await c.outgoing.recv();
            if (!line) co_return;
            co_await c.stream.write(**line, 30s);
        }
    }

    socket pub_;
    socket sub_;
    std::list<client> clients_;  // stable: each client's coroutines hold theirs
};

}  // namespace

int main(int argc, char** argv) {
    examples::cli args(argc, argv, "zmq_tcp_bridge [--listen HOST:PORT] [--pub ENDPOINT] [--sub ENDPOINT]",
                       {{"listen", "the TCP line server (default 127.0.0.1:7000; port 0 picks one)"},
                        {"pub", "where the clients' lines are published (default tcp://127.0.0.1:5557)"},
                        {"sub", "whose updates go to every client (default: the --pub endpoint)"},
                        {"engine", examples::engine_help}});
    const std::string listen = args.get("listen", "127.0.0.1:7000");
    const std::string pub = args.get("pub", "tcp://127.0.0.1:5557");
    const std::string sub = args.get("sub", pub);
    zring::block_signals(SIGINT, SIGTERM);
    const auto started = examples::start_scheduler(args);
    zring::scheduler& s = *started;
    return examples::with_engine(args, [&](auto& engine) {
        bridge b(s, engine);
        std::optional<zring::tcp_listener> listener;
        try {
            b.pub().bind(pub);
            b.sub().connect(sub);
            b.sub().subscribe("");
            listener.emplace(zring::tcp_listener::listen(s, listen));
        } catch (const std::exception& e) {
            args.fail(e.what());
        }
        std::cerr << "listening on " << listener->local_endpoint().to_string() << ", publishing on " << pub
                  << ", subscribed to " << sub << std::endl;
        return examples::run_until_stopped(s, b.serve(*listener), 0);
    });
}
