// Socket operations under composed cancellation, multipart atomicity, and
// ZMQ_FD edges consumed by calls other than recv and send.

#include "cancellation_cases.hpp"
#include "zmq_fixture.hpp"

#include <zring/coro/when_all.hpp>
#include <zring/io/timer.hpp>
#include <zring/zmq/monitor.hpp>
#include <zring/zmq/poller.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace std::chrono_literals;
using zring_test::unique_inproc;

namespace {

// A PULL and a PUSH with nobody on the other side: every operation waits.
struct lonely_pair {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull{s, ctx, zmq::socket_type::pull};
    zring::socket push{s, ctx, zmq::socket_type::push};
    lonely_pair() {
        pull.bind(unique_inproc("lonely-pull"));
        push.bind(unique_inproc("lonely-push"));
    }
};

std::vector<std::string> strings(const std::vector<zmq::message_t>& parts) {
    std::vector<std::string> out;
    for (const auto& p : parts) out.push_back(p.to_string());
    return out;
}

}  // namespace

TEST_CASE("socket receives hear their own token and the ambient one", "[zmq][cancel]") {
    lonely_pair p;
    zring_test::check_cancellation_composes(
        p.s, [&](std::stop_token t) -> zring::task<void> { co_await p.pull.recv(std::move(t)); });
    zring_test::check_cancellation_composes(p.s, [&](std::stop_token t) -> zring::task<void> {
        zmq::message_t m;
        co_await p.pull.recv(m, 1h, std::move(t));
    });
    zring_test::check_cancellation_composes(
        p.s, [&](std::stop_token t) -> zring::task<void> { co_await p.pull.recv_multipart(std::move(t)); });
    zring_test::check_cancellation_composes(
        p.s, [&](std::stop_token t) -> zring::task<void> { co_await p.pull.wait(ZMQ_POLLIN, std::move(t)); });
}

TEST_CASE("socket sends hear their own token and the ambient one", "[zmq][cancel]") {
    lonely_pair p;
    zring_test::check_cancellation_composes(p.s, [&](std::stop_token t) -> zring::task<void> {
        co_await p.push.send(zmq::message_t(std::string("x")), zmq::send_flags::none, std::move(t));
    });
    zring_test::check_cancellation_composes(p.s, [&](std::stop_token t) -> zring::task<void> {
        const std::vector<std::string> frames{"a", "b"};
        co_await p.push.send_multipart(frames, std::move(t));
    });
}

TEST_CASE("a poller and a monitor hear their own token and the ambient one", "[zmq][cancel]") {
    lonely_pair p;
    zring::poller poller;
    poller.add(p.pull, ZMQ_POLLIN);
    zring_test::check_cancellation_composes(
        p.s, [&](std::stop_token t) -> zring::task<void> { co_await poller.poll(std::move(t)); });
    zring::monitor m(p.pull, ZMQ_EVENT_ACCEPTED);
    zring_test::check_cancellation_composes(
        p.s, [&](std::stop_token t) -> zring::task<void> { co_await m.next(std::move(t)); });
}

TEST_CASE("a multipart send that times out before its first frame sends nothing", "[zmq][multipart]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket push(s, ctx, zmq::socket_type::push), pull(s, ctx, zmq::socket_type::pull);
    push.set(zmq::sockopt::sndhwm, 1);
    pull.set(zmq::sockopt::rcvhwm, 1);
    const auto ep = unique_inproc("hwm1");
    pull.bind(ep);
    push.connect(ep);
    auto t = [&]() -> zring::task<std::vector<std::vector<std::string>>> {
        // Fill the pipe to its high-water marks.
        int filled = 0;
        for (;;) {
            const bool full = co_await zring_test::throws<zring::timed_out>(push.send(zmq::message_t(std::string("fill")), 1ms));
            if (full) break;
            ++filled;
        }
        CHECK(filled >= 1);
        const std::vector<std::string> refused{"never", "sent"};
        std::vector<zmq::message_t> parts;
        for (const auto& f : refused) parts.emplace_back(f.data(), f.size());
        const bool timed_out =
            co_await zring_test::throws<zring::timed_out>(push.send_multipart(std::move(parts), 5ms));
        CHECK(timed_out);
        // The receiver drains while the next multipart message waits for room.
        const std::vector<std::string> whole{"whole", "message"};
        auto sender = [&]() -> zring::task<void> { co_await push.send_multipart(whole); };
        std::vector<std::vector<std::string>> got;
        auto receiver = [&]() -> zring::task<void> {
            for (int i = 0; i <= filled; ++i) got.push_back(strings(co_await pull.recv_multipart(5s)));
        };
        co_await zring::when_all(sender(), receiver());
        const bool nothing_else_came = co_await zring_test::throws<zring::timed_out>(pull.recv(20ms));
        CHECK(nothing_else_came);
        co_return got;
    };
    const auto got = zring_test::run(s, t());
    REQUIRE_FALSE(got.empty());
    for (std::size_t i = 0; i + 1 < got.size(); ++i) CHECK(got[i] == std::vector<std::string>{"fill"});
    CHECK(got.back() == std::vector<std::string>{"whole", "message"});
}

TEST_CASE("calls that process libzmq's commands never strand a waiting receiver", "[zmq][edges]") {
    // bind, connect, options and the like consume the signal on ZMQ_FD that a
    // waiting recv's poll was armed for; the poll's completion was posted when
    // the fd was signalled, so the receiver still gets the message.
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull);
    const auto ep = unique_inproc("edges");
    pull.bind(ep);
    zmq::socket_t peer(ctx, zmq::socket_type::push);  // a plain libzmq peer: no zring in its path
    peer.connect(ep);
    const std::vector<std::string> calls{"get", "set", "bind", "connect", "unbind", "disconnect", "native"};
    for (const auto& call : calls) {
        INFO(call);
        auto t = [&]() -> zring::task<int> {
            int received = 0;
            for (int i = 0; i < 100; ++i) {
                auto receiver = [&]() -> zring::task<void> {
                    co_await pull.recv(5s);
                    ++received;
                };
                auto interferer = [&]() -> zring::task<void> {
                    // The receiver has suspended; the message arrives, then
                    // the call below processes the mailbox before the loop
                    // looks at the ring.
                    peer.send(zmq::str_buffer("m"), zmq::send_flags::none);
                    const auto extra = unique_inproc("extra");
                    if (call == "get") (void)pull.get(zmq::sockopt::events);
                    if (call == "set") pull.set(zmq::sockopt::rcvhwm, 1000 + i);
                    if (call == "bind") pull.bind(extra);
                    if (call == "connect") pull.connect(extra);
                    if (call == "unbind") {
                        pull.bind(extra);
                        pull.unbind(extra);
                    }
                    if (call == "disconnect") {
                        pull.connect(extra);
                        pull.disconnect(extra);
                    }
                    if (call == "native") (void)pull.native().get(zmq::sockopt::events);
                    co_return;
                };
                co_await zring::when_all(receiver(), interferer());
            }
            co_return received;
        };
        CHECK(zring_test::run(s, t()) == 100);
    }
}
