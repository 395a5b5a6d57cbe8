// Destroying a zring object while coroutines wait on it resumes them with a
// defined exception and touches no freed memory (these run under ASan).

#include "zmq_fixture.hpp"
#include "wait_until.hpp"

#include <zring/coro/when_all.hpp>
#include <zring/io/spawn.hpp>
#include <zring/io/timer.hpp>
#include <zring/zmq/monitor.hpp>
#include <zring/zmq/poller.hpp>
#include <zring/zmq/proxy.hpp>
#include <zring/zmq/security.hpp>
#include <zring/zmq/stream.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>

using namespace std::chrono_literals;
using zring_test::unique_inproc;

namespace {

// Waits until `watches` readiness watches are in the kernel: the coroutines
// started before wait on their sockets, armed.
zring::task<void> armed(std::size_t watches) {
    zring::scheduler& s = *zring::scheduler::current();
    co_await zring_test::until("the waiters' watches are armed", [&] { return s.kernel_operations() >= watches; });
}

// Destroys what `owner` holds once the coroutines started before wait on it, armed.
template <class Owner>
zring::task<void> destroy_soon(Owner& owner) {
    co_await armed(1);
    owner.reset();
}

}  // namespace

TEST_CASE("destroying a socket under its waiters resumes them with socket_closed naming it", "[zmq][lifetime]") {
    zmq::context_t ctx;
    zring::scheduler s;
    auto pull = std::make_unique<zring::socket>(s, ctx, zmq::socket_type::pull);
    pull->bind(unique_inproc("dies"));
    auto push = std::make_unique<zring::socket>(s, ctx, zmq::socket_type::push);
    push->bind(unique_inproc("dies-push"));  // no peer: a send waits
    std::vector<std::string> errors;
    auto waiter = [&](auto op) -> zring::task<void> {
        try {
            co_await std::move(op);
        } catch (const zring::socket_closed& e) {
            errors.emplace_back(e.what());
        }
    };
    auto destroyer = [&]() -> zring::task<void> {
        REQUIRE(pull->waiting_to_receive() == 3);
        REQUIRE(push->waiting_to_send() == 1);
        co_await armed(2);
        pull.reset();
        push.reset();
    };
    zring_test::run(s, zring::when_all(waiter(pull->recv()), waiter(pull->recv_multipart(5s)), waiter(push->send("x")),
                                       waiter(pull->wait(ZMQ_POLLIN)), destroyer()));
    REQUIRE(errors.size() == 4);
    std::sort(errors.begin(), errors.end());  // in the order the waiters resumed: PULL's, then PUSH's
    for (int i = 0; i < 3; ++i)
        CHECK_THAT(errors[i],
                   Catch::Contains("zring::socket(PULL inproc://dies-") && Catch::Contains("socket is closed"));
    CHECK_THAT(errors[3], Catch::Contains("zring::socket(PUSH inproc://dies-push") && Catch::Contains("::send"));
}

TEST_CASE("a waiter that was cancelled reports it after its socket is gone", "[zmq][lifetime]") {
    zmq::context_t ctx;
    zring::scheduler s;
    auto pull = std::make_unique<zring::socket>(s, ctx, zmq::socket_type::pull);
    pull->bind(unique_inproc("gone"));
    std::stop_source stop;
    std::string error;
    auto waiter = [&]() -> zring::task<void> {
        try {
            co_await pull->recv(stop.get_token());
        } catch (const zring::operation_cancelled& e) {
            error = e.what();
        }
    };
    auto destroyer = [&]() -> zring::task<void> {
        REQUIRE(pull->waiting_to_receive() == 1);
        co_await armed(1);
        // The cancelled waiter resumes through the ready queue, after this.
        stop.request_stop();
        pull.reset();
    };
    zring_test::run(s, zring::when_all(waiter(), destroyer()));
    CHECK_THAT(error, Catch::Contains("zring::socket(PULL inproc://gone") && Catch::Contains("cancelled"));
}

