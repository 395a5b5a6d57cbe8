// A co_await in a switch condition, in a coroutine with no local variable.
#include <zring/coro/sync_wait.hpp>
#include <zring/coro/task.hpp>

zring::task<int> two() { co_return 2; }
zring::task<int> chosen() {
    switch (co_await two()) {
    case 2:
        co_return 1;
    default:
        co_return 0;
    }
}

int main() { return zring::sync_wait(chosen()) == 1 ? 0 : 1; }
