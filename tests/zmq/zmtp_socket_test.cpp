// zring::zmtp::socket's own behaviour: what it does before and between
// connections, its limits and errors, heartbeats, and the waiting
// operations' timeouts, cancellation and closing.

#include "throws.hpp"
#include "wait_until.hpp"
#include "zmtp_fixture.hpp"

#include <zring/io/tcp.hpp>
#include <zring/io/timer.hpp>
#include <zring/coro/when_any.hpp>

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

using namespace zring_test;
using namespace std::chrono_literals;

namespace {

template <class Socket>
int error_of(Socket& s, void (*call)(Socket&)) {
    try {
        call(s);
    } catch (const zring::socket_error& e) {
        return e.code().value();
    }
    return 0;
}

}  // namespace

TEST_CASE("zmtp: messages sent before the peer exists arrive once it binds, and a restarted peer is served again",
          "[zmtp]") {
    zmq::context_t context;
    zring::scheduler s;
    const std::string endpoint = fresh_bind_endpoint("ipc");
    zring::zmtp::socket push(s, zmq::socket_type::push);
    push.set(zmq::sockopt::reconnect_ivl, 10);
    bool disconnected = false;
    push.on_event([&](const zring::zmtp::event& e) {
        disconnected = disconnected || e.kind == zring::zmtp::event_kind::disconnected;
    });
    push.connect(endpoint);
    auto body = [&]() -> zring::task<void> {
        for (int i = 0; i < 3; ++i) co_await push.send(msg("early " + std::to_string(i)), 5s);
        {
            zring::socket pull(s, context, zmq::socket_type::pull);  // libzmq, bound only now
            pull.bind(endpoint);
            for (int i = 0; i < 3; ++i) {
                zmq::message_t m = co_await pull.recv(5s);
                CHECK(m.to_string() == "early " + std::to_string(i));
            }
        }
        // The peer is gone (what was in flight to it when it went is lost,
        // as with libzmq); what is sent now waits for its successor.
        co_await until("the push sees its peer go", [&] { return disconnected; });
        co_await push.send(msg("after the restart"), 5s);
        zring::zmtp::socket successor(s, zmq::socket_type::pull);
        // libzmq closes its listener on its I/O thread, a little later.
        co_await until("the first peer's listener is gone", [&] {
            try {
                successor.bind(endpoint);
                return true;
            } catch (const zring::socket_error& e) {
                if (e.code().value() != EADDRINUSE) throw;
                return false;
            }
        });
        zmq::message_t m = co_await successor.recv(5s);
        CHECK(m.to_string() == "after the restart");
    };
    run(s, body());
}

TEST_CASE("zmtp: a socket destroyed after the loop returned still delivers what it queued, as libzmq's do",
          "[zmtp]") {
    zmq::context_t context;
    zring::scheduler s;
    zring::socket pull(s, context, zmq::socket_type::pull);
    const std::string endpoint = bind_ephemeral_tcp(pull);
    constexpr int count = 1000;
    {
        zring::zmtp::socket push(s, zmq::socket_type::push);
        push.connect(endpoint);
        auto send_all = [&]() -> zring::task<void> {
            // Connected first (a message queued for a peer never reached is dropped at close).
            co_await push.send(msg("hello"), 5s);
            zmq::message_t hello = co_await pull.recv(5s);
            CHECK(hello.to_string() == "hello");
            for (int i = 0; i < count; ++i) co_await push.send(msg(std::to_string(i)), 5s);
        };
        run(s, send_all());
    }  // the loop runs here, within the linger, until the queue went out
    auto receive_all = [&]() -> zring::task<int> {
        int in_order = 0;
        for (int i = 0; i < count; ++i) {
            zmq::message_t m = co_await pull.recv(5s);
            in_order += m.to_string() == std::to_string(i);
        }
        co_return in_order;
    };
    CHECK(run(s, receive_all()) == count);
}

