// The HTTP/1.1 server: one coroutine per connection, each reading with the
// parser, dispatching to the route and writing the response in turn (which
// keeps pipelined responses in request order).
#include "route.hpp"
#include "websocket_handshake.hpp"
#include "wire.hpp"

#include <zring/coro/cancellation.hpp>
#include <zring/coro/event.hpp>
#include <zring/coro/errors.hpp>
#include <zring/coro/task_group.hpp>
#include <zring/coro/when_any.hpp>
#include <zring/http/detail/request_parser.hpp>
#include <zring/http/errors.hpp>
#include <zring/http/server.hpp>
#include <zring/io/errors.hpp>
#include <zring/io/timer.hpp>

#include <algorithm>
#include <array>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <variant>

namespace zring::http {

using clock = std::chrono::steady_clock;

struct server::route_entry {
    std::string method;
    detail::path_pattern pattern;
    route_kind kind;
    handler plain = {};
    stream_handler stream = {};
    events_handler events = {};
    websocket_handler websocket = {};
    websocket_options websocket_settings = {};
    route_options options = {};  // plain and stream routes
};

struct server::connection : zring::detail::list_hook {
    connection(tcp_stream s, const server_options& options, std::size_t body_ceiling)
        : stream(std::move(s)),
          parser({options.max_header_size, body_ceiling}),
          buffer(options.read_buffer_size),
          deadline(clock::now() + options.header_timeout) {}
    tcp_stream stream;
    std::stop_source stop;
    bool idle = true;         // between requests: shutdown closes it at once
    bool long_lived = false;  // an event stream or a WebSocket: shutdown ends it at once, cleanly
    event going_away;         // set by shutdown for a long-lived one
    // Reading. One deadline at a time, never moved by the bytes a client
    // trickles: the first request's head from the connection's start, a
    // later one's from its first byte; the next request while idle; a whole body.
    detail::request_parser parser;
    std::vector<char> buffer;
    std::string_view pending;  // read and not yet parsed
    clock::time_point deadline;
    bool first = true;
    bool body_timed = false;
    bool continue_due = false;  // the client waits for "100 Continue" before its body
    // Writing a response: its head, and the pieces of the write under way.
    std::string head;
    std::array<std::string_view, 2> out;

    // A connection that serves no more requests (an event stream, a
    // WebSocket) gives its read buffer back: thousands of them wait at once.
    void stop_reading_requests() {
        pending = {};
        std::vector<char>().swap(buffer);
    }

    // The next request: its head due within `header_timeout` of its first byte.
    void next_request(const server_options& options) {
        first = false;
        body_timed = false;
        deadline = clock::now() + options.idle_timeout;
    }
};

// The body of a request whose handler reads it: pieces parsed from the
// connection's input as the handler asks for them.
class server::streamed_body final : public detail::body_source {
public:
    streamed_body(server& srv, connection& c) : server_(srv), c_(c) {}
    bool ended() const noexcept override { return ended_; }

    task<std::string_view> read() override {
        if (c_.continue_due) co_await server_.send_continue(c_);
        std::string& piece = c_.parser.streamed();
        piece.clear();
        while (!ended_ && piece.empty()) {
            detail::request_parser::event what{};
            const input in = co_await server_.read_input(c_, what);
            if (in == input::timed_out) throw http_error(408, "the request body did not arrive in time");
            if (in == input::closed)
                throw client_disconnected(c_.stream.name() + ": the client closed the connection within a request body");
            if (what == detail::request_parser::event::error)
                throw http_error(c_.parser.error_status(), c_.parser.error_reason());
            ended_ = what == detail::request_parser::event::message;
        }
        co_return std::string_view(piece);
    }

private:
    server& server_;
    connection& c_;
    bool ended_ = false;
};

namespace {

std::string describe(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    } catch (...) {
        return "an exception not derived from std::exception";
    }
}

}  // namespace

