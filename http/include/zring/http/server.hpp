#pragma once
// server: HTTP/1.1 on a tcp_listener, on the scheduler's thread (Tornado's
// Application + HTTPServer).
//
//     zring::http::server app(s);
//     app.route("GET", "/items/{id}", [](zring::http::request& r) -> zring::task<zring::http::response> {
//         co_return zring::http::response(200, "item " + r.param("id") + "\n");
//     });
//     auto listener = zring::tcp_listener::listen(s, "127.0.0.1:8080");
//     co_await app.serve(listener);  // until shutdown()
//
// Keep-alive and pipelining (responses in request order), Content-Length
// and chunked bodies, Expect: 100-continue, HEAD, Connection: close and a
// Date header. A path that no route has is 404; a path routed for other
// methods is 405 with Allow. A handler that throws http_error answers its
// status; any other exception is logged and answered 500.
//
// Every client is treated as hostile: a head over max_header_size is 431,
// a body over max_body_size 413, a malformed or smuggling request (both
// Content-Length and Transfer-Encoding, or two Content-Lengths) 400, a head
// that takes longer than header_timeout 408, a body that takes longer than
// body_timeout 408; each of these closes the connection. An idle keep-alive
// connection closes after idle_timeout, a write that the client does not
// take within write_timeout ends its connection, and past max_connections
// new connections are closed at once.

#include <zring/coro/detail/intrusive_list.hpp>
#include <zring/coro/event.hpp>
#include <zring/coro/task.hpp>
#include <zring/http/detail/request_parser.hpp>
#include <zring/http/event_stream.hpp>
#include <zring/http/request.hpp>
#include <zring/http/response.hpp>
#include <zring/http/response_stream.hpp>
#include <zring/http/websocket.hpp>
#include <zring/io/scheduler.hpp>
#include <zring/io/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace zring::http {

using namespace std::chrono_literals;

// Tornado's defaults where it has them.
struct server_options {
    std::size_t max_header_size = 64 * 1024;
    std::size_t max_body_size = 100 * 1024 * 1024;
    // Deadlines that a trickle of bytes does not move. The head: from the
    // connection's start for its first request, else from the request's
    // first byte. The body: the whole of it, from the end of the head.
    std::chrono::steady_clock::duration header_timeout = 30s;
    std::chrono::steady_clock::duration body_timeout = 300s;
    std::chrono::steady_clock::duration idle_timeout = 3600s;   // between requests on a keep-alive connection
    std::chrono::steady_clock::duration write_timeout = 60s;    // each write of a response
    std::chrono::steady_clock::duration event_keepalive = 15s;  // a comment on a quiet event stream; 0: none
    // Connections past this are closed as soon as they are accepted.
    std::size_t max_connections = 10000;
    std::size_t read_buffer_size = 16 * 1024;
    // Where the server reports handler failures and dropped clients; stderr by default.
    std::function<void(std::string_view)> log;
};

// What a route may set for itself.
struct route_options {
    // This route's limit on a request body, in place of server_options::max_body_size.
    std::optional<std::size_t> max_body_size;
    // The handler runs as soon as the head is in and reads the body itself,
    // as it arrives, with request::read_body() (Tornado's
    // stream_request_body): an upload larger than memory, or one processed
    // as it comes. A client that sent Expect: 100-continue gets its 100 at
    // the handler's first read, so a handler that refuses first (401)
    // spares it the upload. A body the handler leaves unread closes the
    // connection after the response.
    bool stream_body = false;
};

using handler = std::function<task<response>(request&)>;
using stream_handler = std::function<task<void>(request&, response_stream&)>;
using events_handler = std::function<task<void>(request&, event_stream&)>;
using websocket_handler = std::function<task<void>(request&, websocket&)>;

class server {
public:
    explicit server(scheduler& s, server_options options = {});
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // A route: a method ("GET"; HEAD is served by GET's route) and a path
    // pattern of literal segments and {name} parameters, a last {name...}
    // taking the rest of the path. The first route that matches serves.
    // std::invalid_argument for a malformed pattern.
    void route(std::string_view method, std::string_view pattern, handler h, route_options options = {});
    // A handler that writes its body as it goes.
    void route_stream(std::string_view method, std::string_view pattern, stream_handler h, route_options options = {});
    // GET, answered with a Server-Sent Events stream.
    void route_events(std::string_view pattern, events_handler h);
    // GET, upgraded to a WebSocket. A request that is not a valid handshake
    // is answered 400 (426 for another protocol version, 403 for an Origin
    // that check_origin refuses).
    void route_websocket(std::string_view pattern, websocket_handler h, websocket_options options = {});

