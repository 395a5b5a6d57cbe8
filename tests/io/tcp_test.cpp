#include "bounded_run.hpp"
#include "skip.hpp"
#include "wait_until.hpp"

#include <zring/coro/when_all.hpp>
#include <zring/io/spawn.hpp>
#include <zring/io/tcp.hpp>
#include <zring/io/timer.hpp>

#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <system_error>
#include <vector>

using namespace std::chrono_literals;

namespace {

std::span<const std::byte> bytes_of(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

std::string listen_address(const zring::tcp_listener& l) { return l.local_endpoint().to_string(); }

// A connected pair on loopback: the client's and the server's end.
struct connected_pair {
    std::optional<zring::tcp_stream> client, server;
};

zring::task<connected_pair> connect_pair(zring::scheduler& s, zring::tcp_listener& l) {
    connected_pair p;
    auto [client, server] = co_await zring::when_all(zring::tcp_stream::connect(s, listen_address(l), 5s),
                                                     [](zring::tcp_listener& l) -> zring::task<zring::tcp_stream> {
                                                         zring::tcp_stream accepted = co_await l.accept(5s);
                                                         co_return accepted;
                                                     }(l));
    p.client.emplace(std::move(client));
    p.server.emplace(std::move(server));
    co_return p;
}

}  // namespace

TEST_CASE("a listener on port 0 reports the port the kernel chose", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    CHECK(l.local_endpoint().port() != 0);
    CHECK(l.local_endpoint().family() == AF_INET);
    CHECK_THAT(l.name(), Catch::StartsWith("zring::tcp_listener(127.0.0.1:"));
}

TEST_CASE("bytes go both ways between a connected and an accepted stream", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<std::string> {
        connected_pair p = co_await connect_pair(s, l);
        CHECK(p.client->peer_endpoint() == l.local_endpoint());
        CHECK(p.server->peer_endpoint() == p.client->local_endpoint());
        CHECK(p.client->nodelay());
        co_await p.client->write("hello, ");
        co_await p.client->write(std::string_view("server"));
        std::string got = co_await p.server->read_exactly(13);
        co_await p.server->write("echo: " + got);  // a temporary: the write completes before the statement ends
        std::string reply(64, '\0');
        std::size_t n = 0;
        while (n < 19) {
            const std::size_t more = co_await p.client->read_some(std::as_writable_bytes(std::span(reply)).subspan(n));
            REQUIRE(more > 0);
            n += more;
        }
        reply.resize(n);
        co_return reply;
    };
    CHECK(zring_test::run(s, body()) == "echo: hello, server");
}

TEST_CASE("read_until returns through the delimiter and keeps what follows", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<std::vector<std::string>> {
        connected_pair p = co_await connect_pair(s, l);
        // The delimiter split across writes, and two lines in one write.
        co_await p.client->write("first\r");
        co_await p.client->write("\nsecond\r\nthi");
        co_await p.client->write("rd\r\n");
        std::vector<std::string> lines;
        for (int i = 0; i < 3; ++i) lines.push_back(co_await p.server->read_until("\r\n", 1024));
        co_return lines;
    };
    CHECK(zring_test::run(s, body()) == std::vector<std::string>{"first\r\n", "second\r\n", "third\r\n"});
}

TEST_CASE("read_until past max_bytes without a delimiter fails and closes the stream", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<void> {
        connected_pair p = co_await connect_pair(s, l);
        const std::string flood(100'000, 'x');
        co_await p.client->write(flood);
        try {
            (void)co_await p.server->read_until("\n", 4096);
            FAIL("no exception");
        } catch (const zring::read_limit_exceeded& e) {
            CHECK_THAT(e.what(), Catch::Contains("zring::tcp_stream(127.0.0.1:") && Catch::Contains("read_until") &&
                                     Catch::Contains("4096"));
        }
        CHECK_FALSE(p.server->is_open());
        // The client sees the end of the stream (or a reset: unread bytes were discarded).
        std::string buffer(16, '\0');
        try {
            const std::size_t n = co_await p.client->read_some(std::as_writable_bytes(std::span(buffer)), 5s);
            CHECK(n == 0);
        } catch (const std::system_error& e) {
            CHECK(e.code().value() == ECONNRESET);
        }
    };
    zring_test::run(s, body());
}

TEST_CASE("the end of the stream: read_some gives 0, read_exactly end_of_stream and keeps the bytes", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<void> {
        connected_pair p = co_await connect_pair(s, l);
        co_await p.client->write("abc");
        p.client->shutdown_write();
        try {
            (void)co_await p.server->read_exactly(10);
            FAIL("no exception");
        } catch (const zring::end_of_stream& e) {
            CHECK(e.buffered() == 3);
            CHECK_THAT(e.what(), Catch::Contains("read_exactly") && Catch::Contains("the peer ended the stream"));
        }
        CHECK(p.server->buffered() == 3);
        const std::string kept = co_await p.server->read_exactly(3);
        CHECK(kept == "abc");
        std::byte one[1];
        const std::size_t at_end = co_await p.server->read_some(one);
        CHECK(at_end == 0);
        // Half-closed: the other direction still works.
        co_await p.server->write("still here");
        const std::string back = co_await p.client->read_exactly(10);
        CHECK(back == "still here");
    };
    zring_test::run(s, body());
}

TEST_CASE("a read that times out consumes nothing; the bytes come with the next read", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<void> {
        connected_pair p = co_await connect_pair(s, l);
        try {
            (void)co_await p.server->read_exactly(4, 20ms);
            FAIL("no exception");
        } catch (const zring::timed_out& e) {
            CHECK_THAT(e.what(), Catch::Contains("read_exactly: timed out"));
        }
        co_await p.client->write("ab");
        try {
            (void)co_await p.server->read_exactly(4, 50ms);  // two of four arrive
            FAIL("no exception");
        } catch (const zring::timed_out&) {
        }
        co_await p.client->write("cd");
        const std::string all = co_await p.server->read_exactly(4, 5s);
        CHECK(all == "abcd");
    };
    zring_test::run(s, body());
}

TEST_CASE("read_exactly into a buffer fills it whole; a timeout leaves the bytes for the next read", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<void> {
        connected_pair p = co_await connect_pair(s, l);
        std::array<std::byte, 6> into{};
        co_await p.client->write("abc");
        try {
            co_await p.server->read_exactly(into, 50ms);  // three of six arrive
            FAIL("no exception");
        } catch (const zring::timed_out& e) {
            CHECK_THAT(e.what(), Catch::Contains("read_exactly: timed out"));
        }
        CHECK(into == std::array<std::byte, 6>{});  // nothing consumed, nothing written
        co_await p.client->write("defgh");
        co_await p.server->read_exactly(into, 5s);
        CHECK(std::string(reinterpret_cast<const char*>(into.data()), into.size()) == "abcdef");
        p.client->shutdown_write();
        try {
            co_await p.server->read_exactly(into, 5s);
            FAIL("no exception");
        } catch (const zring::end_of_stream&) {
        }
        const std::string rest = co_await p.server->read_exactly(2, 5s);
        CHECK(rest == "gh");
    };
    zring_test::run(s, body());
}

TEST_CASE("a stop cancels a read; a second read at once is a logic_error", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<void> {
        connected_pair p = co_await connect_pair(s, l);
        std::stop_source stop;
        auto reader = [&]() -> zring::task<bool> {
            std::byte b[8];
            try {
                (void)co_await p.server->read_some(b, std::nullopt, stop.get_token());
            } catch (const zring::operation_cancelled&) {
                co_return true;
            }
            co_return false;
        };
        const std::size_t before = s.kernel_operations();
        auto other = [&]() -> zring::task<void> {
            co_await zring_test::until("the first read is in the kernel", [&] { return s.kernel_operations() > before; });
            std::byte b[8];
            try {
                (void)co_await p.server->read_some(b);
                FAIL("no exception");
            } catch (const std::logic_error& e) {
                CHECK_THAT(e.what(), Catch::Contains("another read is pending"));
            }
            stop.request_stop();
        };
        auto [cancelled, unused] = co_await zring::when_all(reader(), other());
        (void)unused;
        CHECK(cancelled);
        // The stream is still usable.
        co_await p.client->write("x");
        const std::string x = co_await p.server->read_exactly(1, 5s);
        CHECK(x == "x");
    };
    zring_test::run(s, body());
}

TEST_CASE("connecting to a closed port is refused, naming the endpoint", "[io][tcp]") {
    zring::scheduler s;
    std::string address;
    {
        auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
        address = listen_address(l);
    }
    auto body = [&]() -> zring::task<void> {
        try {
            (void)co_await zring::tcp_stream::connect(s, address, 5s);
            FAIL("no exception");
        } catch (const std::system_error& e) {
            CHECK(e.code().value() == ECONNREFUSED);
            CHECK_THAT(e.what(), Catch::Contains("zring::tcp_stream::connect(" + address + ")"));
        }
    };
    zring_test::run(s, body());
}

TEST_CASE("connect resolves a name off the loop thread", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<void> {
        const std::string by_name = "localhost:" + std::to_string(l.local_endpoint().port());
        auto [client, server] = co_await zring::when_all(zring::tcp_stream::connect(s, by_name, 5s), l.accept(5s));
        CHECK(client.peer_endpoint().port() == l.local_endpoint().port());
        (void)server;
        try {
            (void)co_await zring::tcp_stream::connect(s, "no-such-host.invalid:80", 5s);
            FAIL("no exception");
        } catch (const std::system_error& e) {
            CHECK_THAT(e.what(), Catch::Contains("cannot resolve 'no-such-host.invalid'"));
        }
    };
    zring_test::run(s, body());
}

TEST_CASE("bad endpoints are refused with the text and the reason", "[io][tcp]") {
    zring::scheduler s;
    CHECK_THROWS_WITH(zring::tcp_listener::listen(s, "127.0.0.1"), Catch::Contains("expected HOST:PORT"));
    CHECK_THROWS_WITH(zring::tcp_listener::listen(s, "127.0.0.1:99999"), Catch::Contains("expected HOST:PORT"));
    CHECK_THROWS_WITH(zring::tcp_listener::listen(s, "::1:80"), Catch::Contains("in brackets"));
    CHECK_THROWS_WITH(zring::tcp_listener::listen(s, "example.com:80"), Catch::Contains("not a numeric"));
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    try {
        (void)zring::tcp_listener::listen(s, listen_address(l), {.reuse_address = false});
        FAIL("no exception");
    } catch (const std::system_error& e) {
        CHECK(e.code().value() == EADDRINUSE);
        CHECK_THAT(e.what(), Catch::Contains(listen_address(l)));
    }
}

TEST_CASE("IPv6 loopback, where the machine has it", "[io][tcp]") {
    zring::scheduler s;
    std::optional<zring::tcp_listener> l;
    try {
        l.emplace(zring::tcp_listener::listen(s, "[::1]:0"));
    } catch (const std::system_error& e) {
        SUCCEED("zring-test-skipped: no IPv6 loopback here: " << e.what());
        return;
    }
    auto body = [&]() -> zring::task<std::string> {
        connected_pair p = co_await connect_pair(s, *l);
        co_await p.client->write("v6");
        co_return co_await p.server->read_exactly(2, 5s);
    };
    CHECK(zring_test::run(s, body()) == "v6");
    CHECK_THAT(l->local_endpoint().to_string(), Catch::StartsWith("[::1]:"));
}

TEST_CASE("a write to a peer that never reads blocks, bounded; a timeout reports what went out", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<void> {
        connected_pair p = co_await connect_pair(s, l);
        const std::string big(64 * 1024 * 1024, 'z');
        try {
            co_await p.client->write(big, 200ms);
            FAIL("64 MiB went into a peer that reads nothing");
        } catch (const zring::write_timed_out& e) {
            CHECK(e.written() > 0);
            CHECK(e.written() < big.size());
        }
    };
    zring_test::run(s, body());
}

TEST_CASE("writing to a peer that closed is EPIPE or ECONNRESET, and no SIGPIPE", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<int> {
        connected_pair p = co_await connect_pair(s, l);
        p.server->close();
        const std::string chunk(64 * 1024, 'x');
        for (int i = 0; i < 1000; ++i) {
            try {
                co_await p.client->write(chunk, 5s);
            } catch (const std::system_error& e) {
                CHECK_THAT(e.what(), Catch::Contains("zring::tcp_stream(127.0.0.1:") && Catch::Contains("::write"));
                co_return e.code().value();
            }
        }
        co_return 0;
    };
    const int error = zring_test::run(s, body());
    CHECK((error == EPIPE || error == ECONNRESET));
}

TEST_CASE("a peer's reset fails the read with ECONNRESET, naming the endpoint", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<void> {
        connected_pair p = co_await connect_pair(s, l);
        const ::linger abort_on_close{1, 0};
        REQUIRE(::setsockopt(p.client->native_handle(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close) == 0);
        p.client->close();  // sends RST
        std::byte b[16];
        try {
            (void)co_await p.server->read_some(b, 5s);
            FAIL("no exception");
        } catch (const std::system_error& e) {
            CHECK(e.code().value() == ECONNRESET);
            CHECK_THAT(e.what(), Catch::Contains("zring::tcp_stream(127.0.0.1:") && Catch::Contains("read_some"));
        }
    };
    zring_test::run(s, body());
}

TEST_CASE("closing or destroying a stream resumes the read waiting on it", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<void> {
        connected_pair p = co_await connect_pair(s, l);
        auto reader = [](zring::tcp_stream& stream) -> zring::task<std::string> {
            std::byte b[16];
            try {
                (void)co_await stream.read_some(b);
            } catch (const zring::stream_closed&) {
                co_return "closed";
            } catch (const zring::object_destroyed&) {
                co_return "destroyed";
            }
            co_return "read";
        };
        std::size_t before = s.kernel_operations();
        auto closer = [&]() -> zring::task<void> {
            co_await zring_test::until("the read waits", [&] { return s.kernel_operations() > before; });
            p.server->close();
        };
        auto [closed, unused] = co_await zring::when_all(reader(*p.server), closer());
        (void)unused;
        CHECK(closed == "closed");
        connected_pair q = co_await connect_pair(s, l);  // p's client sees the end of its stream by now
        before = s.kernel_operations();
        auto destroyer = [&]() -> zring::task<void> {
            co_await zring_test::until("the read waits", [&] { return s.kernel_operations() > before; });
            q.client.reset();
        };
        auto [destroyed, unused2] = co_await zring::when_all(reader(*q.client), destroyer());
        (void)unused2;
        CHECK(destroyed == "destroyed");
    };
    zring_test::run(s, body());
}

TEST_CASE("a gathered write sends the buffers in order", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<std::string> {
        connected_pair p = co_await connect_pair(s, l);
        std::vector<std::string> parts;
        std::string expected;
        for (int i = 0; i < 40; ++i) {  // more buffers than one call takes
            parts.push_back(std::string(static_cast<std::size_t>(i * 37 % 5000), static_cast<char>('a' + i % 26)));
            expected += parts.back();
        }
        std::vector<std::span<const std::byte>> spans;
        for (const auto& part : parts) spans.push_back(bytes_of(part));
        auto [unused, got] = co_await zring::when_all(p.client->write(std::span(spans)), p.server->read_exactly(expected.size()));
        (void)unused;
        CHECK(got == expected);
        co_return got.substr(0, 3);
    };
    zring_test::run(s, body());
}

TEST_CASE("connections that arrive before accept() wait for it", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<int> {
        std::vector<zring::tcp_stream> clients;
        for (int i = 0; i < 5; ++i) clients.push_back(co_await zring::tcp_stream::connect(s, listen_address(l), 5s));
        int accepted = 0;
        for (auto& client : clients) {
            zring::tcp_stream server = co_await l.accept(5s);
            co_await client.write("x");
            const std::string x = co_await server.read_exactly(1, 5s);
            CHECK(x == "x");
            ++accepted;
        }
        co_return accepted;
    };
    CHECK(zring_test::run(s, body()) == 5);
}

namespace {
// Lowers the descriptor limit and takes every free descriptor; gives them
// all back, and the limit, when it goes.
struct descriptor_shortage {
    ::rlimit saved{};
    std::vector<int> hogs;
    descriptor_shortage() {
        REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
        const ::rlimit low{64, saved.rlim_max};
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
        for (int fd; (fd = ::dup(0)) >= 0;) hogs.push_back(fd);
        REQUIRE(errno == EMFILE);
    }
    void give_back(std::size_t n) {
        for (; n > 0 && !hogs.empty(); --n) {
            ::close(hogs.back());
            hogs.pop_back();
        }
    }
    ~descriptor_shortage() {
        give_back(hogs.size());
        ::setrlimit(RLIMIT_NOFILE, &saved);
    }
};
}  // namespace

TEST_CASE("out of descriptors, the listener pauses, says so once, and serves again", "[io][tcp]") {
#if defined(__SANITIZE_ADDRESS__)
    // UBSan checks a member call's object with a pipe of its own: with no
    // descriptor left it reports every one (the release presets run this).
    zring_test::skip("the sanitizer runtime needs descriptors of its own");
    return;
#endif
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    std::optional<descriptor_shortage> shortage;
    auto body = [&]() -> zring::task<void> {
        shortage.emplace();
        shortage->give_back(1);  // for the client's socket: the server's accept finds none
        auto client = co_await zring::tcp_stream::connect(s, listen_address(l), 5s);
        try {
            (void)co_await l.accept(300ms);
            FAIL("accepted without a descriptor");
        } catch (const zring::timed_out&) {
        }
        shortage.reset();
        zring::tcp_stream server = co_await l.accept(5s);
        co_await client.write("back");
        const std::string back = co_await server.read_exactly(4, 5s);
        CHECK(back == "back");
    };
    zring_test::run(s, body());
}

TEST_CASE("a scheduler's teardown closes streams and listeners with operations pending", "[io][tcp]") {
    auto s = std::make_unique<zring::scheduler>();
    auto l = zring::tcp_listener::listen(*s, "127.0.0.1:0");
    std::optional<connected_pair> p;
    p.emplace(zring_test::run(*s, connect_pair(*s, l)));
    auto reads = [](zring::tcp_stream& stream) -> zring::task<void> {
        std::byte b[16];
        (void)co_await stream.read_some(b);
    };
    auto accepts = [](zring::tcp_listener& listener) -> zring::task<void> { (void)co_await listener.accept(); };
    zring::spawn(*s, reads(*p->server));
    zring::spawn(*s, accepts(l));
    const std::size_t before = s->kernel_operations();
    auto started = [&]() -> zring::task<void> {
        co_await zring_test::until("the read waits", [&] { return s->kernel_operations() > before; });
    };
    zring_test::run(*s, started());
    s.reset();  // nothing leaks (ASan), nothing is touched after it is freed
    CHECK_FALSE(p->server->is_open());
    CHECK_FALSE(l.is_open());
}

TEST_CASE("a stream with a read pending does not move; an idle or closed one does", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<void> {
        connected_pair p = co_await connect_pair(s, l);
        auto reader = [&]() -> zring::task<std::string> {
            std::string got = co_await p.server->read_exactly(2, 5s);
            co_return got;
        };
        const std::size_t before = s.kernel_operations();
        auto mover = [&]() -> zring::task<void> {
            co_await zring_test::until("the read waits", [&] { return s.kernel_operations() > before; });
            try {
                zring::tcp_stream moved(std::move(*p.server));
                FAIL("moved with a read pending");
            } catch (const std::logic_error& e) {
                CHECK_THAT(e.what(), Catch::Contains("operations are pending"));
            }
            co_await p.client->write("ok");
        };
        auto [got, unused] = co_await zring::when_all(reader(), mover());
        (void)unused;
        CHECK(got == "ok");
        zring::tcp_stream moved(std::move(*p.server));  // idle now
        CHECK(moved.is_open());
        CHECK_FALSE(p.server->is_open());
        zring::tcp_stream closed_too(std::move(*p.server));  // a closed one moves as well
        CHECK_FALSE(closed_too.is_open());
    };
    zring_test::run(s, body());
}

TEST_CASE("a burst of connections beyond the accept queue waits in the backlog, none is reset", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    constexpr int clients = 200;  // more than queue_limit: one multishot accept may take them all at once
    auto body = [&]() -> zring::task<int> {
        std::vector<zring::tcp_stream> out;
        for (int i = 0; i < clients; ++i) out.push_back(co_await zring::tcp_stream::connect(s, listen_address(l), 5s));
        co_await zring_test::until("the accept queue fills", [&] { return l.queued() >= zring::stream_listener::queue_limit; });
        int served = 0;
        for (auto& client : out) {
            zring::tcp_stream server = co_await l.accept(5s);
            co_await server.write("!");
            std::byte b[1];
            const std::size_t n = co_await client.read_some(b, 5s);  // a reset would throw here
            served += static_cast<int>(n);
        }
        co_return served;
    };
    CHECK(zring_test::run(s, body()) == clients);
}

TEST_CASE("read_exactly of a huge count takes memory for what arrives, not for what was asked", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<void> {
        connected_pair p = co_await connect_pair(s, l);
        co_await p.client->write("abc");
        const std::string first = co_await p.server->read_exactly(1, 5s);
        CHECK(first == "a");
        try {
            (void)co_await p.server->read_exactly(SIZE_MAX, 100ms);  // would terminate if reserved up front
            FAIL("no exception");
        } catch (const zring::timed_out&) {
        }
        const std::string rest = co_await p.server->read_exactly(2, 5s);
        CHECK(rest == "bc");
    };
    zring_test::run(s, body());
}

TEST_CASE("a zero timeout tries once on both backends", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<void> {
        connected_pair p = co_await connect_pair(s, l);
        std::byte b[8];
        try {
            (void)co_await p.server->read_some(b, 0s);
            FAIL("nothing to read, yet no timeout");
        } catch (const zring::timed_out&) {
        }
        co_await p.client->write("now");
        // Until the bytes have crossed loopback: the zero-timeout read then has them.
        std::size_t n = 0;
        for (int i = 0; i < 1000 && n == 0; ++i) {
            bool empty = false;
            try {
                n = co_await p.server->read_some(b, 0s);
            } catch (const zring::timed_out&) {
                empty = true;
            }
            if (empty) co_await zring::sleep_for(1ms);  // a loop turn, the kernel's included
        }
        CHECK(n == 3);
    };
    zring_test::run(s, body());
}

TEST_CASE("a stream's first write of a loop turn goes out without suspending", "[io][tcp]") {
    // A reply then costs no loop turn of its own. On io_uring a second write
    // in the same turn goes through the ring (the writer coalesces meanwhile);
    // epoll tries every write at once.
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<void> {
        connected_pair p = co_await connect_pair(s, l);
        bool other_ran = false;
        s.call_soon([&] { other_ran = true; });
        co_await p.client->write("a", 5s);
        const bool ran_after_first = other_ran;
        co_await p.client->write("b", 5s);
        const bool ran_after_second = other_ran;
        CHECK_FALSE(ran_after_first);
        CHECK(ran_after_second == (s.backend() == zring::backend::io_uring));
        std::byte got[2];
        co_await p.server->read_exactly(std::span<std::byte>(got), 5s);
        CHECK(std::string(reinterpret_cast<const char*>(got), 2) == "ab");
    };
    zring_test::run(s, body());
}

TEST_CASE("a slowloris peer: a trickle of bytes does not stretch the read's timeout", "[io][tcp]") {
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<void> {
        connected_pair p = co_await connect_pair(s, l);
        auto trickle = [&]() -> zring::task<void> {
            for (int i = 0; i < 40; ++i) {  // a byte every 50 ms, the line's end after 2 s
                co_await p.client->write("x");
                co_await zring::sleep_for(50ms);  // the peer's pace, not synchronisation
            }
            co_await p.client->write("\n");
        };
        auto read_line = [&]() -> zring::task<bool> {
            try {
                (void)co_await p.server->read_until("\n", 1024, 200ms);
            } catch (const zring::timed_out&) {
                co_return true;
            }
            co_return false;
        };
        auto [unused, timed_out] = co_await zring::when_all(trickle(), read_line());
        (void)unused;
        CHECK(timed_out);
        // What trickled in stays: the line is there for the next read.
        const std::string line = co_await p.server->read_until("\n", 1024, 5s);
        CHECK(line == std::string(40, 'x') + "\n");
    };
    zring_test::run(s, body());
}

TEST_CASE("a reader whose data is always there still lets the loop's other work run", "[io][tcp][fairness]") {
    // On epoll every read is tried at once and succeeds: without a bound on
    // what one resumption completes inline, the reader would hold the loop
    // until the stream ran dry.
    zring::scheduler s;
    auto l = zring::tcp_listener::listen(s, "127.0.0.1:0");
    constexpr std::size_t total = 32 * 1024;  // within the socket's buffers: written before any read
    std::size_t read = 0;
    std::optional<std::size_t> read_when_other_ran;
    auto body = [&]() -> zring::task<void> {
        connected_pair p = co_await connect_pair(s, l);
        const std::string data(total, 'x');
        co_await p.client->write(data, 5s);
        auto reader = [&]() -> zring::task<void> {
            std::byte one[1];
            while (read < total) read += co_await p.server->read_some(one, 5s);
        };
        auto other = [&]() -> zring::task<void> {
            read_when_other_ran = read;
            co_return;
        };
        co_await zring::when_all(reader(), other());
    };
    zring_test::run(s, body());
    CHECK(read == total);
    REQUIRE(read_when_other_ran);
    CHECK(*read_when_other_ran < total / 2);
}
