#pragma once
// A server on loopback port 0 and a scheduler to run a test's client on.

#include "bounded_run.hpp"
#include "raw_client.hpp"

#include <zring/coro/task.hpp>
#include <zring/coro/when_all.hpp>
#include <zring/http/server.hpp>
#include <zring/io/tcp.hpp>

#include <exception>
#include <string>
#include <vector>

namespace zring_test {

struct http_fixture {
    explicit http_fixture(zring::http::server_options options = {})
        : app(s, with_log(std::move(options))), listener(zring::tcp_listener::listen(s, "127.0.0.1:0")) {}

    zring::scheduler s;
    std::vector<std::string> logged;
    zring::http::server app;
    zring::tcp_listener listener;

    zring::task<zring::tcp_stream> connect() {
        zring::tcp_stream c = co_await zring::tcp_stream::connect(s, listener.local_endpoint(), io_limit);
        co_return c;
    }

    // Serves while client runs, then shuts the server down (a failing
    // client still ends the server, so the test fails at once).
    template <class Client>
    void run(Client& client, std::chrono::milliseconds limit = default_limit) {
        auto then_shutdown = [&]() -> zring::task<void> {
            std::exception_ptr failed;
            try {
                co_await client();
            } catch (...) {
                failed = std::current_exception();
            }
            co_await app.shutdown(std::chrono::seconds(5));
            if (failed) std::rethrow_exception(failed);
        };
        zring_test::run(s, zring::when_all(app.serve(listener), then_shutdown()), limit);
    }

private:
    zring::http::server_options with_log(zring::http::server_options o) {
        o.log = [this](std::string_view line) { logged.emplace_back(line); };
        return o;
    }
};

}  // namespace zring_test