    // GET (and HEAD) of the files under root, at prefix + their relative
    // path, with their Content-Type, Last-Modified (304 for If-Modified-Since)
    // and one Range (206, 416). "..", absolute paths, NUL bytes and symlinks
    // that leave root are refused (404: the kernel resolves the path beneath
    // root, so only relative symlinks that stay in it are followed); so are
    // directories and special files. Opening and reading run on the default
    // thread pool, never on the loop thread. std::system_error if root is
    // not a directory.
    void route_static(std::string_view prefix, const std::string& root);

    // Accepts and serves connections until shutdown() (then returns once
    // every connection is closed) or until the awaiting coroutine is
    // cancelled (then closes every connection and throws operation_cancelled).
    task<void> serve(tcp_listener& listener);

    // Graceful shutdown: stop accepting, close idle keep-alive connections,
    // end event streams (their handlers cancelled, the body ended as a
    // whole one would) and WebSockets (their handlers cancelled, close 1001
    // sent, the peer's reply awaited up to close_timeout), let requests in
    // flight finish and close their connections, and after `deadline`
    // cancel whatever is left. Returns once serve() has returned. Tells the
    // log what it had to cancel.
    task<void> shutdown(std::chrono::steady_clock::duration deadline = 10s);

    // Open connections, for diagnostics.
    std::size_t connections() const noexcept { return connection_count_; }
    scheduler& get_scheduler() const noexcept { return scheduler_; }

private:
    struct connection;
    struct route_entry;
    class streamed_body;
    enum class route_kind { plain, stream, events, websocket };
    enum class input { parsed, timed_out, closed };

    void add_route(route_entry entry);
    // The route for a request (its parameters into params), or nullptr and
    // the methods the path is routed for.
    const route_entry* find_route(const request& req, std::vector<request::argument>& params,
                                  std::string& allowed) const;
    static response no_route(const request& req, const std::string& allowed);
    task<void> serve_connection(tcp_stream stream);
    task<void> run_connection(connection& c);
    // Reads if nothing is pending, within the connection's deadline, and
    // feeds the parser once: its event in `what`.
    task<input> read_input(connection& c, detail::request_parser::event& what);
    // A request whose handler reads its body: dispatched at its head.
    // False if the connection must close after it.
    task<bool> dispatch_streamed(connection& c);
    task<void> linger(connection& c);
    // Answers a request that will not be served (r carries why), and closes.
    task<void> refuse(connection& c, response r);
    // What the parser refused, as the answer: 400, 413, 431, ...
    static response parser_error(const connection& c);
    task<void> send_continue(connection& c);
    // Serves one parsed request; false if the connection must close after it.
    // `rest` is what the client sent after the request (a WebSocket's first frames).
    task<bool> dispatch(connection& c, request& req, bool keep_alive, std::string_view rest);
    task<void> send(connection& c, const request* req, response& r, bool keep_alive);
    task<bool> run_stream(connection& c, request& req, const route_entry& route, bool keep_alive);
    task<void> run_events(connection& c, request& req, const route_entry& route);
    task<void> run_websocket(connection& c, request& req, const route_entry& route, std::string_view rest);
    void log(std::string_view message) const noexcept;
    // The answer to a handler's exception: an http_error's own status, else
    // 500 (logged).
    response failure_response(const request& req, const std::exception_ptr& failure) const;

    scheduler& scheduler_;
    server_options options_;
    std::vector<std::unique_ptr<route_entry>> routes_;  // stable: a handler's captures outlive its calls
    std::size_t body_ceiling_;  // the largest body any route takes
    zring::detail::intrusive_list<connection> open_;
    std::size_t connection_count_ = 0;
    std::stop_source accepting_;
    bool serving_ = false;
    bool refusing_ = false;  // over max_connections, and said so
    bool draining_ = false;
    event stopped_{true};  // set while serve() is not running
};

}  // namespace zring::http
