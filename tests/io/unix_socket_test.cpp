#include "bounded_run.hpp"
#include "wait_until.hpp"

#include <zring/coro/when_all.hpp>
#include <zring/io/poll.hpp>
#include <zring/io/unix_socket.hpp>

#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <stop_token>
#include <string>
#include <system_error>

using namespace std::chrono_literals;

namespace {

// A name in the abstract namespace no other test uses.
std::string abstract_name(const char* what) { return "@zring-test-" + std::to_string(::getpid()) + "-" + what; }

std::string socket_path(const char* what) {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/zring-test-" + std::to_string(::getpid()) + "-" + what + ".sock";
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

zring::task<std::string> round_trip(zring::scheduler& s, zring::unix_listener& l, std::string to) {
    auto [client, server] = co_await zring::when_all(zring::unix_stream::connect(s, to, 5s), l.accept(5s));
    co_await client.write("over unix");
    std::string got = co_await server.read_exactly(9, 5s);
    co_await server.write(got + " and back\n");
    std::string reply = co_await client.read_until("\n", 100, 5s);
    co_return reply;
}

}  // namespace

TEST_CASE("a closed stream's descriptor number, handed out again, serves the new stream", "[io][unix]") {
    // epoll keeps a stream's registration between operations: a number the
    // kernel hands out again must not inherit it, even where the new
    // stream's first operation is a read that would block.
    zring::scheduler s;
    auto body = [&]() -> zring::task<void> {
        std::array<std::byte, 4> buffer{};
        auto read_after_write = [&](zring::unix_stream& reader, zring::unix_stream& writer) -> zring::task<std::size_t> {
            const std::size_t before = s.kernel_operations();
            auto [n, done] = co_await zring::when_all(
                [&]() -> zring::task<std::size_t> {
                    const std::size_t got = co_await reader.read_some(buffer, 5s);
                    co_return got;
                }(),
                [&]() -> zring::task<bool> {
                    co_await zring_test::until("the read waits", [&] { return s.kernel_operations() > before; });
                    co_await writer.write("ping");
                    co_return true;
                }());
            CHECK(done);
            co_return n;
        };
        auto [a, b] = zring::unix_stream::pair(s);
        const std::size_t first = co_await read_after_write(a, b);
        CHECK(first == 4);
        const int number = a.native_handle();
        // A user's poll on the same descriptor, still waiting when the
        // stream closes, then cancelled.
        std::stop_source stop_poll;
        const std::size_t before_poll = s.kernel_operations();
        auto [polled, closed] = co_await zring::when_all(
            [&]() -> zring::task<bool> {
                try {
                    (void)co_await zring::poll(number, POLLIN, stop_poll.get_token());
                } catch (const std::exception&) {  // cancelled, or EBADF where the close came first
                    co_return true;
                }
                co_return false;
            }(),
            [&]() -> zring::task<bool> {
                co_await zring_test::until("the poll waits", [&] { return s.kernel_operations() > before_poll; });
                a.close();
                stop_poll.request_stop();
                co_return true;
            }());
        CHECK(polled);
        CHECK(closed);
        auto [c, d] = zring::unix_stream::pair(s);
        zring::unix_stream& reused = c.native_handle() == number ? c : d;
        zring::unix_stream& other = c.native_handle() == number ? d : c;
        REQUIRE(reused.native_handle() == number);  // the kernel hands out the lowest free number
        const std::size_t second = co_await read_after_write(reused, other);
        CHECK(second == 4);
    };
    zring_test::run(s, body());
}

TEST_CASE("a Unix-domain stream in the abstract namespace", "[io][unix]") {
    zring::scheduler s;
    const std::string name = abstract_name("abstract");
    auto l = zring::unix_listener::listen(s, name);
    CHECK(l.local_endpoint().to_string() == "unix:" + name);
    CHECK(zring_test::run(s, round_trip(s, l, name)) == "over unix and back\n");
    auto client_name = [&]() -> zring::task<std::string> {
        auto [client, server] = co_await zring::when_all(zring::unix_stream::connect(s, name, 5s), l.accept(5s));
        CHECK(server.peer_endpoint().to_string() == "unix:");  // the client is unnamed
        co_return client.name() + " " + server.name();
    };
    CHECK(zring_test::run(s, client_name()) == "zring::unix_stream(unix:" + name + ") zring::unix_stream(unix:" + name + ")");
}

TEST_CASE("a Unix-domain stream at a path: a stale file is replaced, the file goes with the listener", "[io][unix]") {
    zring::scheduler s;
    const std::string path = socket_path("path");
    {
        // A crashed server's socket file: bound, never listened on, left behind.
        const int stale = ::socket(AF_UNIX, SOCK_STREAM, 0);
        const auto at = zring::endpoint::unix_path(path);
        REQUIRE(::bind(stale, at.data(), at.size()) == 0);
        ::close(stale);
    }
    REQUIRE(exists(path));
    {
        auto l = zring::unix_listener::listen(s, path);
        CHECK(zring_test::run(s, round_trip(s, l, path)) == "over unix and back\n");
        try {
            (void)zring::unix_listener::listen(s, path);  // a live one stays
            FAIL("no exception");
        } catch (const std::system_error& e) {
            CHECK(e.code().value() == EADDRINUSE);
        }
    }
    CHECK_FALSE(exists(path));
}

TEST_CASE("connecting to a Unix-domain path nobody listens at fails, naming it", "[io][unix]") {
    zring::scheduler s;
    const std::string path = socket_path("nobody");
    auto body = [&]() -> zring::task<void> {
        try {
            (void)co_await zring::unix_stream::connect(s, path, 5s);
            FAIL("no exception");
        } catch (const std::system_error& e) {
            CHECK(e.code().value() == ENOENT);
            CHECK_THAT(e.what(), Catch::Contains("zring::unix_stream::connect(unix:" + path + ")"));
        }
    };
    zring_test::run(s, body());
    CHECK_THROWS_WITH(zring::endpoint::unix_path(std::string(200, 'x')), Catch::Contains("too long"));
}

TEST_CASE("a socketpair of unix_streams", "[io][unix]") {
    zring::scheduler s;
    auto [a, b] = zring::unix_stream::pair(s);
    auto body = [&]() -> zring::task<std::string> {
        co_await a.write("paired");
        a.shutdown_write();
        std::string got = co_await b.read_exactly(6, 5s);
        std::byte more[1];
        const std::size_t end = co_await b.read_some(more, 5s);
        CHECK(end == 0);
        co_return got;
    };
    CHECK(zring_test::run(s, body()) == "paired");
}
