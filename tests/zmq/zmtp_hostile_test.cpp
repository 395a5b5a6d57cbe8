// Hostile and broken peers against the native engine: each loses its own
// connection, with a reason the socket's event hook hears, and the socket
// goes on serving a well-behaved peer.

#include "wait_until.hpp"
#include "zmtp_fixture.hpp"

#include <zring/io/spawn.hpp>
#include <zring/io/tcp.hpp>

#include <catch2/catch.hpp>

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

using namespace zring_test;
using namespace std::chrono_literals;

namespace {

// The wire bytes, written out here by hand rather than by the engine's own encoder.
std::string greeting(int major, int minor, std::string_view mechanism) {
    std::string g(64, '\0');
    g[0] = '\xff';
    g[8] = '\x01';
    g[9] = '\x7f';
    g[10] = static_cast<char>(major);
    g[11] = static_cast<char>(minor);
    g.replace(12, mechanism.size(), mechanism);
    return g;
}

std::string ready(std::string_view socket_type) {
    std::string body = "\x05READY";
    body += "\x0bSocket-Type";
    body += std::string("\0\0\0", 3) + static_cast<char>(socket_type.size());
    body += socket_type;
    return std::string("\x04", 1) + static_cast<char>(body.size()) + body;
}

// A raw peer's NULL handshake as a `socket_type` on a connected stream: its
// greeting and READY, then the engine's.
zring::task<void> handshake_as(zring::tcp_stream& peer, std::string_view socket_type) {
    co_await peer.write(greeting(3, 1, "NULL") + ready(socket_type), 5s);
    co_await peer.read_exactly(64, 5s);  // the engine's greeting
    std::string head = co_await peer.read_exactly(2, 5s);
    co_await peer.read_exactly(static_cast<unsigned char>(head[1]), 5s);  // its READY
}

// 64 KiB of messages, 256 bytes each on the wire: past a socket's
// high-water mark of 10 and its first read.
std::string unread_input() {
    std::string input;
    for (int i = 0; i < 256; ++i) input += std::string("\x00\xfe", 2) + std::string(254, 'i');
    return input;
}

struct hostile_fixture {
    zring::scheduler s;
    zring::zmtp::socket pull{s, zmq::socket_type::pull};
    std::string endpoint;
    std::vector<zring::zmtp::event> events;

    hostile_fixture() {
        pull.on_event([this](const zring::zmtp::event& e) {
            if (e.kind != zring::zmtp::event_kind::connected) events.push_back(e);
        });
        endpoint = bind_fresh(pull, "tcp");
    }

    std::string address() const { return endpoint.substr(std::string("tcp://").size()); }

    // Connects a raw peer that completes the handshake as a PUSH.
    zring::task<zring::tcp_stream> handshaken_peer() {
        zring::tcp_stream peer = co_await zring::tcp_stream::connect(s, address(), 5s);
        co_await handshake_as(peer, "PUSH");
        co_return peer;
    }

    // The one dropped connection's reason, once the engine has dropped it.
    zring::task<std::string> dropped_reason() {
        co_await until("the engine drops the hostile peer", [&] { return !events.empty(); });
        co_return events.front().reason;
    }

    // A well-behaved peer is still served.
    zring::task<void> still_serves() {
        zring::zmtp::socket push(s, zmq::socket_type::push);
        push.connect(endpoint);
        co_await push.send(msg("still serving"), 5s);
        zmq::message_t m = co_await pull.recv(5s);
        CHECK(m.to_string() == "still serving");
    }
};

// Writes what it can: the engine may close the connection before all is sent.
zring::task<void> write_ignoring_close(zring::tcp_stream& peer, std::string bytes) {
    try {
        co_await peer.write(bytes, 5s);
    } catch (const std::system_error&) {
    }
}

}  // namespace

TEST_CASE("zmtp hostile: a bad signature, ZMTP 1.0 and 2.0, and an unknown mechanism are dropped at the greeting",
          "[zmtp]") {
    hostile_fixture f;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "signature"},
        {std::string("\x06\x00hello", 7), "signature"},  // ZMTP 1.0: a length, flags, a body
        {greeting(1, 0, "").substr(0, 11), "ZMTP 2.0"},   // ZMTP 2.0: the signature, revision 1
        {greeting(3, 0, "CURVE"), "mechanism"},
    };
    auto body = [&]() -> zring::task<void> {
        for (const auto& [bytes, reason] : cases) {
            f.events.clear();
            zring::tcp_stream peer = co_await zring::tcp_stream::connect(f.s, f.address(), 5s);
            co_await write_ignoring_close(peer, bytes);
            std::string why = co_await f.dropped_reason();
            CHECK(f.events.front().kind == zring::zmtp::event_kind::handshake_failed);
            CHECK_THAT(why, Catch::Contains(reason));
        }
        co_await f.still_serves();
    };
    run(f.s, body());
}

