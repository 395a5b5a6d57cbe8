#include <zring/coro/sync_wait.hpp>
#include <zring/coro/task.hpp>

#include <catch2/catch.hpp>

#include <coroutine>
#include <thread>

namespace {

// Resumes the awaiting coroutine on a new thread.
struct resume_on_new_thread {
    std::thread& thread;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        thread = std::thread([h] { h.resume(); });
    }
    void await_resume() const noexcept {}
};

}  // namespace

TEST_CASE("sync_wait blocks until another thread completes the awaitable", "[coro][threads]") {
    std::thread resumer;
    auto hop = [&]() -> zring::task<std::thread::id> {
        co_await resume_on_new_thread{resumer};
        co_return std::this_thread::get_id();
    };
    const auto finished_on = zring::sync_wait(hop());
    resumer.join();
    CHECK(finished_on != std::this_thread::get_id());
}

TEST_CASE("sync_wait returns references to the awaited object", "[coro]") {
    int x = 1;
    auto t = [&]() -> zring::task<int&> { co_return x; };
    int& r = zring::sync_wait(t());
    CHECK(&r == &x);
}

TEST_CASE("sync_wait rethrows the awaitable's exception", "[coro]") {
    auto t = []() -> zring::task<void> {
        throw std::out_of_range("bad index");
        co_return;
    };
    CHECK_THROWS_AS(zring::sync_wait(t()), std::out_of_range);
}
