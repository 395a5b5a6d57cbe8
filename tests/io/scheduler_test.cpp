#include "bounded_run.hpp"
#include "skip.hpp"

#include <zring/coro/when_all.hpp>
#include <zring/io/errors.hpp>
#include <zring/io/scheduler.hpp>
#include <zring/io/spawn.hpp>
#include <zring/io/timer.hpp>

#include <catch2/catch.hpp>

#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

TEST_CASE("run(task) returns the task's result", "[io][scheduler]") {
    zring::scheduler s;
    auto t = []() -> zring::task<std::string> { co_return "done"; };
    CHECK(zring_test::run(s, t()) == "done");
}

TEST_CASE("run(task) rethrows the task's exception", "[io][scheduler]") {
    zring::scheduler s;
    auto t = []() -> zring::task<void> {
        throw std::domain_error("task failed");
        co_return;
    };
    CHECK_THROWS_AS(zring_test::run(s, t()), std::domain_error);
}

TEST_CASE("call_soon runs callbacks in FIFO order and never inside the caller", "[io][scheduler]") {
    zring::scheduler s;
    std::vector<int> order;
    for (int i = 0; i < 5; ++i) {
        s.call_soon([&, i] { order.push_back(i); });
        CHECK(order.empty());
    }
    s.call_soon([&] { s.stop(); });
    s.run();
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("callbacks queued during a turn run on the next turn", "[io][scheduler]") {
    zring::scheduler s;
    std::vector<std::string> log;
    s.call_soon([&] {
        log.push_back("a");
        s.call_soon([&] {
            log.push_back("c");
            s.stop();
        });
    });
    s.call_soon([&] { log.push_back("b"); });
    s.run();
    CHECK(log == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("callbacks queuing more while they run keep FIFO order across thousands of them", "[io][scheduler]") {
    // Callbacks run in place in blocks of the ready queue; these queue work
    // from inside themselves while the head and the tail cross block
    // boundaries, in several bursts (the queue empties between them).
    zring::scheduler s;
    std::vector<int> order;
    constexpr int wave = 700, last = 5'000;
    std::function<void(int)> step = [&](int id) {
        order.push_back(id);
        if (id + wave <= last) s.call_soon([&step, next = id + wave] { step(next); });
        if (id == last) s.stop();
    };
    for (int burst = 0; burst < 3; ++burst) {
        order.clear();
        for (int id = 0; id < wave; ++id) s.call_soon([&step, id] { step(id); });
        s.run();
        std::vector<int> expected(last + 1);
        for (int i = 0; i <= last; ++i) expected[static_cast<std::size_t>(i)] = i;
        CHECK(order == expected);
    }
}

TEST_CASE("call_soon keeps large callables intact", "[io][scheduler]") {
    zring::scheduler s;
    std::vector<int> big(1000, 7);
    long sum = 0;
    std::string text(200, 'x');
    s.call_soon([big, text, &sum, &s] {
        for (int v : big) sum += v;
        sum += static_cast<long>(text.size());
        s.stop();
    });
    s.run();
    CHECK(sum == 7200);
}

TEST_CASE("call_soon_threadsafe from 4 threads runs 400,000 posts exactly once each", "[io][scheduler][threads]") {
    zring::scheduler s;
    constexpr int threads = 4, posts = 100'000;
    std::vector<std::vector<int>> seen(threads, std::vector<int>(posts, 0));
    int total = 0;
    std::vector<std::thread> posters;
    for (int t = 0; t < threads; ++t) {
        posters.emplace_back([&, t] {
            for (int i = 0; i < posts; ++i)
                s.call_soon_threadsafe([&, t, i] {
                    ++seen[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)];
                    if (++total == threads * posts) s.stop();
                });
        });
    }
    s.run();
    for (auto& p : posters) p.join();
    CHECK(total == threads * posts);
    bool all_once = true;
    for (auto& row : seen)
        for (int n : row) all_once = all_once && n == 1;
    CHECK(all_once);
}

namespace {

// The system call thread `tid` of this process is blocked in, from
// /proc/self/task/TID/syscall: its number, or -1 while it runs.
long blocked_in_syscall(pid_t tid) {
    std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/syscall");
    std::string first;
    f >> first;
    if (!f || first == "running") return -1;
    return std::stol(first);
}

bool waits_for_events(long call) {
    return call == SYS_io_uring_enter || call == SYS_epoll_pwait
#ifdef SYS_epoll_wait  // not on every architecture (aarch64 has only epoll_pwait)
           || call == SYS_epoll_wait
#endif
#ifdef SYS_epoll_pwait2
           || call == SYS_epoll_pwait2
#endif
        ;
}

}  // namespace

TEST_CASE("call_soon_threadsafe wakes a loop blocked in the kernel", "[io][scheduler][threads]") {
    zring::scheduler s;
    const pid_t loop_tid = static_cast<pid_t>(::syscall(SYS_gettid));
    if (!std::ifstream("/proc/self/task/" + std::to_string(loop_tid) + "/syscall")) {
        zring_test::skip("no /proc/self/task/TID/syscall here: a thread's wait cannot be seen");
        return;
    }
    std::atomic<bool> loop_started{false};
    long blocked_in = -1;
    s.call_soon([&] { loop_started = true; });
    std::thread poster([&] {
        // Until the loop, with nothing to do, sleeps in the kernel (bounded).
        const auto deadline = std::chrono::steady_clock::now() + zring_test::default_limit;
        while (std::chrono::steady_clock::now() < deadline) {
            if (loop_started) blocked_in = blocked_in_syscall(loop_tid);
            if (waits_for_events(blocked_in)) break;
            std::this_thread::yield();
        }
        s.call_soon_threadsafe([&] { s.stop(); });
    });
    s.run();
    poster.join();
    INFO("the loop thread's system call: " << blocked_in);
    CHECK(waits_for_events(blocked_in));  // the post reached a loop asleep in the kernel
}

TEST_CASE("running a scheduler from another thread is a clear error", "[io][scheduler][threads]") {
    zring::scheduler s;
    std::string message;
    std::thread other([&] {
        try {
            s.run();
        } catch (const std::logic_error& e) {
            message = e.what();
        }
    });
    other.join();
    CHECK_THAT(message, Catch::Contains("another thread"));
}

TEST_CASE("an exception escaping a callback goes to the exception handler", "[io][scheduler]") {
    zring::scheduler s;
    std::string reported;
    s.set_exception_handler([&](std::exception_ptr e) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            reported = ex.what();
        }
    });
    s.call_soon([] { throw std::runtime_error("callback failed"); });
    s.call_soon([&] { s.stop(); });
    s.run();
    CHECK(reported == "callback failed");
}

