// A program whose loop gets stuck, for the test that Ctrl-C still ends it.
//   stuck-loop              a coroutine waits for SIGINT/SIGTERM; the loop is stuck
//   stuck-loop --take-first the coroutine takes one signal first, then the loop is stuck
// It prints "waiting" once its signals are blocked and awaited, "took N" for
// a signal it took, then "stuck", and never returns.

#include <zring/coro/when_any.hpp>
#include <zring/io/scheduler.hpp>
#include <zring/io/signal.hpp>

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>

namespace {

// Blocks the loop's thread for good, as a handler stuck in a blocking call
// would: every signal is blocked, so pause() never returns.
zring::task<void> stuck() {
    std::printf("stuck\n");
    std::fflush(stdout);
    for (;;) ::pause();
    co_return;
}

}  // namespace

int main(int argc, char** argv) {
    const bool take_first = argc > 1 && std::strcmp(argv[1], "--take-first") == 0;
    zring::block_signals(SIGINT, SIGTERM);
    zring::scheduler s;
    s.run([&]() -> zring::task<void> {
        if (take_first) {
            std::printf("waiting\n");  // blocked since main began
            std::fflush(stdout);
            const int signo = co_await zring::signal(SIGINT, SIGTERM);
            std::printf("took %d\n", signo);
            std::fflush(stdout);
        }
        // The waiter starts (and waits) first; then the loop is stuck.
        co_await zring::when_any(zring::signal(SIGINT, SIGTERM), stuck());
    }());
    return 0;
}