server::server(scheduler& s, server_options options)
    : scheduler_(s), options_(std::move(options)), body_ceiling_(options_.max_body_size) {
    if (options_.read_buffer_size == 0) throw std::invalid_argument("zring::http::server: read_buffer_size is 0");
}

server::~server() = default;

void server::log(std::string_view message) const noexcept {
    try {
        if (options_.log) {
            options_.log(message);
        } else {
            std::cerr << "zring::http::server: " << message << std::endl;
        }
    } catch (...) {
        // a log that fails must not take a connection, or the server, with it
    }
}

void server::add_route(route_entry entry) {
    if (entry.method.empty()) throw std::invalid_argument("zring::http::server::route: an empty method");
    body_ceiling_ = std::max(body_ceiling_, entry.options.max_body_size.value_or(options_.max_body_size));
    routes_.push_back(std::make_unique<route_entry>(std::move(entry)));
}

namespace {
template <class Handler>
void check_handler(const Handler& h, const char* operation) {
    if (!h) throw std::invalid_argument(std::string("zring::http::server::") + operation + ": an empty handler");
}
}  // namespace

void server::route(std::string_view method, std::string_view pattern, handler h, route_options options) {
    check_handler(h, "route");
    add_route({std::string(method), detail::path_pattern(pattern), route_kind::plain, std::move(h), {}, {}, {}, {},
               options});
}

void server::route_stream(std::string_view method, std::string_view pattern, stream_handler h,
                          route_options options) {
    check_handler(h, "route_stream");
    add_route({std::string(method), detail::path_pattern(pattern), route_kind::stream, {}, std::move(h), {}, {}, {},
               options});
}

void server::route_events(std::string_view pattern, events_handler h) {
    check_handler(h, "route_events");
    add_route({"GET", detail::path_pattern(pattern), route_kind::events, {}, {}, std::move(h)});
}

void server::route_websocket(std::string_view pattern, websocket_handler h, websocket_options options) {
    check_handler(h, "route_websocket");
    add_route({"GET", detail::path_pattern(pattern), route_kind::websocket, {}, {}, {}, std::move(h),
               std::move(options)});
}

task<void> server::serve(tcp_listener& listener) {
    if (serving_) throw std::logic_error("zring::http::server::serve: already serving");
    serving_ = true;
    draining_ = false;
    accepting_ = std::stop_source();
    stopped_.reset();
    struct on_exit {
        server& self;
        ~on_exit() {
            self.serving_ = false;
            self.stopped_.set();
        }
    } done{*this};
    co_await with_task_group([&](task_group& group) -> task<void> {
        const std::stop_token stop = accepting_.get_token();
        while (!stop.stop_requested()) {
            std::optional<tcp_stream> accepted;
            try {
                accepted.emplace(co_await listener.accept({}, stop));
            } catch (const operation_cancelled&) {
                if (!stop.stop_requested()) throw;  // not shutdown(): the caller's cancellation
            }
            if (!accepted) continue;
            if (connection_count_ >= options_.max_connections) {
                if (!refusing_) log("more than " + std::to_string(options_.max_connections) +
                                    " connections: closing new ones until some end");
                refusing_ = true;
                accepted->close();
                continue;
            }
            refusing_ = false;
            group.spawn(serve_connection(std::move(*accepted)));
        }
    });
}

task<void> server::shutdown(clock::duration deadline) {
    if (!serving_) co_return;
    draining_ = true;
    accepting_.request_stop();
    // Resuming a stopped connection may end it, and so unlink it: step first.
    for (connection* c = open_.front(); c;) {
        connection* next = open_.next(c);
        if (c->idle) c->stop.request_stop();
        if (c->long_lived) c->going_away.set();
        c = next;
    }
    auto outcome = co_await when_any(stopped_.wait(), sleep_for(deadline));
    if (outcome.index() == 0) co_return;
    if (connection_count_ > 0) {
        log("shutdown: " + std::to_string(connection_count_) + " connection(s) still busy after the deadline; " +
            "cancelling them");
    }
    for (connection* c = open_.front(); c;) {
        connection* next = open_.next(c);
        c->stop.request_stop();
        c = next;
    }
    co_await stopped_.wait();
}

