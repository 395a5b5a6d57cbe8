// zring-bench http: a hello world under wrk, against Boost.Beast (Asio) and
// Tornado in the same run. Each server is a process of its own pinned to
// one core, wrk to the other (the machines this runs on have two), and
// each repetition runs the variants in turn. Keep-alive and not (wrk's
// "Connection: close"), at 1, 64 and 256 connections.
#include "beast_server.hpp"
#include "bench.hpp"
#include "receivers.hpp"
#include "web.hpp"

#include <zring/http/server.hpp>
#include <zring/io/tcp.hpp>


#include <iostream>
#include <regex>
#include <stdexcept>
#include <string>

namespace bench {

namespace {

constexpr const char* hello = "Hello, World!";

const char* const tornado_server = R"py(
import asyncio, sys
import tornado.web
class Hello(tornado.web.RequestHandler):
    def get(self):
        self.set_header("Content-Type", "text/plain")
        self.write("Hello, World!")
async def main():
    app = tornado.web.Application([(r"/", Hello)])
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    print("listening on", sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()
import tornado.httpserver, tornado.netutil
asyncio.run(main())
)py";

bool have_wrk() {
    static const bool yes = web::can_run("command -v wrk");
    return yes;
}

bool have_tornado() {
    static const bool yes = web::have_python_modules("tornado.web");
    return yes;
}

web::server_process start_server(const std::string& variant) {
    if (variant == "tornado") return web::server_process({web::python, "-c", tornado_server}, "http (tornado)");
    return web::server_process({web::self_path(), "_http_server", variant}, "http (" + variant + ")");
}

struct wrk_result {
    double requests_per_s = 0;
    double p99_us = 0;
};

double to_us(double value, const std::string& unit) {
    if (unit == "us") return value;
    if (unit == "ms") return value * 1e3;
    if (unit == "s") return value * 1e6;
    throw std::runtime_error("http: wrk printed a latency in '" + unit + "'");
}

wrk_result run_wrk(int port, int connections, bool keep_alive, int seconds) {
    std::string command = web::pinned_to(0) + "wrk -t1 -c" + std::to_string(connections) + " -d" + std::to_string(seconds) + "s --latency ";
    if (!keep_alive) command += "-H 'Connection: close' ";
    command += "http://127.0.0.1:" + std::to_string(port) + "/";
    const std::string output = web::command_output(command, "http");
    wrk_result r;
    std::smatch m;
    if (std::regex_search(output, m, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) r.requests_per_s = std::stod(m[1]);
    if (std::regex_search(output, m, std::regex(R"(\n\s+99%\s+([0-9.]+)(us|ms|s)\b)")))
        r.p99_us = to_us(std::stod(m[1]), m[2]);
    if (r.requests_per_s <= 0 || output.find("Non-2xx") != std::string::npos)
        throw std::runtime_error("http: wrk against port " + std::to_string(port) + " measured nothing:\n" + output);
    return r;
}

#ifdef ZRING_BENCH_BEAST
namespace asio = boost::asio;
namespace beast = boost::beast;

asio::awaitable<void> beast_session(asio::ip::tcp::socket socket) {
    beast::flat_buffer buffer;
    try {
        for (;;) {
            beast::http::request<beast::http::string_body> req;
            co_await beast::http::async_read(socket, buffer, req, asio::use_awaitable);
            beast::http::response<beast::http::string_body> res{beast::http::status::ok, req.version()};
            res.set(beast::http::field::content_type, "text/plain");
            res.keep_alive(req.keep_alive());
            res.body() = hello;
            res.prepare_payload();
            co_await beast::http::async_write(socket, res, asio::use_awaitable);
            if (!res.keep_alive()) break;
        }
    } catch (const std::exception&) {  // the client went away
    }
    beast::error_code ignored;
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

#endif

int serve_zring(const std::string& variant) {
    zring::scheduler s(scheduler_options_for(variant));
    zring::http::server app(s);
    app.route("GET", "/", [](zring::http::request&) -> zring::task<zring::http::response> {
        co_return zring::http::response(200, hello, "text/plain");
    });
    auto listener = zring::tcp_listener::listen(s, "127.0.0.1:0");
    std::cout << "listening on " << listener.local_endpoint().port() << std::endl;
    s.run(app.serve(listener));
    return 0;
}

params http_params(int connections, bool keep_alive) {
    return {{"hello", ""}, {"connections", std::to_string(connections)}, {"keep-alive", keep_alive ? "yes" : "no"}};
}

}  // namespace

std::vector<std::string> http_variants() {
    std::vector<std::string> v;
#ifdef ZRING_BENCH_BEAST
    v.push_back("beast");
#endif
    v.insert(v.end(), {"zring", "zring-epoll"});
    if (have_tornado()) v.push_back("tornado");
    return v;
}

int serve_http(const std::string& variant) {
#ifdef ZRING_BENCH_BEAST
    if (variant == "beast") return beast_server::serve(beast_session);
#endif
    return serve_zring(variant);
}

void http(const options& opt, report& out) {
    if (!have_wrk()) {
        std::cerr << "  http: skipped: wrk is not installed (Debian: wrk)\n";
        return;
    }
    const int seconds = opt.quick ? 1 : 3;
    const std::vector<int> connection_counts = opt.quick ? std::vector<int>{1, 64} : std::vector<int>{1, 64, 256};
    const auto variants = selected_variants(opt, http_variants());
    for (const bool keep_alive : {true, false}) {
        for (const int c : connection_counts) {
            for (int rep = 1; rep <= opt.repeat; ++rep) {
                progress("http", http_params(c, keep_alive), rep, opt.repeat);
                for (const auto& variant : in_turn(variants, rep)) {
                    const web::server_process server = start_server(variant);
                    const wrk_result r = run_wrk(server.port(), c, keep_alive, seconds);
                    row& x = out.at("http", http_params(c, keep_alive), variant, "requests_per_s", true);
                    x.record("requests_per_s", r.requests_per_s);
                    x.record("p99_us", r.p99_us);
                }
            }
        }
    }
}

}  // namespace bench