TEST_CASE("100,000 coroutines suspended at once all resume", "[io][scheduler]") {
    zring::scheduler s;
    constexpr int n = 100'000;
    int resumed = 0;
    auto sleeper = [&](int i) -> zring::task<void> {
        co_await zring::sleep_for(std::chrono::microseconds(i % 100));
        ++resumed;
    };
    auto all = [&]() -> zring::task<void> {
        std::vector<zring::task<void>> tasks;
        tasks.reserve(n);
        for (int i = 0; i < n; ++i) tasks.push_back(sleeper(i));
        co_await zring::when_all(std::move(tasks));
    };
    zring_test::run(s, all());
    CHECK(resumed == n);
}

TEST_CASE("yield lets other ready work run first", "[io][scheduler]") {
    zring::scheduler s;
    std::vector<std::string> log;
    auto t = [&]() -> zring::task<void> {
        s.call_soon([&] { log.push_back("callback"); });
        co_await s.yield();
        log.push_back("after yield");
    };
    zring_test::run(s, t());
    CHECK(log == std::vector<std::string>{"callback", "after yield"});
}

TEST_CASE("operations outside a running scheduler are a clear error", "[io][scheduler]") {
    CHECK_THROWS_WITH(zring::sleep_for(1ms), Catch::Contains("no zring::scheduler is running"));
}

TEST_CASE("a zero queue depth is rejected", "[io][scheduler]") {
    CHECK_THROWS_AS(zring::scheduler(zring::scheduler_options{0}), std::invalid_argument);
}

TEST_CASE("stop() during run(task) cancels the task, and run throws operation_cancelled", "[io][scheduler]") {
    zring::scheduler s;
    s.call_later(1ms, [&] { s.stop(); });
    auto forever = []() -> zring::task<int> {
        co_await zring::sleep_for(1h);
        co_return 1;
    };
    // Bounded by the stop itself: a regression would sleep for an hour, so
    // the test's own limit is the sleep's.
    CHECK_THROWS_AS(s.run(zring_test::within(forever(), zring_test::default_limit)), zring::operation_cancelled);
    // The stop was consumed: the scheduler runs the next task normally.
    CHECK(s.run([]() -> zring::task<int> { co_return 2; }()) == 2);
}

TEST_CASE("stop() during run(task) lets a task that handles the cancellation return its result",
          "[io][scheduler]") {
    zring::scheduler s;
    s.call_later(1ms, [&] { s.stop(); });
    // Bounded without within(): its timer would hear the stop too.
    auto graceful = []() -> zring::task<int> {
        try {
            co_await zring::sleep_for(zring_test::default_limit);
        } catch (const zring::operation_cancelled&) {
            co_return 7;  // the token stays stopped: a later await would be cancelled too
        }
        co_return 8;  // not cancelled
    };
    CHECK(s.run(graceful()) == 7);
}

TEST_CASE("stop() posted from another thread cancels run(task)", "[io][scheduler][threads]") {
    zring::scheduler s;
    std::thread other([&] { s.call_soon_threadsafe([&] { s.stop(); }); });
    auto forever = []() -> zring::task<void> { co_await zring::sleep_for(1h); };
    CHECK_THROWS_AS(s.run(zring_test::within(forever(), zring_test::default_limit)), zring::operation_cancelled);
    other.join();
}