task<void> server::serve_connection(tcp_stream stream) {
    connection c(std::move(stream), options_, body_ceiling_);
    open_.push_back(&c);
    ++connection_count_;
    struct on_exit {
        server& self;
        connection& c;
        ~on_exit() {
            self.open_.erase(&c);
            --self.connection_count_;
        }
    } done{*this, c};
    try {
        co_await run_connection(c).with_stop_token(c.stop.get_token());
    } catch (const operation_cancelled&) {
        // shutdown, or the caller's cancellation: close
    } catch (const client_disconnected&) {
        // nothing more to tell it
    } catch (const std::system_error&) {
        // a reset or broken pipe: this client only
    } catch (const stream_closed&) {
    } catch (const timed_out&) {
        // a client that does not take its response
    } catch (...) {
        log(c.stream.name() + ": " + describe(std::current_exception()));
    }
    c.stream.close();
}

task<server::input> server::read_input(connection& c, detail::request_parser::event& what) {
    if (c.pending.empty()) {
        const bool between = !c.parser.started();
        if (c.parser.reading_body() && !c.body_timed) {
            c.deadline = clock::now() + options_.body_timeout;
            c.body_timed = true;
        }
        const clock::duration timeout = std::max(c.deadline - clock::now(), clock::duration::zero());
        c.idle = between;  // no request under way: shutdown may close it at once
        std::size_t n = 0;
        bool late = false;
        try {
            n = co_await c.stream.read_some(std::as_writable_bytes(std::span(c.buffer)), timeout);
        } catch (const timed_out&) {
            late = true;
        }
        c.idle = false;
        if (late) co_return input::timed_out;
        if (n == 0) co_return input::closed;
        c.pending = std::string_view(c.buffer.data(), n);
    }
    const bool was_started = c.parser.started();
    const auto [event, consumed] = c.parser.feed(c.pending);
    c.pending.remove_prefix(consumed);
    if (!was_started && c.parser.started() && !c.first) c.deadline = clock::now() + options_.header_timeout;
    what = event;
    co_return input::parsed;
}

task<void> server::refuse(connection& c, response r) {
    co_await send(c, nullptr, r, false);
    co_await linger(c);
}

response server::parser_error(const connection& c) {
    return response(c.parser.error_status(), c.parser.error_reason() + "\n");
}

task<void> server::send_continue(connection& c) {
    c.continue_due = false;
    co_await c.stream.write(std::string_view("HTTP/1.1 100 Continue\r\n\r\n"), options_.write_timeout);
}

