// Every primitive's wait hears both its own token and the ambient one. The
// primitives resume waiters inline, so each scenario must finish by the time
// its coroutine first returns control: a wait that missed the stop would be
// left suspended, and the test sees it at once instead of hanging.

#include <zring/coro/channel.hpp>
#include <zring/coro/event.hpp>
#include <zring/coro/mutex.hpp>
#include <zring/coro/task.hpp>
#include <zring/coro/task_group.hpp>
#include <zring/coro/when_all.hpp>
#include <zring/coro/when_any.hpp>

#include <catch2/catch.hpp>

#include <functional>
#include <stop_token>

namespace {

using blocking_operation = std::function<zring::task<void>(std::stop_token)>;

zring::task<void> finished() { co_return; }

// Runs t until it first suspends; true if it finished by then.
template <class T>
bool finishes_inline(zring::task<T>& t) {
    t.handle().resume();
    return t.done();
}

// Free functions rather than capturing lambdas: the frames hold what they use.
zring::task<std::size_t> raced(const blocking_operation& op, std::stop_token own) {
    co_return (co_await zring::when_any(op(std::move(own)), finished())).index();
}

zring::task<std::size_t> raced_bound(const blocking_operation& op, std::stop_token bound) {
    co_return (co_await zring::when_any(op({}).with_stop_token(std::move(bound)), finished())).index();
}

zring::task<void> grouped(const blocking_operation& op, std::stop_token own) {
    // Named first: g++ 12 destroys a lambda temporary inside co_await twice.
    auto body = [&op, own](zring::task_group& group) -> zring::task<void> {
        group.spawn(op({}));
        group.spawn(op(own));
        group.request_stop();
        co_return;
    };
    co_await zring::with_task_group(body);
}

zring::task<void> stop_source_now(std::stop_source& source) {
    source.request_stop();
    co_return;
}

zring::task<void> own_token_only(const blocking_operation& op, std::stop_source& mine) {
    co_await zring::when_all(op(mine.get_token()), stop_source_now(mine));
}

void check_composes(const blocking_operation& op) {
    std::stop_source never;  // can stop, never does
    {
        INFO("inside when_any, no token of its own");
        auto t = raced(op, {});
        REQUIRE(finishes_inline(t));
        CHECK(t.handle().promise().result() == 1);
    }
    {
        INFO("inside when_any, with a token of its own");
        auto t = raced(op, never.get_token());
        REQUIRE(finishes_inline(t));
        CHECK(t.handle().promise().result() == 1);
    }
    {
        INFO("inside a stopped task_group, with and without a token of its own");
        auto t = grouped(op, never.get_token());
        REQUIRE(finishes_inline(t));
        CHECK_NOTHROW(t.handle().promise().result());
    }
    {
        INFO("a task bound to a token with with_stop_token still hears when_any");
        auto t = raced_bound(op, never.get_token());
        REQUIRE(finishes_inline(t));
        CHECK(t.handle().promise().result() == 1);
    }
    {
        INFO("through its own token alone");
        std::stop_source mine;
        auto t = own_token_only(op, mine);
        REQUIRE(finishes_inline(t));
        CHECK_THROWS_AS(t.handle().promise().result(), zring::operation_cancelled);
    }
}

}  // namespace

TEST_CASE("an event wait hears its own token and the ambient one", "[coro][event][cancel]") {
    zring::event e;
    check_composes([&](std::stop_token t) -> zring::task<void> { co_await e.wait(std::move(t)); });
}

TEST_CASE("a mutex lock hears its own token and the ambient one", "[coro][mutex][cancel]") {
    zring::mutex m;
    REQUIRE(m.try_lock());
    check_composes([&](std::stop_token t) -> zring::task<void> { co_await m.lock(std::move(t)); });
}

TEST_CASE("a channel send and recv hear their own token and the ambient one", "[coro][channel][cancel]") {
    zring::channel<int> empty(1);
    check_composes([&](std::stop_token t) -> zring::task<void> { co_await empty.recv(std::move(t)); });
    zring::channel<int> full(1);
    int one = 1;
    REQUIRE(full.try_send(one));
    check_composes([&](std::stop_token t) -> zring::task<void> { co_await full.send(2, std::move(t)); });
    CHECK(full.size() == 1);  // the cancelled sends put nothing in
}

namespace {
zring::task<void> wait_on(zring::event& e, std::stop_token own) { co_await e.wait(std::move(own)); }

zring::task<void> group_waiting_on(zring::event& e, std::stop_token own) {
    auto body = [&e, own](zring::task_group& group) -> zring::task<void> {
        group.spawn(wait_on(e, own));
        co_return;
    };
    co_await zring::with_task_group(body);
}

zring::task<void> all_waiting_on(zring::event& e) { co_await zring::when_all(e.wait(), e.wait()); }
zring::task<void> any_waiting_on(zring::event& e) { co_await zring::when_any(e.wait(), e.wait()); }
}  // namespace

TEST_CASE("nested task_group, when_all and when_any hear the ambient token", "[coro][task_group][cancel]") {
    zring::event never_set;
    check_composes([&](std::stop_token t) { return group_waiting_on(never_set, std::move(t)); });
    // The waits inside hear only the ambient token: the combinator's.
    check_composes([&](std::stop_token t) { return all_waiting_on(never_set).with_stop_token(std::move(t)); });
    check_composes([&](std::stop_token t) { return any_waiting_on(never_set).with_stop_token(std::move(t)); });
}

TEST_CASE("destroying an event, a mutex or a channel resumes their waiters with object_destroyed", "[coro][lifetime]") {
    auto e = std::make_unique<zring::event>();
    auto m = std::make_unique<zring::mutex>();
    REQUIRE(m->try_lock());
    auto c = std::make_unique<zring::channel<int>>(1);
    int destroyed = 0;
    auto waiter = [&](auto awaitable) -> zring::task<void> {
        try {
            co_await std::move(awaitable);
        } catch (const zring::object_destroyed& ex) {
            CHECK_THAT(ex.what(), Catch::Contains("destroyed while the operation waited"));
            ++destroyed;
        }
    };
    auto destroyer = [&]() -> zring::task<void> {
        e.reset();
        m.reset();
        c.reset();
        co_return;
    };
    auto all = zring::when_all(waiter(e->wait()), waiter(m->lock()), waiter(c->recv()), destroyer());
    auto driver = [&]() -> zring::task<void> { co_await std::move(all); };
    auto d = driver();
    REQUIRE(finishes_inline(d));
    CHECK(destroyed == 3);
}
