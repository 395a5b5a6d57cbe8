// The native engine against itself and against libzmq, both ways round:
// every message size at the frame-size boundary, multipart messages, long
// bursts in order, and each pattern's envelopes.

#include "zmtp_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace zring_test;
using namespace std::chrono_literals;

#define ZRING_ENGINE_PAIRS native_to_native, native_binds_libzmq_connects, libzmq_binds_native_connects

TEMPLATE_TEST_CASE("zmtp: PUSH to PULL carries every size, a 100-frame multipart and a 100,000-message burst in order",
                   "[zmtp]", ZRING_ENGINE_PAIRS) {
    zmq::context_t context;
    zring::scheduler s;
    for (const std::string transport : {"tcp", "ipc"}) {
        auto pull = TestType::binder::make(s, context, zmq::socket_type::pull);
        auto push = TestType::connector::make(s, context, zmq::socket_type::push);
        push.connect(bind_fresh(pull, transport));
        auto body = [&]() -> zring::task<void> {
            for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{255}, std::size_t{256},
                                           std::size_t{1} << 20}) {
                std::string payload(size, 'x');
                for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>('a' + i % 26);
                co_await push.send(zmq::message_t(payload.data(), payload.size()), 5s);
                zmq::message_t got = co_await pull.recv(5s);
                CHECK(got.size() == size);
                CHECK(got.to_string() == payload);
            }
            std::vector<std::string> frames;
            for (int i = 0; i < 100; ++i) frames.push_back("frame " + std::to_string(i));
            co_await push.send_multipart(frames, 5s);
            std::vector<zmq::message_t> parts = co_await pull.recv_multipart(5s);
            REQUIRE(parts.size() == 100);
            for (int i = 0; i < 100; ++i) CHECK(parts[i].to_string() == frames[i]);
            // Mid-size messages queued back to back: each size around the
            // reader's buffer as it grows (8 to 64 KiB), their bytes intact.
            const std::size_t mid_sizes[] = {4095, 4097, 8192, 16385, 20000, 32768, 40000, 70000};
            const auto mid = [&](int i) {
                std::string m(mid_sizes[i % std::size(mid_sizes)], 'm');
                for (std::size_t j = 0; j < m.size(); j += 97) m[j] = static_cast<char>('a' + (i + j) % 26);
                return m;
            };
            for (int i = 0; i < 200; ++i) {
                const std::string m = mid(i);
                co_await push.send(zmq::message_t(m.data(), m.size()), 5s);
            }
            int mid_intact = 0;
            for (int i = 0; i < 200; ++i) {
                zmq::message_t m = co_await pull.recv(5s);
                if (m.to_string() == mid(i)) ++mid_intact;
            }
            CHECK(mid_intact == 200);
            // A burst, both sides concurrently: no loss, duplication or reordering.
            constexpr int burst = 100'000;
            auto produce = [&]() -> zring::task<void> {
                for (int i = 0; i < burst; ++i) co_await push.send(std::to_string(i));
            };
            auto consume = [&]() -> zring::task<int> {
                int in_order = 0;
                for (int i = 0; i < burst; ++i) {
                    zmq::message_t m = co_await pull.recv(10s);
                    if (m.to_string() == std::to_string(i)) ++in_order;
                }
                co_return in_order;
            };
            auto [sent, in_order] = co_await zring::when_all(produce(), consume());
            (void)sent;
            CHECK(in_order == burst);
        };
        run(s, body(), 60s);
    }
}

TEMPLATE_TEST_CASE("zmtp: REQ and REP keep the envelope; DEALER and ROUTER route by id", "[zmtp]",
                   ZRING_ENGINE_PAIRS) {
    zmq::context_t context;
    zring::scheduler s;
    for (const std::string transport : {"tcp", "ipc"}) {
        auto rep = TestType::binder::make(s, context, zmq::socket_type::rep);
        auto req = TestType::connector::make(s, context, zmq::socket_type::req);
        req.connect(bind_fresh(rep, transport));
        auto router = TestType::binder::make(s, context, zmq::socket_type::router);
        auto dealer = TestType::connector::make(s, context, zmq::socket_type::dealer);
        dealer.set(zmq::sockopt::routing_id, "dealer-1");
        dealer.connect(bind_fresh(router, transport));
        auto anonymous = TestType::connector::make(s, context, zmq::socket_type::dealer);
        anonymous.connect(router.get(zmq::sockopt::last_endpoint));
        auto body = [&]() -> zring::task<void> {
            for (int i = 0; i < 100; ++i) {
                co_await req.send(msg("question " + std::to_string(i)), 5s);
                zmq::message_t q = co_await rep.recv(5s);
                CHECK(q.to_string() == "question " + std::to_string(i));
                co_await rep.send(msg("answer " + std::to_string(i)), 5s);
                zmq::message_t a = co_await req.recv(5s);
                CHECK(a.to_string() == "answer " + std::to_string(i));
            }
            co_await dealer.send_multipart({"hello", "world"}, 5s);
            std::vector<zmq::message_t> in = co_await router.recv_multipart(5s);
            REQUIRE(in.size() == 3);
            CHECK(in[0].to_string() == "dealer-1");
            CHECK(in[1].to_string() == "hello");
            CHECK(in[2].to_string() == "world");
            co_await router.send_multipart({"dealer-1", "reply"}, 5s);
            zmq::message_t reply = co_await dealer.recv(5s);
            CHECK(reply.to_string() == "reply");
            // No routing id given: the router makes one, 5 bytes from a zero byte.
            co_await anonymous.send(msg("anon"), 5s);
            std::vector<zmq::message_t> from_anon = co_await router.recv_multipart(5s);
            REQUIRE(from_anon.size() == 2);
            CHECK(from_anon[0].size() == 5);
            CHECK(static_cast<const char*>(from_anon[0].data())[0] == '\0');
            co_await router.send_multipart({from_anon[0], zmq::message_t(std::string_view("back"))}, 5s);
            zmq::message_t back = co_await anonymous.recv(5s);
            CHECK(back.to_string() == "back");
        };
        run(s, body());
    }
}