task<void> server::run_connection(connection& c) {
    for (;;) {
        if (c.pending.empty() && !c.parser.started() && draining_) co_return;
        detail::request_parser::event what{};
        const input in = co_await read_input(c, what);
        if (in == input::timed_out) {
            if (!c.parser.started() && !c.first) co_return;  // an idle keep-alive connection
            co_await refuse(c, response(408, "the request did not arrive in time\n"));
            co_return;
        }
        if (in == input::closed) co_return;  // the client is gone; a request cut short has no one to answer
        switch (what) {
        case detail::request_parser::event::need_more:
            break;
        case detail::request_parser::event::headers: {
            // A body no route takes is not read: answered, and the connection closed.
            std::vector<request::argument> unused;
            std::string allowed;
            const route_entry* found = find_route(c.parser.current(), unused, allowed);
            if (!found) {
                co_await refuse(c, no_route(c.parser.current(), allowed));
                co_return;
            }
            if (!c.parser.limit_body(found->options.max_body_size.value_or(options_.max_body_size))) {
                co_await refuse(c, parser_error(c));  // 413
                co_return;
            }
            // A handler that reads the body itself asks for it by reading:
            // one that answers first spares the client the upload.
            const bool streams_body = found->options.stream_body;
            c.continue_due = c.parser.expects_continue();
            if (c.continue_due && !streams_body) co_await send_continue(c);
            c.parser.resume();
            if (!streams_body) break;
            const bool more = co_await dispatch_streamed(c);
            if (!more || draining_) {
                co_await linger(c);
                co_return;
            }
            c.parser.next();
            c.next_request(options_);
            break;
        }
        case detail::request_parser::event::error:
            co_await refuse(c, parser_error(c));
            co_return;
        case detail::request_parser::event::message: {
            // After an upgrade the bytes that follow are not HTTP: this
            // connection serves no more requests.
            const bool keep_alive = c.parser.keep_alive() && !c.parser.upgrade() && !draining_;
            request& req = c.parser.current();
            req.peer_ = c.stream.peer_endpoint();
            const bool more = co_await dispatch(c, req, keep_alive, c.pending);
            if (!more || draining_) {
                if (!c.pending.empty()) co_await linger(c);  // requests we will not answer: no reset over the last answer
                co_return;
            }
            c.parser.next();
            c.next_request(options_);
            break;
        }
        }
    }
}

task<bool> server::dispatch_streamed(connection& c) {
    c.parser.stream_body();
    request& req = c.parser.current();
    req.peer_ = c.stream.peer_endpoint();
    streamed_body body(*this, c);
    struct attached {
        request& req;
        ~attached() { req.body_source_ = nullptr; }
    } attach{req};
    req.body_source_ = &body;
    // An Upgrade request's body is followed by another protocol: no more HTTP.
    const bool keep_alive = c.parser.keep_alive() && !req.headers().contains("Upgrade");
    const bool more = co_await dispatch(c, req, keep_alive, {});
    // A body left unread (or cut short) leaves the connection mid-request.
    co_return more && body.ended();
}

response server::failure_response(const request& req, const std::exception_ptr& failure) const {
    try {
        std::rethrow_exception(failure);
    } catch (const http_error& e) {
        return response(e.status(), std::string(e.what()) + (*e.what() ? "\n" : ""));
    } catch (...) {
    }
    log(req.method() + " " + req.target() + ": the handler threw: " + describe(failure));
    return response(500, "Internal Server Error\n");
}

task<void> server::linger(connection& c) {
    // Closing with unread input makes the kernel send RST, which can
    // destroy the response before the client reads it: end our side, then
    // take what the client still sends, for a moment and up to a bound.
    constexpr std::size_t most = 1024 * 1024;
    const clock::time_point until = clock::now() + 1s;
    c.stream.shutdown_write();
    std::byte scratch[4096];
    std::size_t total = 0;
    try {
        while (total < most && clock::now() < until) {
            const std::size_t n = co_await c.stream.read_some(scratch, until - clock::now());
            if (n == 0) break;
            total += n;
        }
    } catch (const std::exception&) {
        // out of time, reset, shutdown: close all the same
    }
}

const server::route_entry* server::find_route(const request& req, std::vector<request::argument>& params,
                                              std::string& allowed) const {
    const std::string_view raw_path = std::string_view(req.target()).substr(0, req.target().find('?'));
    const bool head = req.method() == "HEAD";
    for (const auto& entry : routes_) {
        const route_entry& r = *entry;
        if (!r.pattern.match(raw_path, params)) continue;
        if (r.method == req.method() || (head && r.method == "GET")) return &r;
        params.clear();
        if (allowed.find(r.method) == std::string::npos) allowed += (allowed.empty() ? "" : ", ") + r.method;
        if (r.method == "GET" && allowed.find("HEAD") == std::string::npos) allowed += ", HEAD";
    }
    return nullptr;
}

