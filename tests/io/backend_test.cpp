// Choosing the backend (options, ZRING_BACKEND, automatic fallback) and the
// epoll backend's behaviour where io_uring is refused. Whatever changes the
// environment or installs a seccomp filter does so in a child process.

#include "bounded_run.hpp"
#include "in_child.hpp"
#include "skip.hpp"

#include <zring/io/errors.hpp>
#include <zring/io/poll.hpp>
#include <zring/io/scheduler.hpp>
#include <zring/io/timer.hpp>

#include <catch2/catch.hpp>

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

bool io_uring_allowed() {
    try {
        zring::scheduler s({.backend = zring::backend::io_uring});
        return true;
    } catch (const zring::io_uring_unavailable&) {
        return false;
    }
}

// The backend a default scheduler gets in a child whose ZRING_BACKEND is
// `value` (nullptr: unset); -1 if constructing it threw.
int backend_with_env(const char* value, zring::scheduler_options options = {}) {
    return zring_test::in_child_refusing({}, 0, [&] {
        if (value)
            ::setenv("ZRING_BACKEND", value, 1);
        else
            ::unsetenv("ZRING_BACKEND");
        try {
            zring::scheduler s(options);
            return static_cast<int>(s.backend());
        } catch (...) {
            return 99;
        }
    });
}

// Timers, a poll woken by another thread and a cross-thread post, on s.
// 0 if all of them worked, else the step that failed.
int exercise(zring::scheduler& s) {
    int fds[2];
    if (::pipe(fds) != 0) return 20;
    int posted = 0;
    std::jthread writer;
    auto body = [&]() -> zring::task<int> {
        const auto start = std::chrono::steady_clock::now();
        co_await zring::sleep_for(20ms);
        if (std::chrono::steady_clock::now() - start < 20ms) co_return 21;  // early
        writer = std::jthread([&] {
            s.call_soon_threadsafe([&] { ++posted; });
            const char byte = 'x';
            [[maybe_unused]] ssize_t n = ::write(fds[1], &byte, 1);
        });
        const unsigned events = co_await zring::poll(fds[0], POLLIN);
        if (!(events & POLLIN)) co_return 22;
        while (posted == 0) co_await s.yield();  // bounded by the run's limit
        co_return 0;
    };
    int result = 23;
    try {
        result = zring_test::run(s, body(), 10s);
    } catch (...) {
        result = 24;
    }
    if (writer.joinable()) writer.join();  // before its pipe is closed
    ::close(fds[0]);
    ::close(fds[1]);
    return result;
}

}  // namespace

TEST_CASE("a default scheduler runs io_uring, epoll where io_uring is refused, unless ZRING_BACKEND says otherwise",
          "[io][backend]") {
    if (!io_uring_allowed()) {
        zring_test::skip("io_uring is refused here: the cases that have it cannot be set up");
        return;
    }
    constexpr int io_uring = static_cast<int>(zring::backend::io_uring);
    constexpr int epoll = static_cast<int>(zring::backend::epoll);
    constexpr int threw = 99;
    struct expectation {
        const char* env;  // ZRING_BACKEND, nullptr: unset
        bool refused;     // io_uring's system calls refused (EPERM), as by a container
        int backend;
    };
    const std::vector<expectation> table{
        {nullptr, false, io_uring}, {nullptr, true, epoll},   {"auto", false, io_uring},
        {"auto", true, epoll},      {"epoll", false, epoll},  {"epoll", true, epoll},
        {"io_uring", false, io_uring}, {"io_uring", true, threw},
    };
    for (const expectation& e : table) {
        INFO("ZRING_BACKEND=" << (e.env ? e.env : "(unset)") << (e.refused ? ", io_uring refused" : ""));
        const int got = zring_test::in_child_refusing(e.refused ? zring_test::io_uring_syscalls : std::vector<long>{},
                                                      EPERM, [&] {
                                                          if (e.env)
                                                              ::setenv("ZRING_BACKEND", e.env, 1);
                                                          else
                                                              ::unsetenv("ZRING_BACKEND");
                                                          try {
                                                              zring::scheduler s;
                                                              return static_cast<int>(s.backend());
                                                          } catch (...) {
                                                              return threw;
                                                          }
                                                      });
        CHECK(got == e.backend);
    }
    zring::scheduler s({.backend = zring::backend::epoll});
    CHECK(zring::to_string(s.backend()) == "epoll");
    zring::scheduler u({.backend = zring::backend::io_uring});
    CHECK(zring::to_string(u.backend()) == "io_uring");
}

TEST_CASE("ZRING_BACKEND picks the backend of a scheduler left on automatic", "[io][backend]") {
    CHECK(backend_with_env("epoll") == static_cast<int>(zring::backend::epoll));
    const int automatic = backend_with_env("auto");
    CHECK(automatic == backend_with_env(nullptr));
    CHECK(automatic == backend_with_env(""));
    if (!io_uring_allowed()) {
        zring_test::skip("ZRING_BACKEND=io_uring: io_uring is refused here");
        return;
    }
    CHECK(automatic == static_cast<int>(zring::backend::io_uring));
    CHECK(backend_with_env("io_uring") == static_cast<int>(zring::backend::io_uring));
}