TEST_CASE("zmtp: messages queued before the connection is up go out when the socket closes, within its linger",
          "[zmtp]") {
    // As libzmq's: connect, send, close at once, and the messages arrive.
    zring::scheduler s;
    zring::zmtp::socket sink(s, zmq::socket_type::pull);
    const std::string endpoint = bind_fresh(sink, "tcp");
    std::optional<zring::zmtp::socket> push(std::in_place, s, zmq::socket_type::push);
    constexpr int n = 10;
    auto body = [&]() -> zring::task<std::vector<std::string>> {
        push->connect(endpoint);
        for (int i = 0; i < n; ++i) co_await push->send(msg(std::to_string(i)), 5s);
        push.reset();  // the connection is still being made
        std::vector<std::string> got;
        for (int i = 0; i < n; ++i) {
            zmq::message_t m = co_await sink.recv(5s);
            got.push_back(m.to_string());
        }
        co_return got;
    };
    std::vector<std::string> expected;
    for (int i = 0; i < n; ++i) expected.push_back(std::to_string(i));
    CHECK(run(s, body()) == expected);
}

TEST_CASE("zmtp: a close during the handshake of a connect() with queued messages still delivers them", "[zmtp]") {
    // A relay between the PUSH and the sink holds the PUSH's handshake until
    // the PUSH is closed; only then does it reach the sink.
    zring::scheduler s;
    zring::zmtp::socket sink(s, zmq::socket_type::pull);
    const std::string sink_endpoint = bind_fresh(sink, "tcp");
    auto relay = zring::tcp_listener::listen(s, "127.0.0.1:0");
    zring::zmtp::socket push(s, zmq::socket_type::push);
    push.set(zmq::sockopt::reconnect_ivl, -1);  // one connection: a handshake cut short loses the messages
    constexpr int n = 10;
    std::optional<zring::tcp_stream> from_push, to_sink;
    auto pump = [](zring::tcp_stream& from, zring::tcp_stream& to) -> zring::task<void> {
        std::array<std::byte, 4096> buffer;
        try {
            for (;;) {
                const std::size_t got = co_await from.read_some(buffer, 5s);
                if (got == 0) break;
                co_await to.write(std::span<const std::byte>(buffer.data(), got), 5s);
            }
        } catch (const std::exception&) {  // closed once the test has its messages
        }
    };
    auto body = [&]() -> zring::task<std::vector<std::string>> {
        push.connect("tcp://" + relay.local_endpoint().to_string());
        for (int i = 0; i < n; ++i) co_await push.send(msg(std::to_string(i)), 5s);
        from_push.emplace(co_await relay.accept(5s));
        // The PUSH's signature has come: its handshake waits for the peer's.
        std::array<std::byte, 10> signature;
        co_await from_push->read_exactly(std::span<std::byte>(signature), 5s);
        push.close();
        to_sink.emplace(co_await zring::tcp_stream::connect(s, sink_endpoint.substr(6), 5s));
        co_await to_sink->write(std::span<const std::byte>(signature), 5s);
        auto receive = [&]() -> zring::task<std::vector<std::string>> {
            std::vector<std::string> got;
            for (int i = 0; i < n; ++i) {
                zmq::message_t m = co_await sink.recv(5s);
                got.push_back(m.to_string());
            }
            from_push->close();
            to_sink->close();
            co_return got;
        };
        auto [got, forward, back] =
            co_await zring::when_all(receive(), pump(*from_push, *to_sink), pump(*to_sink, *from_push));
        co_return got;
    };
    std::vector<std::string> expected;
    for (int i = 0; i < n; ++i) expected.push_back(std::to_string(i));
    CHECK(run(s, body()) == expected);
}