response server::no_route(const request& req, const std::string& allowed) {
    if (allowed.empty()) return response(404, "no route for " + req.path() + "\n");
    response r(405, req.method() + " is not allowed for " + req.path() + "\n");
    r.headers.set("Allow", allowed);
    return r;
}

task<bool> server::dispatch(connection& c, request& req, bool keep_alive, std::string_view rest) {
    std::string allowed;
    const route_entry* found = find_route(req, req.params_, allowed);
    if (!found) {
        response r = no_route(req, allowed);
        co_await send(c, &req, r, keep_alive);
        co_return keep_alive;
    }
    switch (found->kind) {
    case route_kind::stream:
        co_return co_await run_stream(c, req, *found, keep_alive);
    case route_kind::events:
        co_await run_events(c, req, *found);
        co_return false;
    case route_kind::websocket:
        co_await run_websocket(c, req, *found, rest);
        co_return false;
    case route_kind::plain:
        break;
    }
    std::optional<response> answer;
    std::exception_ptr failure;
    const std::stop_token stopping = co_await get_stop_token();
    try {
        answer.emplace(co_await found->plain(req));
    } catch (const operation_cancelled&) {
        if (stopping.stop_requested()) throw;  // the server is stopping
        failure = std::current_exception();    // the handler's own cancellation: its failure
    } catch (const client_disconnected&) {
        throw;  // while it read the body: no one to answer
    } catch (...) {
        failure = std::current_exception();
    }
    if (failure) answer.emplace(failure_response(req, failure));
    bool unsendable = false;
    try {
        co_await send(c, &req, *answer, keep_alive);
    } catch (const std::invalid_argument& e) {
        // A header that would split the response: nothing was written.
        log(req.method() + " " + req.target() + ": " + e.what());
        unsendable = true;
    }
    if (unsendable) {
        response r(500, "Internal Server Error\n");
        co_await send(c, &req, r, keep_alive);
    }
    co_return keep_alive;
}

task<void> server::send(connection& c, const request* req, response& r, bool keep_alive) {
    // No body for HEAD, 1xx, 204 and 304 (RFC 9110 6.4.1); their Content-Length
    // would describe the body a GET would have had.
    const bool bodiless = r.status < 200 || r.status == 204 || r.status == 304;
    const bool head = req && req->method() == "HEAD";
    keep_alive = keep_alive && !draining_;  // a shutdown since the request came
    if (req && !req->body_complete()) keep_alive = false;  // its body unread
    r.headers.erase("Transfer-Encoding");
    r.headers.erase("Connection");
    if (!bodiless) r.headers.set("Content-Length", std::to_string(r.body.size()));
    if (!keep_alive) r.headers.add("Connection", "close");
    // The head goes into the connection's buffer, reused from response to
    // response, and no frame of this function's own is made: the write's is
    // the only one (r outlives it: the caller awaits it).
    constexpr std::size_t kept_head = 16 * 1024;
    if (c.head.capacity() > kept_head) std::string().swap(c.head);
    c.head.clear();
    detail::write_head(c.head, r.status, r.headers);
    const std::string_view body = bodiless || head ? std::string_view{} : std::string_view(r.body);
    c.out = {c.head, body};
    return detail::write_pieces(c.stream, c.out, options_.write_timeout);
}

task<bool> server::run_stream(connection& c, request& req, const route_entry& route, bool keep_alive) {
    const bool chunked = req.version_minor() >= 1;
    keep_alive = keep_alive && chunked;
    response_stream out(c.stream, req.method() == "HEAD", chunked, keep_alive, options_.write_timeout);
    out.close_if(&draining_, &req);
    std::exception_ptr failure;
    const std::stop_token stopping = co_await get_stop_token();
    try {
        co_await route.stream(req, out);
    } catch (const operation_cancelled&) {
        if (stopping.stop_requested()) throw;
        failure = std::current_exception();
    } catch (const client_disconnected&) {
        throw;
    } catch (...) {
        failure = std::current_exception();
    }
    if (!failure) {
        co_await out.finish();
        co_return out.reusable();
    }
    response r = failure_response(req, failure);
    if (out.started()) co_return false;  // the client sees the body cut short
    co_await send(c, &req, r, keep_alive);
    co_return keep_alive;
}

