#include <zring/coro/sync_wait.hpp>
#include <zring/coro/task.hpp>

#include <catch2/catch.hpp>

#include <pthread.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

// Symmetric transfer keeps the stack flat only where the compiler turns the
// resumption into a tail call: g++ does at -O2, not at -O0/-O1 nor under
// ASan/TSan. Release builds run the deep chains on an ordinary 8 MiB stack,
// which proves the property; other builds check the results on a huge one.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || !defined(__OPTIMIZE__)
constexpr std::size_t chain_stack_size = std::size_t{16} << 30;
#else
constexpr std::size_t chain_stack_size = std::size_t{8} << 20;
#endif

template <class F>
auto on_stack_of(std::size_t size, F fn) {
    using R = decltype(fn());
    struct context {
        F fn;
        R result{};
    } ctx{std::move(fn)};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, size);
    pthread_t thread;
    const int rc = pthread_create(
        &thread, &attr,
        [](void* p) -> void* {
            auto* c = static_cast<context*>(p);
            c->result = c->fn();
            return nullptr;
        },
        &ctx);
    pthread_attr_destroy(&attr);
    if (rc != 0) throw std::runtime_error("pthread_create failed");
    pthread_join(thread, nullptr);
    return ctx.result;
}

zring::task<int> answer() { co_return 42; }

zring::task<int> add_one(int depth) {
    if (depth == 0) co_return 0;
    co_return co_await add_one(depth - 1) + 1;
}

zring::task<void> completes_synchronously() { co_return; }

struct lifetime_probe {
    int* destroyed;
    ~lifetime_probe() { ++*destroyed; }
};

zring::task<void> holds_probe(lifetime_probe) { co_return; }

zring::task<int> throws_at(int depth) {
    if (depth == 0) throw std::runtime_error("deep failure");
    co_return co_await throws_at(depth - 1);
}

}  // namespace

TEST_CASE("a task does not start until it is awaited", "[coro][task]") {
    bool started = false;
    auto body = [&]() -> zring::task<int> {
        started = true;
        co_return 7;
    };
    auto t = body();
    CHECK_FALSE(started);
    CHECK(zring::sync_wait(std::move(t)) == 7);
    CHECK(started);
}

TEST_CASE("a task returns its value to the awaiting task", "[coro][task]") {
    auto outer = []() -> zring::task<int> { co_return co_await answer() * 2; };
    CHECK(zring::sync_wait(outer()) == 84);
}

TEST_CASE("a task of reference type yields the referenced object", "[coro][task]") {
    int value = 1;
    auto ref = [&]() -> zring::task<int&> { co_return value; };
    auto outer = [&]() -> zring::task<void> {
        int& r = co_await ref();
        r = 5;
    };
    zring::sync_wait(outer());
    CHECK(value == 5);
    // What converts to int& (std::ref) is kept as the object it names.
    auto wrapped = [&]() -> zring::task<int&> { co_return std::ref(value); };
    CHECK(&zring::sync_wait(wrapped()) == &value);
}

TEST_CASE("a task moves its move-only result out", "[coro][task]") {
    auto make = []() -> zring::task<std::unique_ptr<std::string>> { co_return std::make_unique<std::string>("moved"); };
    auto p = zring::sync_wait(make());
    REQUIRE(p);
    CHECK(*p == "moved");
}

TEST_CASE("exceptions propagate through nested tasks to the awaiter", "[coro][task]") {
    auto outer = []() -> zring::task<int> { co_return co_await throws_at(50); };
    CHECK_THROWS_WITH(zring::sync_wait(outer()), "deep failure");
}

TEST_CASE("a chain of 1,000,000 synchronously completing awaits runs in constant stack", "[coro][task]") {
    auto loop = []() -> zring::task<int> {
        int n = 0;
        for (int i = 0; i < 1'000'000; ++i) {
            co_await completes_synchronously();
            ++n;
        }
        co_return n;
    };
    CHECK(on_stack_of(chain_stack_size, [&] { return zring::sync_wait(loop()); }) == 1'000'000);
}

TEST_CASE("a 1,000,000-deep recursive await chain does not overflow the stack", "[coro][task]") {
    CHECK(on_stack_of(chain_stack_size, [] { return zring::sync_wait(add_one(1'000'000)); }) == 1'000'000);
}

TEST_CASE("destroying an unstarted task frees its frame", "[coro][task]") {
    int destroyed = 0;
    {
        auto t = holds_probe(lifetime_probe{&destroyed});
        CHECK(destroyed == 1);  // the temporary argument
    }
    CHECK(destroyed == 2);  // the frame's copy
}

TEST_CASE("awaiting an empty task throws logic_error", "[coro][task]") {
    auto outer = []() -> zring::task<void> {
        zring::task<int> empty;
        co_await std::move(empty);
    };
    CHECK_THROWS_AS(zring::sync_wait(outer()), std::logic_error);
}

TEST_CASE("a task inherits the stop token of the task awaiting it", "[coro][task][cancel]") {
    std::stop_source source;
    auto inner = []() -> zring::task<bool> {
        auto token = co_await zring::get_stop_token();
        co_return token.stop_requested();
    };
    auto outer = [&]() -> zring::task<bool> { co_return co_await inner(); };
    source.request_stop();
    CHECK(zring::sync_wait(outer().with_stop_token(source.get_token())));
}
