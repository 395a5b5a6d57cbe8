// TCP echo on the ring, both ends:
//   tcp_echo --listen 127.0.0.1:7000     echoes every byte back to each client
//                                        (port 0: the kernel picks one, printed
//                                        on stderr as "listening on HOST:PORT")
//   tcp_echo --connect 127.0.0.1:7000    sends its stdin, prints what comes back
// A client half-closes when its stdin ends and exits once the echo has all of it.
#include "common/cli.hpp"
#include "common/line_reader.hpp"
#include "common/scheduler.hpp"
#include "common/until_signal.hpp"

#include <zring/zring.hpp>

#include <csignal>
#include <cstddef>
#include <iostream>
#include <span>
#include <optional>
#include <string>
#include <utility>

using namespace std::chrono_literals;

namespace {

// Echoes until the client ends its stream; an idle client is dropped.
zring::task<void> echo(zring::tcp_stream client) {
    std::byte buffer[64 * 1024];
    try {
        for (;;) {
            const std::size_t n = co_await client.read_some(buffer, 5min);
            if (n == 0) break;
            co_await client.write(std::span<const std::byte>(buffer, n), 30s);
        }
    } catch (const zring::operation_cancelled&) {
        throw;  // the server is stopping
    } catch (const std::exception& e) {
        std::cerr << e.what() << std::endl;  // a reset, a timeout: this client only
    }
}

zring::task<void> serve(zring::tcp_listener& listener) {
    co_await zring::with_task_group([&](zring::task_group& clients) -> zring::task<void> {
        for (;;) {
            zring::tcp_stream client = co_await listener.accept();
            clients.spawn(echo(std::move(client)));
        }
    });
}

zring::task<int> send_stdin(zring::scheduler& s, std::string to) {
    zring::tcp_stream server = co_await zring::tcp_stream::connect(s, to, 5s);
    auto writer = [&]() -> zring::task<std::size_t> {
        examples::line_reader input(0);
        std::size_t sent = 0;
        for (;;) {
            std::optional<std::string> line = co_await input.next();
            if (!line) break;
            line->push_back('\n');
            co_await server.write(*line, 30s);
            sent += line->size();
        }
        server.shutdown_write();
        co_return sent;
    };
    auto reader = [&]() -> zring::task<std::size_t> {
        std::byte buffer[4096];
        std::size_t received = 0;
        for (;;) {
            const std::size_t n = co_await server.read_some(buffer, 30s);
            if (n == 0) break;
            std::cout.write(reinterpret_cast<const char*>(buffer), static_cast<std::streamsize>(n));
            received += n;
        }
        std::cout.flush();
        co_return received;
    };
    auto [sent, received] = co_await zring::when_all(writer(), reader());
    if (sent != received) {
        std::cerr << "sent " << sent << " bytes, " << received << " came back" << std::endl;
        co_return 1;
    }
    co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
    examples::cli args(argc, argv, "tcp_echo --listen HOST:PORT | --connect HOST:PORT",
                       {{"listen", "serve: echo every client's bytes back"},
                        {"connect", "client: send stdin, print the echo"}});
    const std::string listen = args.get("listen", "");
    const std::string connect = args.get("connect", "");
    if (listen.empty() == connect.empty()) args.fail("give one of --listen or --connect");
    zring::block_signals(SIGINT, SIGTERM);
    const auto started = examples::start_scheduler(args);
    zring::scheduler& s = *started;
    if (!connect.empty()) {
        try {
            return examples::run_until_stopped(s, send_stdin(s, connect), 130);
        } catch (const std::exception& e) {
            std::cerr << "error: " << e.what() << std::endl;
            return 1;
        }
    }
    std::optional<zring::tcp_listener> listener;
    try {
        listener.emplace(zring::tcp_listener::listen(s, listen));
    } catch (const std::exception& e) {
        args.fail(e.what());
    }
    std::cerr << "listening on " << listener->local_endpoint().to_string() << std::endl;
    return examples::run_until_stopped(s, serve(*listener), 0);
}