TEST_CASE("a zring built without liburing runs epoll and says why io_uring cannot be had", "[io][backend]") {
    CHECK(zring::has_backend(zring::backend::epoll));
    CHECK(zring::has_backend(zring::backend::automatic));
#ifdef ZRING_TEST_EPOLL_ONLY
    CHECK_FALSE(zring::has_backend(zring::backend::io_uring));
#else
    CHECK(zring::has_backend(zring::backend::io_uring));
#endif
    if (zring::has_backend(zring::backend::io_uring)) {
        zring_test::skip("this zring has io_uring: the epoll-only build (CI builds it once) checks the rest");
        return;
    }
    CHECK(backend_with_env(nullptr) == static_cast<int>(zring::backend::epoll));
    CHECK(backend_with_env("auto") == static_cast<int>(zring::backend::epoll));
    try {
        zring::scheduler s({.backend = zring::backend::io_uring});
        FAIL("a scheduler on io_uring was constructed by an epoll-only zring");
    } catch (const zring::io_uring_unavailable& e) {
        CHECK(e.code().value() == ENOSYS);
        CHECK_THAT(e.what(), Catch::Contains("built without liburing"));
    }
}

TEST_CASE("scheduler_options::backend is obeyed whatever ZRING_BACKEND says", "[io][backend]") {
    CHECK(backend_with_env("io_uring", {.backend = zring::backend::epoll}) == static_cast<int>(zring::backend::epoll));
    CHECK(backend_with_env("bogus", {.backend = zring::backend::epoll}) == static_cast<int>(zring::backend::epoll));
}

TEST_CASE("an unknown ZRING_BACKEND is an error naming the value and the choices", "[io][backend][errors]") {
    const int status = zring_test::in_child_refusing({}, 0, [] {
        ::setenv("ZRING_BACKEND", "uring", 1);
        try {
            zring::scheduler s;
            return 1;  // constructed: the value was ignored
        } catch (const std::invalid_argument& e) {
            const std::string what = e.what();
            return what.find("ZRING_BACKEND=uring") != std::string::npos &&
                           what.find("io_uring, epoll or auto") != std::string::npos
                       ? 0
                       : 2;
        }
    });
    CHECK(status == 0);
}

TEST_CASE("where io_uring is refused, an automatic scheduler falls back to epoll and runs timers, polls and posts",
          "[io][backend]") {
    struct refusal {
        std::vector<long> syscalls;
        int error;
    };
    const std::vector<refusal> refusals{
        {zring_test::io_uring_syscalls, EPERM},
        {zring_test::io_uring_syscalls, EACCES},
        {zring_test::io_uring_syscalls, ENOSYS},
        {{__NR_io_uring_enter}, EPERM},  // setting up a ring works, using it does not
    };
    for (const refusal& r : refusals) {
        INFO(r.syscalls.size() << " io_uring system call(s) refused with " << std::strerror(r.error));
        const int status = zring_test::in_child_refusing(r.syscalls, r.error, [] {
            ::unsetenv("ZRING_BACKEND");
            zring::scheduler s;
            if (s.backend() != zring::backend::epoll) return 1;
            return exercise(s);
        });
        CHECK(status == 0);
    }
}

TEST_CASE("forcing io_uring where it is refused throws io_uring_unavailable saying why", "[io][backend][errors]") {
    if (!zring::has_backend(zring::backend::io_uring)) {
        zring_test::skip("this zring was built without io_uring: it is never tried");
        return;
    }
    struct refusal {
        int error;
        const char* explanation;
    };
    for (const refusal r : {refusal{EPERM, "seccomp"}, refusal{ENOSYS, "no io_uring"}}) {
        INFO("io_uring refused with " << std::strerror(r.error));
        const int status = zring_test::in_child_refusing(zring_test::io_uring_syscalls, r.error, [&] {
            try {
                zring::scheduler s({.backend = zring::backend::io_uring});
                return 1;
            } catch (const zring::io_uring_unavailable& e) {
                if (e.code().value() != r.error) return 2;
                return std::string(e.what()).find(r.explanation) != std::string::npos ? 0 : 3;
            }
        });
        CHECK(status == 0);
    }
    // The same through the environment.
    const int status = zring_test::in_child_refusing(zring_test::io_uring_syscalls, EPERM, [] {
        ::setenv("ZRING_BACKEND", "io_uring", 1);
        try {
            zring::scheduler s;
            return 1;
        } catch (const zring::io_uring_unavailable&) {
            return 0;
        }
    });
    CHECK(status == 0);
}

TEST_CASE("without epoll_pwait2 the epoll backend times its waits with a timerfd", "[io][backend]") {
    std::vector<long> refused = zring_test::io_uring_syscalls;
    refused.push_back(__NR_epoll_pwait2);
    const int status = zring_test::in_child_refusing(refused, EPERM, [] {
        ::unsetenv("ZRING_BACKEND");
        zring::scheduler s;
        if (s.backend() != zring::backend::epoll) return 1;
        return exercise(s);
    });
    CHECK(status == 0);
}

TEST_CASE("with no backend at all, constructing a scheduler throws naming what the kernel refused",
          "[io][backend][errors]") {
    std::vector<long> refused = zring_test::io_uring_syscalls;
    refused.insert(refused.end(), {__NR_epoll_create, __NR_epoll_create1});
    const int status = zring_test::in_child_refusing(refused, EPERM, [] {
        ::unsetenv("ZRING_BACKEND");
        try {
            zring::scheduler s;
            return 1;
        } catch (const std::system_error& e) {
            return std::string(e.what()).find("epoll_create1") != std::string::npos ? 0 : 2;
        }
    });
    CHECK(status == 0);
}

TEST_CASE("the epoll backend runs timers, polls and cross-thread posts", "[io][backend][threads]") {
    zring::scheduler s({.backend = zring::backend::epoll});
    REQUIRE(s.backend() == zring::backend::epoll);
    CHECK(exercise(s) == 0);
}
