// Sockets on a scheduler pool: each stays with the scheduler that made it.

#include "zmq_fixture.hpp"

#include <zring/io/resume_on.hpp>
#include <zring/io/scheduler_pool.hpp>
#include <zring/io/spawn.hpp>

#include <catch2/catch.hpp>

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

void wait_bounded(std::future<void>& f, const char* what) {
    if (f.wait_for(zring_test::default_limit) != std::future_status::ready) {
        std::fprintf(stderr, "%s did not finish within %lld s\n", what,
                     static_cast<long long>(zring_test::default_limit.count()));
        std::abort();  // a thread is stuck: nothing can be cleaned up
    }
    f.get();
}

}  // namespace

TEST_CASE("a socket used after its coroutine hopped to another scheduler throws logic_error",
          "[zmq][pool][threads]") {
    zmq::context_t ctx;
    zring::scheduler_pool pool(2);
    pool.run(zring_test::within(
        [](zring::scheduler_pool& p, zmq::context_t& ctx) -> zring::task<void> {
            zring::socket push(p.at(0), ctx, zmq::socket_type::push);
            zring::socket pull(p.at(0), ctx, zmq::socket_type::pull);
            const auto endpoint = zring_test::unique_inproc("pool-owner");
            pull.bind(endpoint);
            push.connect(endpoint);
            co_await zring::resume_on(p.at(1));
            const bool refused = co_await zring_test::throws<std::logic_error>(push.send(std::string("x")));
            CHECK(refused);
            co_await zring::resume_on(p.at(0));
            // Back home: it works.
            co_await push.send(std::string("y"));
            auto m = co_await pull.recv();
            CHECK(m.to_string() == "y");
        }(pool, ctx),
        zring_test::default_limit));
}

TEST_CASE("a pool destroyed while sockets on every scheduler wait in recv closes them and joins",
          "[zmq][pool][threads]") {
    auto ctx = std::make_unique<zmq::context_t>();
    auto pool = std::make_unique<zring::scheduler_pool>(2);
    std::latch waiting(2);
    std::atomic<int> closed_frames{0};
    struct frame_probe {
        std::atomic<int>* count;
        explicit frame_probe(std::atomic<int>& c) noexcept : count(&c) {}
        frame_probe(frame_probe&& o) noexcept : count(std::exchange(o.count, nullptr)) {}
        ~frame_probe() {
            if (count) count->fetch_add(1);
        }
    };
    for (std::size_t i = 0; i < 2; ++i) {
        zring::spawn(pool->at(i), [](zmq::context_t& ctx, std::latch& w, frame_probe) -> zring::task<void> {
            zring::socket pull(*zring::scheduler::current(), ctx, zmq::socket_type::pull);
            pull.bind(zring_test::unique_inproc("pool-teardown"));
            w.count_down();
            co_await pull.recv();
        }(*ctx, waiting, frame_probe(closed_frames)));
    }
    waiting.wait();
    // Terminating the context returns only once every socket is closed.
    auto teardown = std::async(std::launch::async, [&] {
        pool.reset();
        ctx.reset();
    });
    wait_bounded(teardown, "the pool's and the context's teardown");
    CHECK(closed_frames == 2);
}