TEMPLATE_TEST_CASE("zmtp: a strict REQ refuses a second request while a relaxed and correlating one sends again "
                   "and drops the stale reply",
                   "[zmtp]", ZRING_ENGINE_PAIRS) {
    zmq::context_t context;
    zring::scheduler s;
    auto rep = TestType::binder::make(s, context, zmq::socket_type::rep);
    auto strict = TestType::connector::make(s, context, zmq::socket_type::req);
    auto relaxed = TestType::connector::make(s, context, zmq::socket_type::req);
    relaxed.set(zmq::sockopt::req_relaxed, 1);
    relaxed.set(zmq::sockopt::req_correlate, 1);
    const std::string endpoint = bind_fresh(rep, "tcp");
    strict.connect(endpoint);
    auto body = [&]() -> zring::task<void> {
        co_await strict.send(msg("once"), 5s);
        try {
            co_await strict.send(msg("twice"), 1s);
            FAIL("a strict REQ sent twice");
        } catch (const zring::socket_error& e) {
            CHECK(e.code().value() == EFSM);
        }
        co_await rep.recv(5s);
        co_await rep.send(msg("to once"), 5s);
        const zmq::message_t once = co_await strict.recv(5s);
        CHECK(once.to_string() == "to once");
        strict.close();

        // Without correlate too, a reply already queued when the next request
        // starts is an old one, and is dropped (as libzmq drops it).
        auto plain = TestType::connector::make(s, context, zmq::socket_type::req);
        plain.set(zmq::sockopt::req_relaxed, 1);
        plain.connect(endpoint);
        co_await plain.send(msg("first"), 5s);
        co_await rep.recv(5s);
        co_await rep.send(msg("late"), 5s);
        co_await plain.wait(ZMQ_POLLIN, 5s);  // the late reply is queued, not taken
        co_await plain.send(msg("second"), 5s);
        const zmq::message_t second_request = co_await rep.recv(5s);
        CHECK(second_request.to_string() == "second");
        co_await rep.send(msg("to second"), 5s);
        const zmq::message_t to_second = co_await plain.recv(5s);
        CHECK(to_second.to_string() == "to second");
        plain.close();

        relaxed.connect(endpoint);
        for (int round = 0; round < 3; ++round) {
            const std::string n = std::to_string(round);
            co_await relaxed.send(msg("first " + n), 5s);
            const zmq::message_t first = co_await rep.recv(5s);
            CHECK(first.to_string() == "first " + n);
            co_await relaxed.send(msg("second " + n), 5s);  // no reply yet: allowed
            co_await rep.send(msg("late reply to first " + n), 5s);
            const zmq::message_t second = co_await rep.recv(5s);
            CHECK(second.to_string() == "second " + n);
            co_await rep.send(msg("reply to second " + n), 5s);
            // The late reply is the first to arrive, and is dropped.
            const zmq::message_t reply = co_await relaxed.recv(5s);
            CHECK(reply.to_string() == "reply to second " + n);
        }
    };
    run(s, body());
}

