#pragma once
// Unix-domain streams on the scheduler: the same byte_stream as TCP, to a
// path ("/run/app.sock") or a name in Linux's abstract namespace ("@app").
//
//     auto listener = zring::unix_listener::listen(s, "@my-service");
//     zring::unix_stream peer = co_await zring::unix_stream::connect(s, "@my-service");

#include <zring/coro/task.hpp>
#include <zring/io/byte_stream.hpp>
#include <zring/io/endpoint.hpp>
#include <zring/io/stream_listener.hpp>
#include <zring/io/tcp.hpp>

#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>

namespace zring {

class unix_stream : public byte_stream {
public:
    // Connects to a path or "@name". std::system_error naming it:
    // ENOENT (no such socket), ECONNREFUSED (nobody listens), ...
    static task<unix_stream> connect(scheduler& s, std::string path, std::optional<duration> timeout = {},
                                     std::stop_token token = {});
    // Two connected ends (socketpair), for a child process or a test.
    static std::pair<unix_stream, unix_stream> pair(scheduler& s);

private:
    template <class>
    friend struct detail::accepted;
    unix_stream(scheduler& s, int fd);
};

class unix_listener : public stream_listener {
public:
    // Listens at a path or "@name". A path whose socket nobody listens on
    // any more (a crashed server's) is replaced; a live one is EADDRINUSE
    // (found by connecting to it once: its server sees that connection).
    // A path listener removes its socket file when it closes.
    static unix_listener listen(scheduler& s, std::string_view path, listen_options options = {});

    detail::accepted<unix_stream> accept(std::optional<duration> timeout = {}, std::stop_token token = {}) {
        return detail::accepted<unix_stream>(accept_fd(timeout, std::move(token)));
    }

private:
    unix_listener(scheduler& s, const endpoint& at, const listen_options& options)
        : stream_listener(s, at, options, "unix_listener") {}
};

}  // namespace zring
