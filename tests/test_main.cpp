// Catch2's main, plus a watchdog: a test case that runs longer than its
// limit (ZRING_TEST_WATCHDOG_SECONDS, default 60, below CTest's timeout) is
// named on stderr, every thread's stack is printed (gdb, when installed),
// and the process aborts: a hang fails with a message, not a silent kill.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

extern char** environ;

namespace {

class watchdog {
public:
    // Never destroyed: its thread waits on it until the process ends.
    static watchdog& instance() {
        static watchdog* w = new watchdog;
        return *w;
    }

    void started(const std::string& name) {
        std::lock_guard lock(mutex_);
        name_ = name;
        deadline_ = std::chrono::steady_clock::now() + limit_;
        running_ = true;
        changed_.notify_one();
    }
    void ended() {
        std::lock_guard lock(mutex_);
        running_ = false;
        changed_.notify_one();
    }

private:
    watchdog() : limit_(std::chrono::seconds(limit_seconds())) {
        std::thread([this] { watch(); }).detach();  // lives as long as the process
    }

    static long limit_seconds() {
        const char* env = std::getenv("ZRING_TEST_WATCHDOG_SECONDS");
        const long s = env ? std::strtol(env, nullptr, 10) : 0;
        return s > 0 ? s : 60;
    }

    void watch() {
        std::unique_lock lock(mutex_);
        for (;;) {
            if (!running_) {
                changed_.wait(lock);
                continue;
            }
            const auto deadline = deadline_;
            if (changed_.wait_until(lock, deadline) == std::cv_status::timeout && running_ && deadline_ == deadline)
                fire();
        }
    }

    [[noreturn]] void fire() {
        std::fprintf(stderr, "\nzring test watchdog: test case \"%s\" is still running after %lld s; aborting.\n",
                     name_.c_str(), static_cast<long long>(limit_.count()));
        print_stacks();
        // Catch2's own SIGABRT handler would report and then wait on the
        // hung test: die at once instead.
        std::signal(SIGABRT, SIG_DFL);
        std::abort();
    }

    static void print_stacks() {
        // Let a debugger attach even where ptrace is limited to descendants.
        ::prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
        const std::string pid = std::to_string(::getpid());
        const char* argv[] = {"gdb", "-p", pid.c_str(), "-batch", "-nx", "-ex", "thread apply all bt", nullptr};
        pid_t child = -1;
        if (::posix_spawnp(&child, "gdb", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) {
            std::fprintf(stderr, "zring test watchdog: gdb is not installed; no stacks\n");
            return;
        }
        int status = 0;
        ::waitpid(child, &status, 0);
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    std::chrono::seconds limit_;
    std::string name_;
    std::chrono::steady_clock::time_point deadline_{};
    bool running_ = false;
};

struct watchdog_listener : Catch::TestEventListenerBase {
    using TestEventListenerBase::TestEventListenerBase;
    void testCaseStarting(const Catch::TestCaseInfo& info) override { watchdog::instance().started(info.name); }
    void testCaseEnded(const Catch::TestCaseStats&) override { watchdog::instance().ended(); }
};

}  // namespace

CATCH_REGISTER_LISTENER(watchdog_listener)
