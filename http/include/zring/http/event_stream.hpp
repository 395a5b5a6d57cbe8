#pragma once
// event_stream: Server-Sent Events (text/event-stream) to one client.
//
//     server.route_events("/events", [](http::request&, http::event_stream& sse) -> task<void> {
//         for (;;) co_await sse.send(co_await next_update(), "update");
//     });
//
// Events written together go out in one write: queue() several (say,
// everything a subscription has waiting), then flush(). Under load that is
// one syscall for many events instead of one each (Tornado's write + flush).
//
// The client going away ends the stream promptly: the server watches the
// connection, cancels the handler (its awaits throw operation_cancelled)
// and later sends throw client_disconnected. While the handler is quiet the
// server sends a comment every server_options::event_keepalive, so that
// proxies keep the stream open and a dead peer is noticed.

#include <zring/coro/mutex.hpp>
#include <zring/coro/task.hpp>
#include <zring/http/response_stream.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace zring::http {

class event_stream {
public:
    event_stream(const event_stream&) = delete;
    event_stream& operator=(const event_stream&) = delete;

    // One event, sent now: queue() and flush(). A data with several lines is
    // sent as several data fields (the client joins them with '\n'). event
    // and id must be one line each (std::invalid_argument otherwise).
    task<void> send(std::string_view data, std::string_view event = {}, std::string_view id = {});
    // One event, kept until the next flush(); nothing is written yet.
    void queue(std::string_view data, std::string_view event = {}, std::string_view id = {});
    // Writes every queued event in one write; completes once the kernel
    // holds them. Throws client_disconnected once the client is gone.
    task<void> flush();
    // The client's reconnection delay.
    task<void> retry(std::chrono::milliseconds delay);

    bool connected() const noexcept { return connected_; }

private:
    friend class server;
    explicit event_stream(response_stream& out) noexcept : out_(out) {}
    // A comment or field, as is: queued and flushed.
    task<void> write(std::string_view text);

    response_stream& out_;
    std::string queued_;   // formatted, not yet written
    std::string writing_buffer_;  // what the write under way holds; its capacity is kept
    mutex writing_;  // the handler's sends and the keepalive take turns
    std::chrono::steady_clock::time_point last_write_ = std::chrono::steady_clock::now();
    bool connected_ = true;
};

}  // namespace zring::http
