// A socket whose every receive succeeds at once (messages always queued)
// must not keep the loop from its other coroutines.
#include "zmq_fixture.hpp"

#include <zring/coro/when_all.hpp>
#include <zring/io/timer.hpp>

#include <catch2/catch.hpp>

#include <cstring>
#include <optional>

using namespace std::chrono_literals;
using zring_test::unique_inproc;

TEST_CASE("a receiver whose messages are always there still lets the loop's other work run, in order",
          "[zmq][fairness]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull);
    pull.set(zmq::sockopt::rcvhwm, 0);
    const auto ep = unique_inproc("fairness");
    pull.bind(ep);
    zmq::socket_t push(ctx, zmq::socket_type::push);
    push.set(zmq::sockopt::sndhwm, 0);
    push.connect(ep);
    constexpr int total = 5000;
    for (int i = 0; i < total; ++i) push.send(zmq::buffer(&i, sizeof i), zmq::send_flags::none);

    int received = 0;
    bool in_order = true;
    std::optional<int> received_when_other_ran;
    bool timer_fired_early = false;
    auto receiver = [&]() -> zring::task<void> {
        while (received < total) {
            const zmq::message_t m = co_await pull.recv(5s);
            int n = -1;
            std::memcpy(&n, m.data(), sizeof n);
            in_order = in_order && n == received;
            ++received;
        }
    };
    auto other = [&]() -> zring::task<void> {
        received_when_other_ran = received;
        co_await zring::sleep_for(0ms);  // a timer due at once fires within the receiver's run too
        timer_fired_early = received < total;
    };
    zring_test::run(s, zring::when_all(receiver(), other()));
    CHECK(received == total);
    CHECK(in_order);
    REQUIRE(received_when_other_ran);
    CHECK(*received_when_other_ran < total / 2);
    CHECK(timer_fired_early);
}
