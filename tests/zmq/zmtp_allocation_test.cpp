// The native engine's hot path allocates nothing per message, on either side:
// the send, the writer's batch, the reader's parse, the socket's inbound
// queue and the receive all reuse what they grew to (small messages live in
// zmq::message_t's inline storage).
#include "allocation_counter.hpp"
#include "zmtp_fixture.hpp"

#include <zring/coro/when_all.hpp>

#include <catch2/catch.hpp>

#include <cstddef>

using zring_test::allocations_on_this_thread;

TEST_CASE("the native engine's send, write, read and recv allocate nothing per message", "[zmtp][alloc]") {
    constexpr int warm_up = 20'000;  // the queues and buffers reach their working size
    constexpr int measured = 100'000;
    for (const std::string transport : {"tcp", "ipc"}) {
        zring::scheduler s;
        zring::zmtp::socket pull(s, zmq::socket_type::pull);
        zring::zmtp::socket push(s, zmq::socket_type::push);
        push.connect(zring_test::bind_fresh(pull, transport));
        auto send_all = [&]() -> zring::task<void> {
            for (int i = 0; i < warm_up + measured; ++i) co_await push.send(zmq::message_t(&i, sizeof i));
        };
        auto receive = [&]() -> zring::task<std::size_t> {
            zmq::message_t m;
            for (int i = 0; i < warm_up; ++i) co_await pull.recv(m);
            const std::size_t before = allocations_on_this_thread();
            for (int i = 0; i < measured; ++i) co_await pull.recv(m);
            co_return allocations_on_this_thread() - before;
        };
        auto [allocated, unused] = zring_test::run(s, zring::when_all(receive(), send_all()));
        INFO(transport);
        CHECK(allocated == 0);
    }
}
