// A live dashboard of ZeroMQ updates in a browser, on one thread: the web
// half of a Tornado + pyzmq app, in zring.
//
//   pubsub_publisher &                        publishes "updates N" on 5556
//   reqrep_echo --mode server &               answers "echo: TEXT" on 5557
//   web_dashboard --port 8888                 open http://127.0.0.1:8888/
//
// The page shows every update as it arrives, over Server-Sent Events and
// over a WebSocket (two panes), and its form sends text to the echo service
// over ZeroMQ (REQ) and shows the reply. Endpoints:
//   GET  /         the page
//   GET  /events   SSE: one "update" event per update, its data the text
//   GET  /ws       WebSocket: one text message per update; a text message
//                  sent to it goes to the echo service, its reply comes back
//   POST /send     form field "text": the echo service's reply (504 if none)
// A browser too slow to keep up (256 updates behind) is disconnected; its
// EventSource reconnects. Ctrl-C shuts the server down gracefully. With
// --engine native the ZeroMQ sockets speak ZMTP on the loop's own ring: the
// whole process is one thread.
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
#include <type_traits>

using namespace std::chrono_literals;
namespace http = zring::http;

namespace {

constexpr std::size_t max_behind = 256;  // updates queued for one browser

const char* const page = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>zring dashboard</title>
<style>
 body { font-family: sans-serif; margin: 2em; }
 .panes { display: flex; gap: 2em; }
 section { flex: 1; border: 1px solid #ccc; padding: 0 1em; min-height: 12em; }
 ol { font-family: monospace; }
</style></head>
<body>
<h1>zring dashboard</h1>
<div class="panes">
 <section><h2>Server-Sent Events</h2><p>updates: <span id="sse-count">0</span></p><ol id="sse"></ol></section>
 <section><h2>WebSocket</h2><p>updates: <span id="ws-count">0</span> <span id="ws-state">connecting</span></p><ol id="ws"></ol></section>
</div>
<form id="send"><input id="text" name="text" placeholder="to ZeroMQ"> <button>Send</button></form>
<p>reply: <span id="reply"></span></p>
<script>
function show(list, counter, text) {
  const ol = document.getElementById(list);
  const li = document.createElement('li');
  li.textContent = text;
  ol.prepend(li);
  while (ol.children.length > 20) ol.lastChild.remove();
  const n = document.getElementById(counter);
  n.textContent = Number(n.textContent) + 1;
}
const events = new EventSource('/events');
events.addEventListener('update', e => show('sse', 'sse-count', e.data));
const ws = new WebSocket(`ws://${location.host}/ws`);
ws.onopen = () => { document.getElementById('ws-state').textContent = 'open'; };
ws.onclose = () => { document.getElementById('ws-state').textContent = 'closed'; };
ws.onmessage = e => show('ws', 'ws-count', e.data);
document.getElementById('send').addEventListener('submit', async e => {
  e.preventDefault();
  const body = new URLSearchParams(new FormData(e.target));
  const reply = await fetch('/send', {method: 'POST', body});
  document.getElementById('reply').textContent = await reply.text();
});
</script>
</body></html>
)html";

using update_ptr = std::shared_ptr<const std::string>;  // one update, shared by every browser's queue

// The browsers listening, each with its own bounded queue.
class hub {
public:
    class subscription {
    public:
        explicit subscription(hub& h) : hub_(h), it_(h.queues_.emplace(h.queues_.end(), max_behind)) {}
        ~subscription() { hub_.queues_.erase(it_); }
        subscription(const subscription&) = delete;
        subscription& operator=(const subscription&) = delete;
        // The next update; std::nullopt if this browser fell too far behind.
        auto next() { return it_->recv(); }
        // An update already waiting, if any.
        std::optional<update_ptr> waiting() { return it_->try_recv(); }

    private:
        hub& hub_;
        std::list<zring::channel<update_ptr>>::iterator it_;
    };

    void publish(const std::string& text) {
        const auto update = std::make_shared<const std::string>(text);
        // try_send resumes a waiting browser's coroutine at once, which may
        // end (its client gone) and leave the list: step past it first.
        for (auto it = queues_.begin(); it != queues_.end();) {
            auto& queue = *it++;
            if (queue.closed()) continue;  // too slow before: leaving once it drained
            update_ptr copy = update;
            if (!queue.try_send(copy)) queue.close();  // too slow: its stream ends
        }
    }
    std::size_t listeners() const { return queues_.size(); }

private:
    std::list<zring::channel<update_ptr>> queues_;  // stable: subscriptions hold theirs
};

template <class Socket>
class dashboard {
public:
    template <class Engine>
    dashboard(zring::scheduler& s, Engine& engine) : sub_(engine.make(s, zmq::socket_type::sub)),
                                                     echo_(engine.make(s, zmq::socket_type::req)) {
        // A reply that never comes must not wedge REQ: send again anyway,
        // and drop a late reply to an earlier request.
        echo_.set(zmq::sockopt::req_relaxed, 1);
        echo_.set(zmq::sockopt::req_correlate, 1);
        echo_.set(zmq::sockopt::linger, 0);
    }

