// A co_await in the branch of ?: not taken must not run.
#include <zring/coro/sync_wait.hpp>
#include <zring/coro/task.hpp>

int awaited = 0;
zring::task<int> counted() {
    ++awaited;
    co_return 2;
}
zring::task<int> pick(bool first) { co_return first ? 1 : co_await counted(); }

int main() {
    const int result = zring::sync_wait(pick(true));
    return result == 1 && awaited == 0 ? 0 : 1;
}