TEST_CASE("zmtp hostile: a frame of 2^63 bytes, one over maxmsgsize, and a command with MORE are dropped", "[zmtp]") {
    hostile_fixture f;
    f.pull.set(zmq::sockopt::maxmsgsize, 1000);
    const std::vector<std::pair<std::string, std::string>> cases = {
        {std::string("\x02\x80\0\0\0\0\0\0\0", 9), "2^63"},
        {std::string("\x02\0\0\0\0\0\0\x07\xd0", 9) + std::string(100, 'x'), "maxmsgsize"},
        {std::string("\x05\x06\x04PING\0\0", 8), "command frame with MORE"},
        {std::string("\x08\x01x", 3), "reserved"},
    };
    auto body = [&]() -> zring::task<void> {
        for (const auto& [bytes, reason] : cases) {
            f.events.clear();
            zring::tcp_stream peer = co_await f.handshaken_peer();
            co_await write_ignoring_close(peer, bytes);
            std::string why = co_await f.dropped_reason();
            CHECK(f.events.front().kind == zring::zmtp::event_kind::disconnected);
            CHECK_THAT(why, Catch::Contains(reason));
        }
        co_await f.still_serves();
    };
    run(f.s, body());
}

TEST_CASE("zmtp hostile: a truncated frame and a reset, and 10 MB of garbage, are dropped", "[zmtp]") {
    hostile_fixture f;
    auto body = [&]() -> zring::task<void> {
        {
            zring::tcp_stream peer = co_await f.handshaken_peer();
            co_await peer.write(std::string("\x02\0\0\0\0\0\0\x03\xe8", 9) + std::string(10, 'x'), 5s);
            const ::linger reset{1, 0};  // close() sends RST
            ::setsockopt(peer.native_handle(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
            peer.close();
            std::string why = co_await f.dropped_reason();
            CHECK(f.events.front().kind == zring::zmtp::event_kind::disconnected);
            CHECK((why.find("reset") != std::string::npos || why.find("truncated") != std::string::npos));
        }
        {
            f.events.clear();
            zring::tcp_stream peer = co_await f.handshaken_peer();
            std::string garbage(10 << 20, '\0');
            std::uint32_t x = 12345;
            for (char& c : garbage) {
                x = x * 1103515245 + 12345;
                c = static_cast<char>(x >> 16);
            }
            co_await write_ignoring_close(peer, std::move(garbage));
            std::string why = co_await f.dropped_reason();
            CHECK(f.events.front().kind == zring::zmtp::event_kind::disconnected);
            CHECK(!why.empty());
        }
        co_await f.still_serves();
    };
    run(f.s, body());
}

TEST_CASE("zmtp hostile: a peer that stalls mid-greeting is dropped after handshake_ivl", "[zmtp]") {
    hostile_fixture f;
    f.pull.set(zmq::sockopt::handshake_ivl, 200);
    auto body = [&]() -> zring::task<void> {
        zring::tcp_stream peer = co_await zring::tcp_stream::connect(f.s, f.address(), 5s);
        co_await peer.write(greeting(3, 1, "NULL").substr(0, 20), 5s);
        const auto start = std::chrono::steady_clock::now();
        std::string why = co_await f.dropped_reason();
        CHECK(f.events.front().kind == zring::zmtp::event_kind::handshake_failed);
        CHECK_THAT(why, Catch::Contains("handshake timed out"));
        CHECK(std::chrono::steady_clock::now() - start >= 150ms);
        co_await f.still_serves();
    };
    run(f.s, body());
}

TEST_CASE("zmtp hostile: an incompatible socket type gets ERROR and is dropped", "[zmtp]") {
    hostile_fixture f;
    auto body = [&]() -> zring::task<void> {
        zring::tcp_stream peer = co_await zring::tcp_stream::connect(f.s, f.address(), 5s);
        co_await handshake_as(peer, "PUB");
        std::string head = co_await peer.read_exactly(2, 5s);
        std::string error = co_await peer.read_exactly(static_cast<unsigned char>(head[1]), 5s);
        CHECK(error.substr(0, 6) == "\x05""ERROR");
        std::string why = co_await f.dropped_reason();
        CHECK_THAT(why, Catch::Contains("PUB cannot talk to PULL"));
        co_await f.still_serves();
    };
    run(f.s, body());
}

TEST_CASE("zmtp hostile: a PING flood from a peer that never reads owes it one PONG, not one per PING", "[zmtp]") {
    hostile_fixture f;
    auto body = [&]() -> zring::task<void> {
        zring::tcp_stream peer = co_await f.handshaken_peer();
        constexpr int pings = 20'000;
        std::string flood;
        for (int i = 0; i < pings; ++i) flood += std::string("\x04\x07\x04PING\0\0", 9);
        co_await peer.write(flood, 5s);
        // What came back, until a pause: a few PONGs, one per read of the flood at most.
        std::size_t received = 0;
        std::vector<std::byte> buffer(1 << 16);
        for (;;) {
            try {
                const std::size_t n = co_await peer.read_some(buffer, 200ms);
                if (n == 0) break;
                received += n;
            } catch (const zring::timed_out&) {
                break;
            }
        }
        const std::size_t pongs = received / 7;  // "\x04\x05\x04PONG"
        CHECK(pongs >= 1);
        CHECK(pongs < pings / 10);
        CHECK(f.events.empty());  // a flood of PINGs is no protocol error
        co_await f.still_serves();
    };
    run(f.s, body());
}

TEST_CASE("zmtp hostile: a peer whose input is unread at close still gets everything written", "[zmtp]") {
    // Closing a TCP socket with unread input resets the connection, and the
    // reset discards whatever the kernel had not yet sent. The socket never
    // reads what this peer sends, so its input is unread when it closes, and
    // it writes more than the kernel buffers hold, so much is still unsent
    // when its writer has flushed. The reset may still come, once the peer
    // has everything.
    zring::scheduler s;
    zring::zmtp::socket pair(s, zmq::socket_type::pair);
    pair.set(zmq::sockopt::rcvhwm, 10);
    pair.set(zmq::sockopt::sndhwm, 0);
    pair.set(zmq::sockopt::linger, 10'000);
    const std::string endpoint = bind_fresh(pair, "tcp");
    constexpr std::size_t messages = 1000;
    constexpr std::size_t size = 16 * 1024;
    constexpr std::size_t long_header = 9;
    auto body = [&]() -> zring::task<void> {
        zring::tcp_stream peer =
            co_await zring::tcp_stream::connect(s, endpoint.substr(std::string("tcp://").size()), 5s);
        // A small window: what the socket writes waits in its own kernel buffer.
        const int window = 64 * 1024;
        ::setsockopt(peer.native_handle(), SOL_SOCKET, SO_RCVBUF, &window, sizeof window);
        co_await handshake_as(peer, "PAIR");
        co_await peer.write(unread_input(), 5s);  // most of it stays in the kernel, unread
        const std::string payload(size, 'o');
        for (std::size_t i = 0; i < messages; ++i) co_await pair.send(zmq::message_t(payload.data(), payload.size()), 5s);
        pair.close();  // lingers: the loop flushes it while the peer reads
        std::size_t received = 0;
        std::vector<std::byte> buffer(1 << 16);
        try {
            for (;;) {
                const std::size_t n = co_await peer.read_some(buffer, 10s);
                if (n == 0) break;
                received += n;
            }
        } catch (const std::system_error& error) {
            CHECK(error.code() == std::errc::connection_reset);
        }
        CHECK(received == messages * (long_header + size));
    };
    run(s, body());
}

TEST_CASE("zmtp hostile: a peer that resets while a closing socket waits for its acknowledgement ends the wait",
          "[zmtp]") {
    // The socket has input unread and bytes unacknowledged when it closes,
    // so it waits for the acknowledgement; the peer resets instead. After a
    // reset the kernel still counts those bytes as unacknowledged: the wait
    // must see the connection is down, not sit out a 30 s linger.
    zring::scheduler s;
    zring::zmtp::socket pair(s, zmq::socket_type::pair);
    pair.set(zmq::sockopt::rcvhwm, 10);
    pair.set(zmq::sockopt::linger, 30'000);
    const std::string endpoint = bind_fresh(pair, "tcp");
    std::optional<zring::tcp_stream> peer;
    auto setup = [&]() -> zring::task<void> {
        peer.emplace(co_await zring::tcp_stream::connect(s, endpoint.substr(std::string("tcp://").size()), 5s));
        // The smallest window: most of what the socket writes stays unacknowledged.
        const int window = 1;
        ::setsockopt(peer->native_handle(), SOL_SOCKET, SO_RCVBUF, &window, sizeof window);
        co_await handshake_as(*peer, "PAIR");
        co_await peer->write(unread_input(), 5s);  // unread at close
        const std::string payload(1024, 'o');
        for (int i = 0; i < 4; ++i) co_await pair.send(zmq::message_t(payload.data(), payload.size()), 5s);
        // One write carries the four: once the peer has a byte, the rest is in the kernel.
        co_await until("the socket's write reaches the peer", [&] {
            int queued = 0;
            return ::ioctl(peer->native_handle(), FIONREAD, &queued) == 0 && queued > 0;
        });
    };
    run(s, setup());
    zring::spawn(s, [](zring::tcp_stream& p) -> zring::task<void> {
        const ::linger reset{1, 0};  // close() sends RST
        ::setsockopt(p.native_handle(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        p.close();
        co_return;
    }(*peer));
    // Outside the loop, close runs it until the connection is done.
    const auto began = std::chrono::steady_clock::now();
    pair.close();
    CHECK(std::chrono::steady_clock::now() - began < 10s);
}
