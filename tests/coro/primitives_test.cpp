#include <zring/coro/channel.hpp>
#include <zring/coro/event.hpp>
#include <zring/coro/mutex.hpp>
#include <zring/coro/sync_wait.hpp>
#include <zring/coro/task.hpp>
#include <zring/coro/when_all.hpp>

#include <catch2/catch.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

TEST_CASE("an event releases its waiters in order when set", "[coro][event]") {
    zring::event e;
    std::vector<int> order;
    auto waiter = [&](int id) -> zring::task<void> {
        co_await e;
        order.push_back(id);
    };
    auto setter = [&]() -> zring::task<void> {
        CHECK(order.empty());
        e.set();
        co_return;
    };
    zring::sync_wait(zring::when_all(waiter(1), waiter(2), waiter(3), setter()));
    CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("a set event does not suspend its waiters until reset", "[coro][event]") {
    zring::event e(true);
    auto t = [&]() -> zring::task<bool> {
        co_await e;
        co_return e.is_set();
    };
    CHECK(zring::sync_wait(t()));
    e.reset();
    CHECK_FALSE(e.is_set());
}

TEST_CASE("a cancelled event wait throws operation_cancelled and leaves the event usable", "[coro][event][cancel]") {
    zring::event e;
    std::stop_source source;
    auto waiter = [&]() -> zring::task<void> { co_await e.wait(source.get_token()); };
    auto canceller = [&]() -> zring::task<void> {
        source.request_stop();
        co_return;
    };
    CHECK_THROWS_AS(zring::sync_wait(zring::when_all(waiter(), canceller())), zring::operation_cancelled);
    e.set();
    auto waits_again = [&]() -> zring::task<bool> {
        co_await e;
        co_return true;
    };
    CHECK(zring::sync_wait(waits_again()));
}

TEST_CASE("a mutex admits one holder at a time, in FIFO order", "[coro][mutex]") {
    zring::mutex m;
    zring::event step;
    std::vector<std::string> log;
    auto worker = [&](std::string name) -> zring::task<void> {
        auto guard = co_await m.scoped_lock();
        log.push_back(name + " in");
        co_await step;  // hold the lock across a suspension
        log.push_back(name + " out");
    };
    auto driver = [&]() -> zring::task<void> {
        step.set();
        co_return;
    };
    zring::sync_wait(zring::when_all(worker("a"), worker("b"), driver()));
    CHECK(log == std::vector<std::string>{"a in", "a out", "b in", "b out"});
    CHECK(m.try_lock());
    m.unlock();
}

TEST_CASE("a cancelled lock wait does not take the mutex", "[coro][mutex][cancel]") {
    zring::mutex m;
    REQUIRE(m.try_lock());
    std::stop_source source;
    auto waiter = [&]() -> zring::task<void> { co_await m.lock(source.get_token()); };
    auto canceller = [&]() -> zring::task<void> {
        source.request_stop();
        co_return;
    };
    CHECK_THROWS_AS(zring::sync_wait(zring::when_all(waiter(), canceller())), zring::operation_cancelled);
    m.unlock();
    CHECK(m.try_lock());
}

TEST_CASE("a channel rejects zero capacity", "[coro][channel]") {
    CHECK_THROWS_AS(zring::channel<int>(0), std::invalid_argument);
}

TEST_CASE("a channel delivers values in order and suspends senders when full", "[coro][channel]") {
    zring::channel<int> ch(2);
    std::vector<int> received;
    int sent = 0;
    auto producer = [&]() -> zring::task<void> {
        for (int i = 0; i < 10; ++i) {
            co_await ch.send(i);
            ++sent;
            CHECK(ch.size() <= ch.capacity());
        }
        ch.close();
    };
    auto consumer = [&]() -> zring::task<void> {
        // The producer filled the channel and is suspended on its third send.
        CHECK(sent == 2);
        for (;;) {
            auto v = co_await ch.recv();
            if (!v) break;
            received.push_back(*v);
        }
    };
    zring::sync_wait(zring::when_all(producer(), consumer()));
    CHECK(received == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

namespace {

// A value whose move may throw, as zmq::multipart_t's may: the move after
// moves_left more throws.
struct fragile {
    static inline int moves_left = -1;  // -1: every move succeeds
    std::string text;
    explicit fragile(std::string t) : text(std::move(t)) {}
    fragile(fragile&& other) : text(other.text) {
        if (moves_left == 0) throw std::runtime_error("move refused");
        if (moves_left > 0) --moves_left;
        other.text.clear();
    }
    fragile& operator=(fragile&& other) {
        if (moves_left == 0) throw std::runtime_error("move refused");
        if (moves_left > 0) --moves_left;
        text = std::move(other.text);
        return *this;
    }
    fragile(const fragile&) = delete;
    fragile& operator=(const fragile&) = delete;
};

}  // namespace

TEST_CASE("a channel whose values' moves throw loses no value and leaves no waiter behind", "[coro][channel]") {
    // The channel is full and a sender waits. A receive moves the sender's
    // value in, then the front value out: either move may throw.
    for (const int moves_before_the_throw : {0, 1}) {
        INFO("moves before the throw: " << moves_before_the_throw);
        zring::channel<fragile> ch(1);
        fragile first("first");
        REQUIRE(ch.try_send(first));
        bool sender_done = false;
        bool threw = false;
        bool sender_done_after_throw = false;
        std::vector<std::string> received;
        auto sender = [&]() -> zring::task<void> {
            co_await ch.send(fragile("second"));
            sender_done = true;
        };
        auto receiver = [&]() -> zring::task<void> {  // runs once the sender waits
            fragile::moves_left = moves_before_the_throw;
            try {
                (void)ch.try_recv();
            } catch (const std::runtime_error&) {
                threw = true;
            }
            fragile::moves_left = -1;
            // Its value went in (the second move threw): it was woken; or
            // nothing changed (the first threw): it still waits.
            sender_done_after_throw = sender_done;
            while (received.size() < 2) received.push_back((co_await ch.recv())->text);
        };
        zring::sync_wait(zring::when_all(sender(), receiver()));
        CHECK(threw);
        CHECK(sender_done_after_throw == (moves_before_the_throw == 1));
        CHECK(sender_done);
        CHECK(received == std::vector<std::string>{"first", "second"});
    }

    // A receiver waits: a send whose move into it throws leaves it waiting.
    zring::channel<fragile> ch(1);
    std::string got;
    auto receiver = [&]() -> zring::task<void> { got = (co_await ch.recv())->text; };
    auto sender = [&]() -> zring::task<void> {  // runs once the receiver waits
        fragile value("value");
        fragile::moves_left = 0;
        bool threw = false;
        try {
            (void)ch.try_send(value);
        } catch (const std::runtime_error&) {
            threw = true;
        }
        fragile::moves_left = -1;
        CHECK(threw);
        CHECK(got.empty());
        CHECK(ch.try_send(value));  // the receiver was still waiting
        co_return;
    };
    zring::sync_wait(zring::when_all(receiver(), sender()));
    CHECK(got == "value");
}

TEST_CASE("closing a channel wakes its waiters", "[coro][channel]") {
    zring::channel<std::string> full(1), empty(1);
    REQUIRE(full.try_recv() == std::nullopt);
    std::string first = "first";
    REQUIRE(full.try_send(first));
    bool sender_saw_close = false;
    std::optional<std::string> receiver_got = "unset";
    auto sender = [&]() -> zring::task<void> {
        try {
            co_await full.send("second");
        } catch (const zring::channel_closed&) {
            sender_saw_close = true;
        }
    };
    auto receiver = [&]() -> zring::task<void> { receiver_got = co_await empty.recv(); };
    auto closer = [&]() -> zring::task<void> {
        full.close();
        empty.close();
        co_return;
    };
    zring::sync_wait(zring::when_all(sender(), receiver(), closer()));
    CHECK(sender_saw_close);
    CHECK(receiver_got == std::nullopt);
    // What was sent before the close is still received.
    CHECK(full.try_recv() == std::optional<std::string>("first"));
    CHECK_THROWS_AS(zring::sync_wait(full.send("late")), zring::channel_closed);
}

TEST_CASE("a cancelled channel recv consumes nothing", "[coro][channel][cancel]") {
    zring::channel<int> ch(1);
    std::stop_source source;
    auto receiver = [&]() -> zring::task<void> { co_await ch.recv(source.get_token()); };
    auto canceller = [&]() -> zring::task<void> {
        source.request_stop();
        int v = 5;
        CHECK(ch.try_send(v));
        co_return;
    };
    CHECK_THROWS_AS(zring::sync_wait(zring::when_all(receiver(), canceller())), zring::operation_cancelled);
    CHECK(ch.try_recv() == std::optional<int>(5));
}