TEST_CASE("zmtp: a socket closed with messages for a peer that never comes gives up at the end of its linger",
          "[zmtp]") {
    zring::scheduler s;
    // A port that refuses, reserved for the test: bound, never listening.
    const int reserved = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(reserved >= 0);
    struct closer {
        int fd;
        ~closer() { ::close(fd); }
    } reserved_closer{reserved};
    ::sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(reserved, reinterpret_cast<const ::sockaddr*>(&address), sizeof address) == 0);
    ::socklen_t length = sizeof address;
    REQUIRE(::getsockname(reserved, reinterpret_cast<::sockaddr*>(&address), &length) == 0);
    const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
    zring::zmtp::socket push(s, zmq::socket_type::push);
    push.set(zmq::sockopt::linger, 100);
    push.set(zmq::sockopt::reconnect_ivl, 10);
    push.connect(endpoint);
    auto body = [&]() -> zring::task<void> { co_await push.send(msg("undeliverable"), 5s); };
    run(s, body());
    // Outside the loop, close runs it until the linger ends: bounded, not a hang.
    const auto began = std::chrono::steady_clock::now();
    push.close();
    const auto took = std::chrono::steady_clock::now() - began;
    CHECK(took >= 80ms);  // it lingered (the clock is monotonic: a lower bound holds under any load)
    CHECK(took < 10s);
    CHECK_FALSE(push.is_open());
}

