// zring-bench sse: Server-Sent Events fan-out of a ZeroMQ stream. A PUB in
// this process sends "update N" 1,000 times a second; the server (pinned to
// one core) subscribes and sends every update to each of its event-stream
// clients; 1,000 clients (zring-bench _sse_client, on the other core) count
// what arrives. Against Tornado with pyzmq's ZMQStream, the stack zring
// replaces, in the same run. Both servers queue at most 1,024 updates per
// client and drop past that, so a server that cannot keep up delivers less,
// and both write what a client has waiting in one write.
// Reports delivered events/s, the fraction of what was published, and the
// server's resident memory per subscriber.
#include "bench.hpp"
#include "receivers.hpp"
#include "web.hpp"

#include <zring/coro/channel.hpp>
#include <zring/coro/event.hpp>
#include <zring/coro/task_group.hpp>
#include <zring/http/server.hpp>
#include <zring/io/tcp.hpp>
#include <zring/zmq/socket.hpp>

#include <atomic>
#include <iostream>
#include <list>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <fstream>
#include <thread>

using namespace std::chrono_literals;

namespace bench {

namespace {

constexpr int updates_per_second = 1000;
constexpr std::size_t max_queued = 1024;  // per client, in both servers

const char* const tornado_server = R"py(
import asyncio, sys
import tornado.httpserver, tornado.iostream, tornado.netutil, tornado.web
import zmq
from zmq.eventloop.zmqstream import ZMQStream
queues = set()
class Events(tornado.web.RequestHandler):
    async def get(self):
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        queue = asyncio.Queue(1024)
        queues.add(queue)
        try:
            self.flush()
            while True:
                update = await queue.get()
                self.write(b"data: " + update + b"\n\n")
                while not queue.empty():  # what else is waiting, in the same write
                    self.write(b"data: " + queue.get_nowait() + b"\n\n")
                await self.flush()
        except tornado.iostream.StreamClosedError:
            pass
        finally:
            queues.discard(queue)
def publish(frames):
    for queue in queues:
        if not queue.full():
            queue.put_nowait(frames[0])
async def main():
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(sys.argv[1])
    ZMQStream(sub).on_recv(publish)
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    tornado.httpserver.HTTPServer(tornado.web.Application([(r"/", Events)])).add_sockets(sockets)
    print("listening on", sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
)py";

bool have_tornado() {
    static const bool yes = web::have_python_modules("tornado.web zmq.eventloop.zmqstream");
    return yes;
}

web::server_process start_server(const std::string& variant, const std::string& publisher) {
    if (variant == "tornado")
        return web::server_process({web::python, "-c", tornado_server, publisher}, "sse (tornado)");
    return web::server_process({web::self_path(), "_sse_server", variant, publisher}, "sse (" + variant + ")");
}

using update = std::shared_ptr<const std::string>;  // one update, shared by every client's queue

// A PUB sending "update N" at updates_per_second until destroyed.
class publisher {
public:
    publisher() : socket_(context_, zmq::socket_type::pub) {
        socket_.set(zmq::sockopt::sndhwm, 0);
        socket_.bind("tcp://127.0.0.1:*");
        endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
        thread_ = std::thread([this] { run(); });
    }
    ~publisher() {
        stop_ = true;
        thread_.join();
    }
    publisher(const publisher&) = delete;
    publisher& operator=(const publisher&) = delete;
    const std::string& endpoint() const { return endpoint_; }

private:
    void run() {
        const auto period = std::chrono::nanoseconds(1'000'000'000 / updates_per_second);
        auto next = clock::now();
        for (std::int64_t n = 0; !stop_; ++n) {
            const std::string text = "update " + std::to_string(n);
            socket_.send(zmq::buffer(text), zmq::send_flags::none);
            next += period;
            std::this_thread::sleep_until(next);
        }
    }

    zmq::context_t context_;
    zmq::socket_t socket_;
    std::string endpoint_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

int serve_zring(const std::string& variant, const std::string& endpoint) {
    raise_descriptor_limit();
    zring::scheduler s(scheduler_options_for(variant));
    zmq::context_t context;
    std::list<zring::channel<update>> queues;  // stable: each client holds its own
    zring::http::server app(s);
    app.route_events("/", [&](zring::http::request&, zring::http::event_stream& sse) -> zring::task<void> {
        const auto mine = queues.emplace(queues.end(), max_queued);
        struct leave {
            std::list<zring::channel<update>>& queues;
            std::list<zring::channel<update>>::iterator mine;
            ~leave() { queues.erase(mine); }
        } on_exit{queues, mine};
        for (;;) {
            std::optional<update> u = co_await mine->recv();
            if (!u) break;
            // What else is waiting goes out in the same write.
            for (; u; u = mine->try_recv()) sse.queue(**u);
            co_await sse.flush();
        }
    });
    auto listener = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto fan_out = [&]() -> zring::task<void> {
        zring::socket sub(s, context, zmq::socket_type::sub);
        sub.subscribe("");
        sub.connect(endpoint);
        for (;;) {
            const zmq::message_t m = co_await sub.recv();
            update u = std::make_shared<const std::string>(m.to_string());
            // A client resumed by try_send may end at once and leave the
            // list: step past its entry first.
            for (auto it = queues.begin(); it != queues.end();) {
                auto& queue = *it++;
                update copy = u;
                queue.try_send(copy);  // a full queue drops it
            }
        }
    };
    std::cout << "listening on " << listener.local_endpoint().port() << std::endl;
    s.run(zring::with_task_group([&](zring::task_group& group) -> zring::task<void> {
        group.spawn(fan_out());
        co_await app.serve(listener);
    }));
    return 0;
}

params sse_params(int subscribers) {
    return {{"fan-out", ""}, {"subscribers", std::to_string(subscribers)},
            {"updates/s", std::to_string(updates_per_second)}};
}

}  // namespace

std::vector<std::string> sse_variants() {
    std::vector<std::string> v;
    if (have_tornado()) v.push_back("tornado");  // the baseline
    v.insert(v.end(), {"zring", "zring-epoll"});
    return v;
}

int serve_sse(const std::string& variant, const std::string& endpoint) { return serve_zring(variant, endpoint); }

int sse_client(int port, int server_pid, int subscribers, double seconds) {
    raise_descriptor_limit();
    zring::scheduler s;
    zring::event go;
    int streaming = 0;
    std::int64_t events = 0;
    bool measuring = false;
    clock::time_point start, end;
    std::size_t server_rss = 0;
    auto subscriber = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await zring::tcp_stream::connect(s, "127.0.0.1:" + std::to_string(port), web::setup_limit);
        co_await c.write(std::string_view("GET / HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n"), 10s);
        const std::string head = co_await c.read_until("\r\n\r\n", 4096, web::setup_limit);
        if (head.rfind("HTTP/1.1 200", 0) != 0) throw std::runtime_error("sse client: refused: " + head);
        // An event ends with an empty line: count "\n\n", across reads too.
        char buffer[16384];
        char last = 0;
        bool counted_in = false;
        for (;;) {
            const std::size_t n = co_await c.read_some(std::as_writable_bytes(std::span(buffer)), 10s);
            if (n == 0) throw std::runtime_error("sse client: the server ended a stream");
            if (!counted_in) {  // its first data: this one streams
                counted_in = true;
                if (++streaming == subscribers) {
                    start = clock::now();
                    end = start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
                    measuring = true;
                    go.set();
                }
            }
            std::int64_t here = 0;
            for (std::size_t i = 0; i < n; ++i) {
                if (buffer[i] == '\n' && last == '\n') ++here;
                last = buffer[i];
            }
            if (measuring) events += here;
            if (measuring && clock::now() >= end) {
                measuring = false;
                server_rss = web::resident_bytes_of(server_pid);  // with every subscriber connected
                end = clock::now();
            }
            if (!measuring && go.is_set()) co_return;
        }
    };
    try {
        s.run(zring::with_task_group([&](zring::task_group& group) -> zring::task<void> {
            for (int i = 0; i < subscribers; ++i) group.spawn(subscriber());
            co_return;
        }));
    } catch (const std::exception& e) {
        std::cout << "sse client: " << e.what() << std::endl;
        return 1;
    }
    std::cout << "events " << events << " seconds " << seconds_between(start, end) << " rss " << server_rss
              << std::endl;
    return 0;
}

void sse(const options& opt, report& out) {
    const double seconds = opt.quick ? 1 : 3;
    const int subscribers = opt.quick ? 100 : 1000;
    const auto variants = selected_variants(opt, sse_variants());
    for (int rep = 1; rep <= opt.repeat; ++rep) {
        progress("sse", sse_params(subscribers), rep, opt.repeat);
        for (const auto& variant : in_turn(variants, rep)) {
            const publisher pub;
            const web::server_process server = start_server(variant, pub.endpoint());
            const std::size_t idle_rss = web::resident_bytes_of(server.pid());
            const std::string output = web::command_output(
                web::pinned_to(0) + web::self_path() + " _sse_client " + std::to_string(server.port()) + " " +
                    std::to_string(server.pid()) + " " + std::to_string(subscribers) + " " + std::to_string(seconds),
                "sse");
            std::smatch m;
            if (!std::regex_search(output, m, std::regex(R"(events (\d+) seconds ([0-9.e+-]+) rss (\d+))")) ||
                std::stoll(m[1]) <= 0)
                throw std::runtime_error("sse: the clients of " + variant + " received nothing:\n" + output);
            const double per_s = static_cast<double>(std::stoll(m[1])) / std::stod(m[2]);
            const double rss = std::stod(m[3]);
            row& x = out.at("sse", sse_params(subscribers), variant, "events_per_s", true);
            x.record("events_per_s", per_s);
            x.record("delivered_fraction", per_s / (double(subscribers) * updates_per_second));
            x.record("rss_bytes_per_subscriber", (rss - static_cast<double>(idle_rss)) / subscribers);
        }
    }
}

}  // namespace bench