task<void> server::run_events(connection& c, request& req, const route_entry& route) {
    c.long_lived = true;
    if (draining_) {
        response r(503, "the server is shutting down\n");
        co_await send(c, &req, r, false);
        co_return;
    }
    response_stream out(c.stream, req.method() == "HEAD", req.version_minor() >= 1, false, options_.write_timeout);
    out.headers().set("Content-Type", "text/event-stream");
    out.headers().set("Cache-Control", "no-cache");
    event_stream events(out);
    c.stop_reading_requests();
    co_await out.start();
    if (req.method() == "HEAD") co_return;
    // The client sends nothing more: a read that ends means it is gone.
    auto watch = [](tcp_stream& s) -> task<void> {
        std::byte scratch[256];
        try {
            for (;;) {
                const std::size_t n = co_await s.read_some(scratch);
                if (n == 0) break;
            }
        } catch (const operation_cancelled&) {
            throw;
        } catch (const std::exception&) {
            // a reset: gone all the same
        }
    };
    auto keepalive = [](event_stream& events, clock::duration every) -> task<void> {
        if (every <= clock::duration::zero()) {  // no keepalive: wait for the others
            event never;
            co_await never.wait();
        }
        for (;;) {
            co_await sleep_until(events.last_write_ + every);
            if (clock::now() - events.last_write_ >= every) {
                try {
                    co_await events.write(":\n\n");
                } catch (const client_disconnected&) {
                    co_return;
                }
            }
        }
    };
    auto outcome = co_await when_any(route.events(req, events), watch(c.stream),
                                     keepalive(events, options_.event_keepalive), c.going_away.wait());
    // The handler's end, or shutdown: the stream ends as a whole body would.
    if (outcome.index() == 0 || outcome.index() == 3) co_await out.finish();
}

task<void> server::run_websocket(connection& c, request& req, const route_entry& route, std::string_view rest) {
    if (auto refusal = detail::refuse_handshake(req, route.websocket_settings)) {
        co_await send(c, &req, *refusal, false);
        co_await linger(c);
        co_return;
    }
    c.long_lived = true;
    if (draining_) {
        response r(503, "the server is shutting down\n");
        co_await send(c, &req, r, false);
        co_return;
    }
    response accepted = detail::accept_handshake(req);
    std::string head;
    detail::write_head(head, accepted.status, accepted.headers);
    co_await c.stream.write(head, options_.write_timeout);
    websocket ws(c.stream, route.websocket_settings, rest, options_.write_timeout);
    c.stop_reading_requests();  // `rest` is the WebSocket's now
    std::exception_ptr failure;
    bool handler_ended = false;
    bool going_away = false;
    try {
        auto outcome = co_await when_any(route.websocket(req, ws), ws.run(), c.going_away.wait());
        handler_ended = outcome.index() == 0;
        going_away = outcome.index() == 2;
    } catch (const operation_cancelled&) {
        throw;  // shutdown at its deadline, or the caller's cancellation
    } catch (const client_disconnected&) {
        handler_ended = true;
    } catch (...) {
        failure = std::current_exception();
        handler_ended = true;
    }
    if (failure) {
        log(req.method() + " " + req.target() + ": the WebSocket handler threw: " + describe(failure));
        try {
            co_await ws.close(1011, "internal error");
        } catch (const client_disconnected&) {
        }
    }
    if (going_away) {
        try {
            co_await ws.close(1001, "the server is shutting down");
        } catch (const client_disconnected&) {
        }
    }
    if (handler_ended || going_away) co_await ws.finish();
}

}  // namespace zring::http