TEST_CASE("zmtp: a closed socket whose connection drops within the linger reconnects and delivers the rest",
          "[zmtp]") {
    zring::scheduler s;
    const std::string endpoint = fresh_bind_endpoint("ipc");
    std::optional<zring::zmtp::socket> first(std::in_place, s, zmq::socket_type::pull);
    first->set(zmq::sockopt::rcvhwm, 1);  // takes little: most of the queue waits in the pusher
    first->bind(endpoint);
    zring::zmtp::socket push(s, zmq::socket_type::push);
    push.set(zmq::sockopt::sndhwm, 0);
    push.set(zmq::sockopt::linger, 10'000);
    push.set(zmq::sockopt::reconnect_ivl, 10);
    push.connect(endpoint);
    constexpr int n = 2000;  // of 1 KiB: more than the kernel buffers between the two
    auto body = [&]() -> zring::task<void> {
        for (int i = 0; i < n; ++i) {
            std::string text = std::to_string(i);
            text.resize(1024, '.');
            co_await push.send(msg(text), 5s);
        }
        zmq::message_t m = co_await first->recv(5s);  // the connection is up and flowing
        CHECK(std::stoi(m.to_string()) == 0);
        push.close();   // lingers with most of its queue unwritten
        first.reset();  // and its peer goes away mid-flush
        zring::zmtp::socket second(s, zmq::socket_type::pull);
        co_await until("the first peer's address is free again", [&] {
            try {
                second.bind(endpoint);
                return true;
            } catch (const zring::socket_error&) {
                return false;  // its listener closes in a later loop turn
            }
        });
        int took = -1;
        int last = -1;
        while (last < n - 1) {
            m = co_await second.recv(5s);
            const int i = std::stoi(m.to_string());
            if (took < 0)
                took = i;
            else
                REQUIRE(i == last + 1);  // nothing lost or reordered after the reconnect
            last = i;
        }
        CHECK(took > 1);  // the first peer took some: this was a reconnect, not the first connect
    };
    run(s, body());
}

TEST_CASE("zmtp: with immediate, nothing queues for a peer that is not connected", "[zmtp]") {
    zring::scheduler s;
    zring::zmtp::socket push(s, zmq::socket_type::push);
    push.set(zmq::sockopt::immediate, true);
    push.connect(fresh_bind_endpoint("ipc"));  // nobody listens
    auto body = [&]() -> zring::task<bool> { co_return co_await push.try_send(msg("nowhere"), 20ms); };
    CHECK_FALSE(run(s, body()));
}

TEST_CASE("zmtp: errors name the socket and what it refused", "[zmtp]") {
    zring::scheduler s;
    zring::zmtp::socket push(s, zmq::socket_type::push);
    try {
        push.bind("inproc://x");
        FAIL("inproc bound");
    } catch (const zring::socket_error& e) {
        CHECK(e.code().value() == EPROTONOSUPPORT);
        CHECK_THAT(e.what(), Catch::Contains("inproc") && Catch::Contains("zring::zmtp::socket(PUSH)::bind"));
    }
    try {
        push.set(zmq::sockopt::affinity, 1);
        FAIL("affinity accepted");
    } catch (const zring::socket_error& e) {
        CHECK(e.code().value() == EINVAL);
        CHECK_THAT(e.what(), Catch::Contains("not supported by the native engine"));
    }
    try {
        push.set(zmq::sockopt::req_relaxed, 1);
        FAIL("req_relaxed accepted by a PUSH");
    } catch (const zring::socket_error& e) {
        CHECK(e.code().value() == EINVAL);
        CHECK_THAT(e.what(), Catch::Contains("req_relaxed"));
    }
    try {
        zring::zmtp::socket stream(s, zmq::socket_type::stream);
        FAIL("STREAM made");
    } catch (const zring::socket_error& e) {
        CHECK(e.code().value() == ENOTSUP);
        CHECK_THAT(e.what(), Catch::Contains("no socket of type " + std::to_string(ZMQ_STREAM)));
    }
    zring::zmtp::socket pull(s, zmq::socket_type::pull);
    zring::zmtp::socket req(s, zmq::socket_type::req);
    zring::zmtp::socket router(s, zmq::socket_type::router);
    router.set(zmq::sockopt::router_mandatory, true);
    auto body = [&]() -> zring::task<void> {
        try {
            co_await pull.send(msg("x"), 1s);
            FAIL("PULL sent");
        } catch (const zring::socket_error& e) {
            CHECK(e.code().value() == ENOTSUP);
        }
        try {
            co_await req.recv(1s);
            FAIL("REQ received before sending");
        } catch (const zring::socket_error& e) {
            CHECK(e.code().value() == EFSM);
        }
        try {
            co_await router.send_multipart({"nobody", "x"}, 1s);
            FAIL("ROUTER sent to an unknown peer");
        } catch (const zring::socket_error& e) {
            CHECK(e.code().value() == EHOSTUNREACH);
            CHECK_THAT(e.what(), Catch::Contains("ROUTER"));
        }
    };
    run(s, body());
}

TEST_CASE("zmtp: a PUB drops at a subscriber's high-water mark, counts each drop, and loses nothing else",
          "[zmtp]") {
    zring::scheduler s;
    zring::zmtp::socket pub(s, zmq::socket_type::pub);
    pub.set(zmq::sockopt::sndhwm, 10);
    zring::zmtp::socket sub(s, zmq::socket_type::sub);
    sub.set(zmq::sockopt::rcvhwm, 10);
    sub.subscribe("");
    sub.connect(bind_fresh(pub, "tcp"));
    auto body = [&]() -> zring::task<void> {
        // Connected and subscribed: a probe gets through.
        std::optional<zmq::message_t> probe;
        for (int i = 0; i < 500 && !probe; ++i) {
            co_await pub.send(msg("probe"));
            probe = co_await sub.try_recv(10ms);
        }
        REQUIRE(probe);
        for (bool more = true; more;) {  // the probes still coming
            auto extra = co_await sub.try_recv(20ms);
            more = extra.has_value();
        }
        const std::uint64_t dropped_before = pub.dropped();
        // The subscriber reads nothing meanwhile: the kernel's buffers fill,
        // then the pipe, then the PUB drops.
        constexpr int burst = 20'000;
        const std::string padding(1024, 'p');
        for (int i = 0; i < burst; ++i) co_await pub.send(msg(std::to_string(i) + " " + padding));
        const std::uint64_t dropped = pub.dropped() - dropped_before;
        CHECK(dropped > 0);
        // What was not dropped arrives, in order, once.
        int last = -1;
        bool in_order = true;
        for (std::uint64_t i = 0; i < burst - dropped; ++i) {
            zmq::message_t m = co_await sub.recv(5s);
            const int n = std::stoi(m.to_string());
            in_order = in_order && n > last;
            last = n;
        }
        CHECK(in_order);
        const bool more = static_cast<bool>(co_await sub.try_recv(50ms));
        CHECK_FALSE(more);
    };
    run(s, body(), 60s);
}

TEST_CASE("zmtp: heartbeats keep a quiet libzmq peer connected both ways, and drop a silent one", "[zmtp]") {
    zmq::context_t context;
    zring::scheduler s;
    std::vector<zring::zmtp::event> events;
    const auto record = [&](const zring::zmtp::event& e) {
        if (e.kind != zring::zmtp::event_kind::connected) events.push_back(e);
    };
    // libzmq pings the native side, which must answer; the native side pings libzmq.
    zring::zmtp::socket native_pull(s, zmq::socket_type::pull);
    native_pull.on_event(record);
    zring::socket libzmq_push(s, context, zmq::socket_type::push);
    // Timeouts of 50 intervals: PINGs must be answered within 1 s, and a
    // loaded machine's pauses cost no connection.
    libzmq_push.set(zmq::sockopt::heartbeat_ivl, 20);
    libzmq_push.set(zmq::sockopt::heartbeat_timeout, 1000);
    libzmq_push.connect(bind_fresh(native_pull, "tcp"));
    zring::zmtp::socket native_push(s, zmq::socket_type::push);
    native_push.on_event(record);
    native_push.set(zmq::sockopt::heartbeat_ivl, 20);
    native_push.set(zmq::sockopt::heartbeat_timeout, 1000);
    zring::socket libzmq_pull(s, context, zmq::socket_type::pull);
    native_push.connect(bind_ephemeral_tcp(libzmq_pull));
    // A peer that completes the handshake, then says nothing, ever.
    zring::zmtp::socket watched(s, zmq::socket_type::pull);
    watched.on_event(record);
    watched.set(zmq::sockopt::heartbeat_ivl, 20);
    watched.set(zmq::sockopt::heartbeat_timeout, 100);
    const std::string silent_endpoint = bind_fresh(watched, "tcp");
    auto body = [&]() -> zring::task<void> {
        co_await libzmq_push.send(msg("first"), 5s);
        zmq::message_t m = co_await native_pull.recv(5s);
        CHECK(m.to_string() == "first");
        co_await native_push.send(msg("first"), 5s);
        m = co_await libzmq_pull.recv(5s);
        CHECK(m.to_string() == "first");
        // Longer than the timeouts: a peer that did not answer PINGs would be dropped.
        co_await zring::sleep_for(1500ms);
        CHECK(events.empty());
        co_await libzmq_push.send(msg("second"), 5s);
        m = co_await native_pull.recv(5s);
        CHECK(m.to_string() == "second");

        zring::tcp_stream peer =
            co_await zring::tcp_stream::connect(s, silent_endpoint.substr(std::string("tcp://").size()), 5s);
        std::string hello(64, '\0');
        hello[0] = '\xff';
        hello[9] = '\x7f';
        hello[10] = 3;
        hello.replace(12, 4, "NULL");
        hello += std::string("\x04\x1a\x05READY\x0bSocket-Type\0\0\0\x04PUSH", 28);
        co_await peer.write(hello, 5s);
        co_await until("the silent peer is dropped", [&] { return !events.empty(); });
        CHECK_THAT(events.front().reason, Catch::Contains("heartbeat timeout"));
    };
    run(s, body());
}

TEST_CASE("zmtp: a timed-out or cancelled recv consumes nothing, and closing ends a waiting one", "[zmtp]") {
    zring::scheduler s;
    zring::zmtp::socket pull(s, zmq::socket_type::pull);
    zring::zmtp::socket push(s, zmq::socket_type::push);
    push.connect(bind_fresh(pull, "tcp"));
    auto body = [&]() -> zring::task<void> {
        const bool timed_out = !(co_await pull.try_recv(20ms));
        CHECK(timed_out);
        std::stop_source stop;
        auto cancelled = [&]() -> zring::task<bool> {
            co_return co_await throws<zring::operation_cancelled>(pull.recv(stop.get_token()));
        };
        auto cancel = [&]() -> zring::task<void> {
            co_await zring::sleep_for(1ms);
            stop.request_stop();
            co_await push.send(msg("kept"), 5s);
        };
        auto [was_cancelled, sent] = co_await zring::when_all(cancelled(), cancel());
        (void)sent;
        CHECK(was_cancelled);
        zmq::message_t m = co_await pull.recv(5s);
        CHECK(m.to_string() == "kept");
        auto closed = [&]() -> zring::task<bool> {
            co_return co_await throws<zring::socket_closed>(pull.recv(5s));
        };
        auto close = [&]() -> zring::task<void> {
            co_await zring::sleep_for(1ms);
            pull.close();
        };
        auto [was_closed, done] = co_await zring::when_all(closed(), close());
        (void)done;
        CHECK(was_closed);
        const bool refused = co_await throws<zring::socket_closed>(pull.recv(5s));
        CHECK(refused);
    };
    run(s, body());
}

TEST_CASE("zmtp: a socket moves with its connections; a PAIR takes one peer at a time", "[zmtp]") {
    zring::scheduler s;
    zring::zmtp::socket a(s, zmq::socket_type::pair);
    std::vector<zring::zmtp::event> events;
    a.on_event([&](const zring::zmtp::event& e) {
        if (e.kind != zring::zmtp::event_kind::connected) events.push_back(e);
    });
    const std::string endpoint = bind_fresh(a, "ipc");
    zring::zmtp::socket b(s, zmq::socket_type::pair);
    b.connect(endpoint);
    zring::zmtp::socket moved = std::move(a);
    CHECK_FALSE(a.is_open());
    zring::zmtp::socket intruder(s, zmq::socket_type::pair);
    auto body = [&]() -> zring::task<void> {
        co_await b.send(msg("to the moved socket"), 5s);
        zmq::message_t m = co_await moved.recv(5s);
        CHECK(m.to_string() == "to the moved socket");
        intruder.connect(endpoint);
        co_await until("the second PAIR peer is refused", [&] { return !events.empty(); });
        CHECK_THAT(events.front().reason, Catch::Contains("one peer at a time"));
        co_await moved.send(msg("still b's"), 5s);
        m = co_await b.recv(5s);
        CHECK(m.to_string() == "still b's");
    };
    run(s, body());
}

TEST_CASE("zmtp: move-assigning closes the old socket: its waiters get socket_closed, its queued messages linger out",
          "[zmtp]") {
    // As zring::socket does (Lazy Pirate's close and reopen).
    zring::scheduler s;
    zring::zmtp::socket sink(s, zmq::socket_type::pull);
    const std::string endpoint = bind_fresh(sink, "tcp");
    zring::zmtp::socket push(s, zmq::socket_type::push);
    push.connect(endpoint);
    zring::zmtp::socket idle(s, zmq::socket_type::pull);
    bind_fresh(idle, "ipc");
    constexpr int n = 100;
    auto waiter = [&]() -> zring::task<bool> { co_return co_await throws<zring::socket_closed>(idle.recv(5s)); };
    auto reassign = [&]() -> zring::task<std::multiset<std::string>> {
        // when_all started the waiter first: it waits on idle now.
        co_await push.send(msg("connected"), 5s);
        zmq::message_t first = co_await sink.recv(5s);
        CHECK(first.to_string() == "connected");
        for (int i = 0; i < n; ++i) co_await push.send(msg(std::to_string(i)), 5s);
        push = zring::zmtp::socket(s, zmq::socket_type::push);
        idle = zring::zmtp::socket(s, zmq::socket_type::pull);
        push.connect(endpoint);
        co_await push.send(msg("from the new socket"), 5s);
        // Two connections now, fair-queued by the sink: no order between them.
        std::multiset<std::string> got;
        for (int i = 0; i <= n; ++i) {
            zmq::message_t m = co_await sink.recv(5s);
            got.insert(m.to_string());
        }
        co_return got;
    };
    auto [closed, got] = run(s, zring::when_all(waiter(), reassign()));
    CHECK(closed);
    CHECK(idle.is_open());
    std::multiset<std::string> expected{"from the new socket"};
    for (int i = 0; i < n; ++i) expected.insert(std::to_string(i));
    CHECK(got == expected);
}

TEST_CASE("zmtp: receives with random timeouts lose nothing from a libzmq sender, nor waits raced in when_any",
          "[zmtp]") {
    zmq::context_t context;
    zring::scheduler s;
    zring::zmtp::socket pull(s, zmq::socket_type::pull);
    const std::string endpoint = bind_fresh(pull, "tcp");
    zring::socket push(s, context, zmq::socket_type::push);
    push.set(zmq::sockopt::sndhwm, 50);
    push.connect(endpoint);
    constexpr int count = 20'000;
    auto send_all = [&]() -> zring::task<void> {
        for (int i = 0; i < count; ++i) co_await push.send(msg(std::to_string(i)), 5s);
    };
    auto receive_all = [&]() -> zring::task<int> {
        int in_order = 0;
        zmq::message_t m;
        for (int i = 0; i < count;) {
            const auto timeout = std::chrono::microseconds(1 + i % 300);  // never 0: the loop must suspend
            bool received = false;
            if (i % 2 == 0) {
                received = co_await pull.try_recv(m, timeout);
            } else {
                // when_any over wait(), which consumes nothing, then the receive.
                auto outcome = co_await zring::when_any(pull.wait(ZMQ_POLLIN), zring::sleep_for(timeout));
                if (outcome.index() == 0) received = co_await pull.try_recv(m, 0s);
            }
            if (!received) continue;
            in_order += m.to_string() == std::to_string(i);
            ++i;
        }
        co_return in_order;
    };
    auto [sent, in_order] = run(s, zring::when_all(send_all(), receive_all()), 60s);
    (void)sent;
    CHECK(in_order == count);
}

TEST_CASE("zmtp: unbind and disconnect, also right after connect, leave the socket serving", "[zmtp]") {
    zring::scheduler s;
    zring::zmtp::socket pull(s, zmq::socket_type::pull);
    const std::string first = bind_fresh(pull, "ipc");
    const std::string second = bind_fresh(pull, "tcp");
    zring::zmtp::socket push(s, zmq::socket_type::push);
    const std::string nobody = fresh_bind_endpoint("ipc");
    auto body = [&]() -> zring::task<void> {
        // Connects disconnected at once, and again after a loop turn, many times.
        for (int i = 0; i < 50; ++i) {
            push.connect(first);
            if (i % 2) co_await zring::sleep_for(0s);
            push.disconnect(first);
        }
        push.connect(nobody);
        push.connect(second);
        push.disconnect(nobody);
        pull.unbind(first);  // with connects beside it in the socket's books
        co_await push.send(msg("over tcp"), 5s);
        zmq::message_t m = co_await pull.recv(5s);
        CHECK(m.to_string() == "over tcp");
        try {
            pull.unbind(first);
            FAIL("unbound twice");
        } catch (const zring::socket_error& e) {
            CHECK(e.code().value() == ENOENT);
        }
    };
    run(s, body());
}

TEST_CASE("zmtp: a SUB counts its subscriptions as libzmq does: a duplicate's unsubscribe keeps the other", "[zmtp]") {
    zmq::context_t context;
    zring::scheduler s;
    zring::socket pub(s, context, zmq::socket_type::pub);
    zring::zmtp::socket sub(s, zmq::socket_type::sub);
    sub.connect(bind_ephemeral_tcp(pub));
    auto body = [&]() -> zring::task<void> {
        sub.subscribe("a");
        sub.subscribe("a");
        sub.subscribe("b");
        std::optional<zmq::message_t> first;
        for (int i = 0; i < 500 && !first; ++i) {
            co_await pub.send(msg("a0"));
            first = co_await sub.try_recv(10ms);
        }
        REQUIRE(first);
        sub.unsubscribe("a");  // one of two: "a" stays
        sub.unsubscribe("b");  // the publisher stops sending "b"
        // A marker after the changes: once it arrives, the publisher had them.
        sub.subscribe("marker");
        std::optional<zmq::message_t> marker;
        for (int i = 0; i < 500 && !marker; ++i) {
            co_await pub.send(msg("marker"));
            marker = co_await sub.try_recv(10ms);
            if (marker && marker->to_string() != "marker") marker.reset();
        }
        REQUIRE(marker);
        co_await pub.send(msg("b1"));
        co_await pub.send(msg("a1"));
        for (;;) {
            zmq::message_t m = co_await sub.recv(5s);
            CHECK(m.to_string() != "b1");
            if (m.to_string() == "a1") break;
        }
    };
    run(s, body());
}

TEST_CASE("zmtp: an XPUB applies subscriptions its user does not read, and drops the notes past rcvhwm", "[zmtp]") {
    zring::scheduler s;
    zring::zmtp::socket xpub(s, zmq::socket_type::xpub);
    xpub.set(zmq::sockopt::rcvhwm, 5);
    zring::zmtp::socket sub(s, zmq::socket_type::sub);
    for (int i = 0; i < 20; ++i) sub.subscribe("topic " + std::to_string(i) + ":");
    xpub.bind("tcp://127.0.0.1:*");
    sub.connect(xpub.get(zmq::sockopt::last_endpoint));
    auto body = [&]() -> zring::task<void> {
        // The peer's subscriptions arrive in order: once the last one matches, all have.
        std::optional<zmq::message_t> probe;
        for (int i = 0; i < 500 && !probe; ++i) {
            co_await xpub.send(msg("topic 19: probe"), 5s);
            probe = co_await sub.try_recv(10ms);
        }
        REQUIRE(probe);
        co_await xpub.send(msg("topic 7: applied"), 5s);
        for (;;) {  // past any probes still in flight
            const zmq::message_t m = co_await sub.recv(5s);
            if (m.to_string() == "topic 7: applied") break;
        }
        // Five notes were kept (rcvhwm), fifteen dropped and counted.
        int notes = 0;
        for (;;) {
            const std::optional<zmq::message_t> note = co_await xpub.try_recv(100ms);
            if (!note) break;
            CHECK(static_cast<const char*>(note->data())[0] == 1);
            ++notes;
        }
        CHECK(notes == 5);
        CHECK(xpub.dropped() == 15);
    };
    run(s, body());
}

TEST_CASE("zmtp: events name endpoints as ZeroMQ spells them, for a bound socket's tcp and ipc peers", "[zmtp]") {
    zring::scheduler s;
    for (const std::string transport : {"tcp", "ipc"}) {
        std::vector<std::string> connected;  // outlives the sockets whose hook fills it
        zring::zmtp::socket pull(s, zmq::socket_type::pull), push(s, zmq::socket_type::push);
        pull.on_event([&](const zring::zmtp::event& e) {
            if (e.kind == zring::zmtp::event_kind::connected) connected.push_back(e.endpoint);
        });
        const std::string bound = bind_fresh(pull, transport);
        push.connect(bound);
        run(s, until("the bound side's handshake is done", [&] { return !connected.empty(); }));
        if (transport == "ipc") {
            CHECK(connected.front() == bound);  // an unnamed Unix peer: the listener's end
        } else {
            CHECK_THAT(connected.front(), Catch::StartsWith("tcp://127.0.0.1:"));
            CHECK(connected.front() != bound);  // the peer's own port
        }
    }
}
