// The send and receive paths allocate nothing per message. This executable
// replaces the global operator new (allocation_counter.cpp) to count the
// allocations made on the scheduler's thread; libzmq's own buffers come from
// malloc and are not zring's to count.
#include "allocation_counter.hpp"
#include "zmq_fixture.hpp"

#include <zring/coro/when_all.hpp>
#include <zring/zmq/socket.hpp>

#include <catch2/catch.hpp>

#include <cstddef>

using zring_test::allocations_on_this_thread;
using zring_test::unique_inproc;

namespace {

constexpr int warm_up = 5'000;  // the ready queue and libzmq's pipes reach their working size
constexpr int measured = 100'000;

struct pair_of_sockets {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull{s, ctx, zmq::socket_type::pull};
    zring::socket push{s, ctx, zmq::socket_type::push};
    pair_of_sockets() {
        const auto ep = unique_inproc("alloc");
        pull.bind(ep);
        push.connect(ep);  // default high-water marks: both sides suspend now and then
    }
    zring::task<void> send_all() {
        for (int i = 0; i < warm_up + measured; ++i) co_await push.send(zmq::message_t(&i, sizeof i));
    }
};

}  // namespace

TEST_CASE("recv into a reused message and send allocate nothing per message", "[zmq][alloc]") {
    pair_of_sockets p;
    auto receive = [&]() -> zring::task<std::size_t> {
        zmq::message_t m;
        for (int i = 0; i < warm_up; ++i) co_await p.pull.recv(m);
        const std::size_t before = allocations_on_this_thread();
        for (int i = 0; i < measured; ++i) co_await p.pull.recv(m);
        co_return allocations_on_this_thread() - before;
    };
    auto [allocated, unused] = zring_test::run(p.s, zring::when_all(receive(), p.send_all()));
    CHECK(allocated == 0);
}

TEST_CASE("recv returning a message allocates nothing per message", "[zmq][alloc]") {
    pair_of_sockets p;
    auto receive = [&]() -> zring::task<std::size_t> {
        for (int i = 0; i < warm_up; ++i) co_await p.pull.recv();
        const std::size_t before = allocations_on_this_thread();
        for (int i = 0; i < measured; ++i) co_await p.pull.recv();
        co_return allocations_on_this_thread() - before;
    };
    auto [allocated, unused] = zring_test::run(p.s, zring::when_all(receive(), p.send_all()));
    CHECK(allocated == 0);
}

TEST_CASE("the allocation counter sees allocations on this thread", "[zmq][alloc]") {
    const std::size_t before = allocations_on_this_thread();
    int* volatile p = new int(7);  // volatile: the pair may not be elided
    const std::size_t after = allocations_on_this_thread();
    delete p;
    CHECK(after == before + 1);
}
