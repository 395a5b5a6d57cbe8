// Channels under memory pressure: a value that cannot be stored for lack of
// memory fails its operation with std::bad_alloc and changes nothing. No
// value is lost and no waiter is left behind. Runs in the executable that
// makes operator new fail on demand (allocation_counter.cpp).
#include "allocation_counter.hpp"
#include "bounded_run.hpp"

#include <zring/coro/channel.hpp>
#include <zring/io/scheduler.hpp>
#include <zring/io/shared_channel.hpp>
#include <zring/io/spawn.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <new>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

// How many values a std::deque<std::string> filled by push_back holds when
// the next one needs a new block. Channels hold their values in one, so a
// channel filled to this many must allocate to take in one more.
std::size_t values_before_a_new_block() {
    std::deque<std::string> d;
    for (std::size_t i = 0;; ++i) {
        const std::size_t before = zring_test::allocations_on_this_thread();
        d.emplace_back();
        if (i > 0 && zring_test::allocations_on_this_thread() != before) return i;
    }
}

std::vector<std::string> numbered(std::size_t n) {
    std::vector<std::string> values;
    for (std::size_t i = 0; i < n; ++i) values.push_back("value " + std::to_string(i));
    return values;
}

struct outcome {
    bool threw = false;
    std::size_t refused = 0;
    std::vector<std::string> received;
    bool sender_finished = false;
};

// A full channel and a sender waiting: the receive that would let the sender
// in cannot allocate. Afterwards every value, the sender's last, still
// arrives, and the sender finishes. The sender is spawned, not awaited: a
// sender the channel let go of without waking could not even be cancelled,
// and the bounded run would wait for it forever.
template <class Channel>
outcome receive_without_memory() {
    const std::size_t n = values_before_a_new_block();
    Channel ch(n);
    for (auto value : numbered(n)) REQUIRE(ch.try_send(value));
    zring::scheduler s;
    outcome o;
    bool sending = false;
    auto sender = [&]() -> zring::task<void> {
        sending = true;  // and suspended in send, the channel being full, before anything else runs
        co_await ch.send("the waiting sender's");
        o.sender_finished = true;
    };
    zring::spawn(s, sender());
    auto receiver = [&]() -> zring::task<void> {
        while (!sending) co_await s.yield();
        {
            zring_test::failing_allocations no_memory;
            try {
                (void)ch.try_recv();
            } catch (const std::bad_alloc&) {
                o.threw = true;
            }
            o.refused = no_memory.refused();
        }
        while (o.received.size() < n + 1) o.received.push_back(*co_await ch.recv());
        while (!o.sender_finished) co_await s.yield();  // a shared channel's sender resumes on a later turn
    };
    zring_test::run(s, receiver(), 5s);
    return o;
}

// A channel with one free slot that needs a new block: try_send cannot
// allocate, and keeps the value.
template <class Channel>
void send_without_memory() {
    const std::size_t n = values_before_a_new_block();
    Channel ch(n + 1);
    for (auto value : numbered(n)) REQUIRE(ch.try_send(value));
    std::string extra = "extra";
    bool threw = false;
    std::size_t refused = 0;
    {
        zring_test::failing_allocations no_memory;
        try {
            (void)ch.try_send(extra);
        } catch (const std::bad_alloc&) {
            threw = true;
        }
        refused = no_memory.refused();
    }
    CHECK(threw);
    CHECK(refused == 1);
    CHECK(extra == "extra");
    CHECK(ch.size() == n);
    REQUIRE(ch.try_send(extra));  // memory again: it goes in, behind the others
    std::vector<std::string> received;
    while (auto v = ch.try_recv()) received.push_back(std::move(*v));
    auto expected = numbered(n);
    expected.push_back("extra");
    CHECK(received == expected);
}

void check_received(const outcome& o) {
    CHECK(o.threw);
    CHECK(o.refused == 1);
    CHECK(o.sender_finished);
    auto expected = numbered(o.received.size() - 1);
    expected.push_back("the waiting sender's");
    CHECK(o.received == expected);
}

}  // namespace

TEST_CASE("a channel that cannot allocate loses no value and leaves no sender waiting", "[coro][channel][alloc]") {
    check_received(receive_without_memory<zring::channel<std::string>>());
    send_without_memory<zring::channel<std::string>>();
}

TEST_CASE("a shared channel that cannot allocate loses no value and leaves no sender waiting",
          "[io][channel][alloc]") {
    check_received(receive_without_memory<zring::shared_channel<std::string>>());
    send_without_memory<zring::shared_channel<std::string>>();
}
