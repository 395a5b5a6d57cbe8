// A co_await right of && whose left operand is false must not run.
#include <zring/coro/sync_wait.hpp>
#include <zring/coro/task.hpp>

int awaited = 0;
zring::task<bool> counted() {
    ++awaited;
    co_return true;
}
zring::task<bool> both(bool first) { co_return first && co_await counted(); }

int main() {
    const bool result = zring::sync_wait(both(false));
    return !result && awaited == 0 ? 0 : 1;
}