TEMPLATE_TEST_CASE("zmtp: a SUB receives what matches its subscriptions, and PAIR talks both ways", "[zmtp]",
                   ZRING_ENGINE_PAIRS) {
    zmq::context_t context;
    zring::scheduler s;
    auto pub = TestType::binder::make(s, context, zmq::socket_type::pub);
    auto sub = TestType::connector::make(s, context, zmq::socket_type::sub);
    sub.subscribe("weather.");
    sub.subscribe("");  // then dropped again: only "weather." stays
    sub.unsubscribe("");
    sub.connect(bind_fresh(pub, "tcp"));
    auto a = TestType::binder::make(s, context, zmq::socket_type::pair);
    auto b = TestType::connector::make(s, context, zmq::socket_type::pair);
    b.connect(bind_fresh(a, "ipc"));
    auto body = [&]() -> zring::task<void> {
        // The subscription reaches the publisher some time after connect:
        // publish until the first matching message arrives.
        std::optional<zmq::message_t> first;
        for (int i = 0; i < 500 && !first; ++i) {
            co_await pub.send(std::string_view("sports.ignored"));
            co_await pub.send(std::string_view("weather.first"));
            first = co_await sub.try_recv(10ms);
        }
        REQUIRE(first);
        CHECK(first->to_string() == "weather.first");
        // From now on, in order, without what does not match.
        co_await pub.send(std::string_view("news.no"));
        co_await pub.send(std::string_view("weather.end"));
        for (;;) {
            zmq::message_t m = co_await sub.recv(5s);
            CHECK(m.to_string().rfind("weather.", 0) == 0);
            if (m.to_string() == "weather.end") break;
        }
        co_await a.send(msg("to b"), 5s);
        zmq::message_t at_b = co_await b.recv(5s);
        CHECK(at_b.to_string() == "to b");
        co_await b.send(msg("to a"), 5s);
        zmq::message_t at_a = co_await a.recv(5s);
        CHECK(at_a.to_string() == "to a");
    };
    run(s, body());
}

TEMPLATE_TEST_CASE("zmtp: an XPUB hears of a prefix's first subscriber and its last one leaving, and an XSUB "
                   "subscribes by message and talks upstream",
                   "[zmtp]", ZRING_ENGINE_PAIRS) {
    zmq::context_t context;
    zring::scheduler s;
    auto xpub = TestType::binder::make(s, context, zmq::socket_type::xpub);
    const std::string endpoint = bind_fresh(xpub, "tcp");
    auto one = TestType::connector::make(s, context, zmq::socket_type::sub);
    auto two = TestType::connector::make(s, context, zmq::socket_type::sub);
    auto xsub = TestType::connector::make(s, context, zmq::socket_type::xsub);
    const auto note = [](char kind, std::string_view prefix) { return std::string(1, kind) + std::string(prefix); };
    auto body = [&]() -> zring::task<void> {
        one.connect(endpoint);
        one.subscribe("a");
        zmq::message_t first = co_await xpub.recv(5s);
        CHECK(first.to_string() == note(1, "a"));
        // A second subscriber to "a" is no news; its "b" is, and arrives after its "a".
        two.connect(endpoint);
        two.subscribe("a");
        two.subscribe("b");
        zmq::message_t second = co_await xpub.recv(5s);
        CHECK(second.to_string() == note(1, "b"));
        for (const char* m : {"a-1", "b-1", "c-1", "a-2"}) co_await xpub.send(msg(m), 5s);
        std::vector<std::string> at_one, at_two;
        for (int i = 0; i < 2; ++i) {
            zmq::message_t m = co_await one.recv(5s);
            at_one.push_back(m.to_string());
        }
        for (int i = 0; i < 3; ++i) {
            zmq::message_t m = co_await two.recv(5s);
            at_two.push_back(m.to_string());
        }
        CHECK(at_one == std::vector<std::string>{"a-1", "a-2"});
        CHECK(at_two == std::vector<std::string>{"a-1", "b-1", "a-2"});
        // "a" keeps a subscriber until the second one goes: then both its
        // prefixes are nobody's.
        one.unsubscribe("a");
        two.close();
        std::vector<std::string> gone;
        for (int i = 0; i < 2; ++i) {
            zmq::message_t m = co_await xpub.recv(5s);
            gone.push_back(m.to_string());
        }
        std::sort(gone.begin(), gone.end());
        CHECK(gone == std::vector<std::string>{note(0, "a"), note(0, "b")});

        // An XSUB subscribes with a message, filters, and sends other messages upstream.
        xsub.connect(endpoint);
        co_await xsub.send(msg(note(1, "news")), 5s);
        zmq::message_t subscribed = co_await xpub.recv(5s);
        CHECK(subscribed.to_string() == note(1, "news"));
        for (const char* m : {"sports 1", "news 1"}) co_await xpub.send(msg(m), 5s);
        zmq::message_t news = co_await xsub.recv(5s);
        CHECK(news.to_string() == "news 1");
        co_await xsub.send(msg("hello upstream"), 5s);
        zmq::message_t upstream = co_await xpub.recv(5s);
        CHECK(upstream.to_string() == "hello upstream");
        co_await xsub.send(msg(note(0, "news")), 5s);
        zmq::message_t cancelled = co_await xpub.recv(5s);
        CHECK(cancelled.to_string() == note(0, "news"));
    };
    run(s, body());
}
