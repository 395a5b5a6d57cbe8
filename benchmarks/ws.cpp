// zring-bench ws: WebSocket echo of 64 B text messages, against Boost.Beast's
// websocket (Asio) and Tornado's WebSocketHandler in the same run. Each
// server is a process pinned to one core; the clients are one zring-bench
// process on the other (zring-bench _ws_client), the same for every server.
// Each client sends a message and waits for its echo: 1 client measures
// the round trip, 100 the server's throughput (messages/s).
#include "beast_server.hpp"
#include "bench.hpp"
#include "receivers.hpp"
#include "web.hpp"

#include <zring/coro/event.hpp>
#include <zring/coro/task_group.hpp>
#include <zring/http/server.hpp>
#include <zring/io/tcp.hpp>


#include <cstring>
#include <iostream>
#include <regex>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

namespace bench {

namespace {

constexpr std::size_t message_size = 64;

const char* const tornado_server = R"py(
import asyncio
import tornado.httpserver, tornado.netutil, tornado.web, tornado.websocket
class Echo(tornado.websocket.WebSocketHandler):
    def on_message(self, message):
        self.write_message(message, binary=isinstance(message, bytes))
async def main():
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    tornado.httpserver.HTTPServer(tornado.web.Application([(r"/", Echo)])).add_sockets(sockets)
    print("listening on", sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
)py";

bool have_tornado() {
    static const bool yes = web::have_python_modules("tornado.websocket");
    return yes;
}

web::server_process start_server(const std::string& variant) {
    if (variant == "tornado") return web::server_process({web::python, "-c", tornado_server}, "ws (tornado)");
    return web::server_process({web::self_path(), "_ws_server", variant}, "ws (" + variant + ")");
}

#ifdef ZRING_BENCH_BEAST
namespace asio = boost::asio;
namespace beast = boost::beast;

asio::awaitable<void> beast_session(asio::ip::tcp::socket socket) {
    beast::websocket::stream<asio::ip::tcp::socket> ws(std::move(socket));
    try {
        co_await ws.async_accept(asio::use_awaitable);
        beast::flat_buffer buffer;
        for (;;) {
            co_await ws.async_read(buffer, asio::use_awaitable);
            ws.text(ws.got_text());
            co_await ws.async_write(buffer.data(), asio::use_awaitable);
            buffer.consume(buffer.size());
        }
    } catch (const std::exception&) {  // the client went away
    }
}

#endif

int serve_zring(const std::string& variant) {
    zring::scheduler s(scheduler_options_for(variant));
    zring::http::server app(s);
    app.route_websocket("/", [](zring::http::request&, zring::http::websocket& ws) -> zring::task<void> {
        for (;;) {
            std::optional<zring::http::websocket::message> m = co_await ws.recv();
            if (!m) break;
            if (m->binary) {
                co_await ws.send_binary(std::as_bytes(std::span(m->data)));
            } else {
                co_await ws.send(m->data);
            }
        }
    });
    auto listener = zring::tcp_listener::listen(s, "127.0.0.1:0");
    std::cout << "listening on " << listener.local_endpoint().port() << std::endl;
    s.run(app.serve(listener));
    return 0;
}

// A client's text frame: masked, as RFC 6455 requires of clients.
std::string client_frame(std::string_view payload) {
    std::string f{char(0x81), static_cast<char>(0x80 | payload.size())};
    const char key[4] = {0x37, 0x5a, 0x11, 0x6c};
    f.append(key, 4);
    for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
    return f;
}

params ws_params(int clients) { return {{"echo", ""}, {"clients", std::to_string(clients)}, {"size", "64"}}; }

}  // namespace

std::vector<std::string> ws_variants() {
    std::vector<std::string> v;
#ifdef ZRING_BENCH_BEAST
    v.push_back("beast");
#endif
    v.insert(v.end(), {"zring", "zring-epoll"});
    if (have_tornado()) v.push_back("tornado");
    return v;
}

int serve_ws(const std::string& variant) {
#ifdef ZRING_BENCH_BEAST
    if (variant == "beast") return beast_server::serve(beast_session);
#endif
    return serve_zring(variant);
}

int ws_client(int port, int clients, double seconds) {
    raise_descriptor_limit();
    zring::scheduler s;
    const std::string payload(message_size, 'm');
    const std::string frame = client_frame(payload);
    std::string expected{char(0x81), static_cast<char>(payload.size())};
    expected += payload;
    zring::event go;
    int connected = 0;
    std::int64_t echoes = 0;
    clock::time_point start, end;
    auto client = [&]() -> zring::task<void> {
        zring::tcp_stream c = co_await zring::tcp_stream::connect(s, "127.0.0.1:" + std::to_string(port), web::setup_limit);
        co_await c.write(std::string_view("GET / HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"),
                         10s);
        const std::string head = co_await c.read_until("\r\n\r\n", 4096, web::setup_limit);
        if (head.rfind("HTTP/1.1 101", 0) != 0) throw std::runtime_error("ws client: the handshake failed: " + head);
        if (++connected == clients) {
            start = clock::now();
            end = start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
            go.set();
        }
        co_await go.wait();
        std::string echo(expected.size(), '\0');
        const std::span<std::byte> into = std::as_writable_bytes(std::span(echo));
        while (clock::now() < end) {
            co_await c.write(frame, 10s);
            co_await c.read_exactly(into, 10s);
            if (echo != expected) throw std::runtime_error("ws client: the echo differs from the message");
            ++echoes;
        }
    };
    try {
        s.run(zring::with_task_group([&](zring::task_group& group) -> zring::task<void> {
            for (int i = 0; i < clients; ++i) group.spawn(client());
            co_return;
        }));
    } catch (const std::exception& e) {
        std::cout << "ws client: " << e.what() << std::endl;
        return 1;
    }
    std::cout << "echoes " << echoes << " seconds " << seconds_between(start, clock::now()) << std::endl;
    return 0;
}

void ws(const options& opt, report& out) {
    const double seconds = opt.quick ? 1 : 3;
    const auto variants = selected_variants(opt, ws_variants());
    for (const int clients : {1, 100}) {
        for (int rep = 1; rep <= opt.repeat; ++rep) {
            progress("ws", ws_params(clients), rep, opt.repeat);
            for (const auto& variant : in_turn(variants, rep)) {
                const web::server_process server = start_server(variant);
                const std::string output = web::command_output(
                    web::pinned_to(0) + web::self_path() + " _ws_client " + std::to_string(server.port()) + " " +
                        std::to_string(clients) + " " + std::to_string(seconds),
                    "ws");
                std::smatch m;
                if (!std::regex_search(output, m, std::regex(R"(echoes (\d+) seconds ([0-9.e+-]+))")) ||
                    std::stoll(m[1]) <= 0)
                    throw std::runtime_error("ws: the client against " + variant + " measured nothing:\n" + output);
                row& x = out.at("ws", ws_params(clients), variant, "msgs_per_s", true);
                x.record("msgs_per_s", static_cast<double>(std::stoll(m[1])) / std::stod(m[2]));
            }
        }
    }
}

}  // namespace bench
