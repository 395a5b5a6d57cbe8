// A co_await in an if condition, in a coroutine with no local variable.
#include <zring/coro/sync_wait.hpp>
#include <zring/coro/task.hpp>

zring::task<bool> yes() { co_return true; }
zring::task<int> taken() {
    if (co_await yes()) co_return 1;
    co_return 0;
}

int main() { return zring::sync_wait(taken()) == 1 ? 0 : 1; }
