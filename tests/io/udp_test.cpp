#include "bounded_run.hpp"
#include "wait_until.hpp"

#include <zring/coro/when_all.hpp>
#include <zring/io/udp.hpp>

#include <catch2/catch.hpp>

#include <cerrno>
#include <stop_token>
#include <string>
#include <system_error>

using namespace std::chrono_literals;

namespace {
std::span<const std::byte> bytes_of(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }
}  // namespace

TEST_CASE("datagrams carry their sender; a short buffer says it was truncated", "[io][udp]") {
    zring::scheduler s;
    auto a = zring::udp_socket::bind(s, "127.0.0.1:0");
    auto b = zring::udp_socket::bind(s, "127.0.0.1:0");
    CHECK(a.local_endpoint().port() != 0);
    auto body = [&]() -> zring::task<void> {
        const std::string hello = "hello, datagram";
        const std::size_t sent = co_await a.send_to(b.local_endpoint(), bytes_of(hello));
        CHECK(sent == hello.size());
        std::string buffer(64, '\0');
        zring::datagram d = co_await b.recv_from(std::as_writable_bytes(std::span(buffer)), 5s);
        CHECK(d.size == hello.size());
        CHECK(d.from == a.local_endpoint());
        CHECK_FALSE(d.truncated);
        CHECK(buffer.substr(0, d.size) == hello);

        (void)co_await a.send_to(b.local_endpoint(), bytes_of(hello));
        std::byte small[4];
        zring::datagram cut = co_await b.recv_from(small, 5s);
        CHECK(cut.truncated);
        CHECK(cut.size == 4);
    };
    zring_test::run(s, body());
}

TEST_CASE("a connected UDP socket sends with send() and reports a refused port", "[io][udp]") {
    zring::scheduler s;
    auto a = zring::udp_socket::bind(s, "127.0.0.1:0");
    std::string closed_port;
    {
        auto gone = zring::udp_socket::bind(s, "127.0.0.1:0");
        closed_port = gone.local_endpoint().to_string();
    }
    a.connect(closed_port);
    auto body = [&]() -> zring::task<void> {
        const std::string ping = "ping";
        (void)co_await a.send(bytes_of(ping));
        std::byte buffer[16];
        try {
            // The kernel reports the ICMP port unreachable on the next call.
            (void)co_await a.recv_from(buffer, 5s);
            FAIL("no exception");
        } catch (const std::system_error& e) {
            CHECK(e.code().value() == ECONNREFUSED);
            CHECK_THAT(e.what(), Catch::Contains("zring::udp_socket(127.0.0.1:") && Catch::Contains("recv_from"));
        }
    };
    zring_test::run(s, body());
}

TEST_CASE("a receive times out or is cancelled; the datagram after it is whole", "[io][udp]") {
    zring::scheduler s;
    auto a = zring::udp_socket::bind(s, "127.0.0.1:0");
    auto b = zring::udp_socket::bind(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<void> {
        std::byte buffer[64];
        try {
            (void)co_await b.recv_from(buffer, 20ms);
            FAIL("no exception");
        } catch (const zring::timed_out&) {
        }
        std::stop_source stop;
        auto receiver = [&]() -> zring::task<bool> {
            try {
                (void)co_await b.recv_from(buffer, std::nullopt, stop.get_token());
            } catch (const zring::operation_cancelled&) {
                co_return true;
            }
            co_return false;
        };
        const std::size_t before = s.kernel_operations();
        auto stopper = [&]() -> zring::task<void> {
            co_await zring_test::until("the receive waits", [&] { return s.kernel_operations() > before; });
            stop.request_stop();
        };
        auto [cancelled, unused] = co_await zring::when_all(receiver(), stopper());
        (void)unused;
        CHECK(cancelled);
        const std::string after = "after";
        (void)co_await a.send_to(b.local_endpoint(), bytes_of(after));
        zring::datagram d = co_await b.recv_from(buffer, 5s);
        CHECK(d.size == after.size());
    };
    zring_test::run(s, body());
}

TEST_CASE("closing a UDP socket resumes its waiting receive", "[io][udp]") {
    zring::scheduler s;
    auto b = zring::udp_socket::bind(s, "127.0.0.1:0");
    auto body = [&]() -> zring::task<void> {
        auto receiver = [&]() -> zring::task<bool> {
            std::byte buffer[8];
            try {
                (void)co_await b.recv_from(buffer);
            } catch (const zring::stream_closed&) {
                co_return true;
            }
            co_return false;
        };
        const std::size_t before = s.kernel_operations();
        auto closer = [&]() -> zring::task<void> {
            co_await zring_test::until("the receive waits", [&] { return s.kernel_operations() > before; });
            b.close();
        };
        auto [closed, unused] = co_await zring::when_all(receiver(), closer());
        (void)unused;
        CHECK(closed);
    };
    zring_test::run(s, body());
}