TEST_CASE("destroying a monitor ends a pending next() with socket_closed", "[zmq][lifetime][monitor]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket target(s, ctx, zmq::socket_type::pull);
    auto m = std::make_unique<zring::monitor>(target, ZMQ_EVENT_ACCEPTED);
    auto waiter = [&]() -> zring::task<bool> {
        co_return co_await zring_test::throws<zring::socket_closed>(m->next());
    };
    auto [closed, unused] = zring_test::run(s, zring::when_all(waiter(), destroy_soon(m)));
    CHECK(closed);
}

TEST_CASE("a monitor outliving its target is destroyed safely", "[zmq][lifetime][monitor]") {
    zmq::context_t ctx;
    zring::scheduler s;
    auto target = std::make_unique<zring::socket>(s, ctx, zmq::socket_type::pull);
    zring::monitor m(*target, ZMQ_EVENT_ALL);
    target.reset();  // the monitor must not touch it again
}

TEST_CASE("destroying an authenticator ends its run() quietly", "[zmq][lifetime][security]") {
    zmq::context_t ctx;
    zring::scheduler s;
    auto auth = std::make_unique<zring::authenticator>(s, ctx);
    zring_test::run(s, zring::when_all(auth->run(), destroy_soon(auth)));
    CHECK_FALSE(auth);
}

TEST_CASE("destroying a stream with a running receive loop and a pending flush", "[zmq][lifetime][stream]") {
    zmq::context_t ctx;
    zring::scheduler s;
    auto st = std::make_unique<zring::stream>(std::make_unique<zring::socket>(s, ctx, zmq::socket_type::dealer));
    st->get_socket().bind(unique_inproc("stream-dies"));  // no peer: sends wait
    int received = 0;
    st->on_recv([&](zring::stream::message&) { ++received; });
    st->send("unsent");
    auto flusher = [&]() -> zring::task<void> { co_await st->flush(); };
    zring_test::run(s, zring::when_all(flusher(), destroy_soon(st)));
    CHECK(received == 0);
}

TEST_CASE("destroying a poller resumes its pending poll with object_destroyed", "[zmq][lifetime][poller]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::socket pull(s, ctx, zmq::socket_type::pull);
    pull.bind(unique_inproc("poller-dies"));
    auto p = std::make_unique<zring::poller>();
    p->add(pull, ZMQ_POLLIN);
    auto waiter = [&]() -> zring::task<bool> {
        co_return co_await zring_test::throws<zring::object_destroyed>(p->poll());
    };
    auto [destroyed, unused] = zring_test::run(s, zring::when_all(waiter(), destroy_soon(p)));
    CHECK(destroyed);
}

TEST_CASE("a poller whose registered socket was destroyed throws socket_closed naming it", "[zmq][lifetime][poller]") {
    zmq::context_t ctx;
    zring::scheduler s;
    zring::poller p;
    auto pull = std::make_unique<zring::socket>(s, ctx, zmq::socket_type::pull);
    pull->bind(unique_inproc("registered"));
    p.add(*pull, ZMQ_POLLIN);
    std::string error;
    auto waiter = [&]() -> zring::task<void> {
        try {
            co_await p.poll();
        } catch (const zring::socket_closed& e) {
            error = e.what();
        }
    };
    zring_test::run(s, zring::when_all(waiter(), destroy_soon(pull)));
    CHECK_THAT(error, Catch::Contains("PULL inproc://registered"));
    error.clear();
    zring_test::run(s, waiter());  // and again, now that it is gone before the poll
    CHECK_THAT(error, Catch::Contains("zring::poller::poll") && Catch::Contains("PULL inproc://registered"));
}

TEST_CASE("a proxy whose socket is destroyed ends with socket_closed", "[zmq][lifetime][proxy]") {
    zmq::context_t ctx;
    zring::scheduler s;
    auto frontend = std::make_unique<zring::socket>(s, ctx, zmq::socket_type::pull);
    zring::socket backend(s, ctx, zmq::socket_type::push);
    frontend->bind(unique_inproc("proxy-front"));
    backend.bind(unique_inproc("proxy-back"));
    auto proxied = [&]() -> zring::task<bool> {
        co_return co_await zring_test::throws<zring::socket_closed>(zring::proxy(*frontend, backend));
    };
    auto [closed, unused] = zring_test::run(s, zring::when_all(proxied(), destroy_soon(frontend)));
    CHECK(closed);
}