    Socket& sub() { return sub_; }
    Socket& echo() { return echo_; }

    void routes(http::server& app) {
        app.route("GET", "/", [](http::request&) -> zring::task<http::response> {
            co_return http::response(200, page, "text/html; charset=utf-8");
        });
        app.route_events("/events", [this](http::request&, http::event_stream& sse) -> zring::task<void> {
            hub::subscription updates(hub_);
            for (;;) {
                std::optional<update_ptr> update = co_await updates.next();
                if (!update) co_return;
                // Whatever else is waiting goes out in the same write.
                for (; update; update = updates.waiting()) sse.queue(**update, "update");
                co_await sse.flush();
            }
        });
        app.route_websocket("/ws", [this](http::request&, http::websocket& ws) -> zring::task<void> {
            co_await zring::when_any(forward_updates(ws), forward_messages(ws));
        });
        app.route("POST", "/send", [this](http::request& r) -> zring::task<http::response> {
            std::optional<std::string> text;
            for (auto& [name, value] : r.form())
                if (name == "text") text = value;
            if (!text) throw http::http_error(400, "the form has no field \"text\"");
            std::optional<std::string> reply = co_await ask(*text);
            if (!reply) throw http::http_error(504, "the echo service did not answer");
            co_return http::response(200, *reply);
        });
    }

    // Every update to every browser.
    zring::task<void> fan_out() {
        for (;;) {
            zmq::message_t update = co_await sub_.recv();
            hub_.publish(update.to_string());
        }
    }

private:
    zring::task<void> forward_updates(http::websocket& ws) {
        hub::subscription updates(hub_);
        for (;;) {
            std::optional<update_ptr> update = co_await updates.next();
            if (!update) co_return;
            co_await ws.send(**update);
        }
    }

    zring::task<void> forward_messages(http::websocket& ws) {
        for (;;) {
            std::optional<http::websocket::message> m = co_await ws.recv();
            if (!m) co_return;
            std::optional<std::string> reply = co_await ask(m->data);
            if (!reply) reply = "(no reply from the echo service)";
            co_await ws.send(*reply);
        }
    }

    // One request to the echo service at a time; its reply, or none within 2 s.
    zring::task<std::optional<std::string>> ask(const std::string& text) {
        auto turn = co_await asking_.scoped_lock();
        co_await echo_.send(zmq::message_t(text));
        std::optional<std::string> reply;
        try {
            zmq::message_t m = co_await echo_.recv(2s);
            reply = m.to_string();
        } catch (const zring::timed_out&) {
        }
        co_return reply;
    }

    Socket sub_;
    Socket echo_;
    zring::mutex asking_;
    hub hub_;
};

template <class Socket>
zring::task<void> serve(dashboard<Socket>& d, http::server& app, zring::tcp_listener& listener) {
    co_await zring::with_task_group([&](zring::task_group& group) -> zring::task<void> {
        group.spawn(d.fan_out());
        group.spawn(app.serve(listener));
        const int signo = co_await zring::signal(SIGINT, SIGTERM);
        std::cerr << "Signal " << signo << " received, shutting down" << std::endl;
        co_await app.shutdown(5s);
        group.request_stop();  // the fan-out
    });
}

}  // namespace

int main(int argc, char** argv) {
    examples::cli args(argc, argv, "web_dashboard [--port PORT] [--sub ENDPOINT] [--echo ENDPOINT]",
                       {{"port", "the HTTP port on 127.0.0.1 (default 8888; 0 picks one)"},
                        {"sub", "the publisher of updates (default tcp://127.0.0.1:5556)"},
                        {"echo", "the REQ/REP echo service for the form (default tcp://127.0.0.1:5557)"},
                        {"engine", examples::engine_help}});
    const std::int64_t port = args.number("port", 8888);
    zring::block_signals(SIGINT, SIGTERM);
    const auto started = examples::start_scheduler(args);
    zring::scheduler& s = *started;
    return examples::with_engine(args, [&](auto& engine) {
        dashboard<typename std::remove_reference_t<decltype(engine)>::socket> d(s, engine);
        http::server app(s);
        d.routes(app);
        std::optional<zring::tcp_listener> listener;
        try {
            d.sub().connect(args.get("sub", "tcp://127.0.0.1:5556"));
            d.sub().subscribe("");
            d.echo().connect(args.get("echo", "tcp://127.0.0.1:5557"));
            listener.emplace(zring::tcp_listener::listen(s, "127.0.0.1:" + std::to_string(port)));
        } catch (const std::exception& e) {
            args.fail(e.what());
        }
        std::cout << "listening on http://" << listener->local_endpoint().to_string() << "/" << std::endl;
        try {
            s.run(serve(d, app, *listener));
        } catch (const std::exception& e) {
            std::cerr << "error: " << e.what() << std::endl;
            return 1;
        }
        return 0;
    });
}
