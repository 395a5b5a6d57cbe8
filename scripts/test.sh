#!/usr/bin/env bash
# Runs the whole test suite: release, AddressSanitizer+UBSan, and the
# threaded tests under ThreadSanitizer, each on both scheduler backends, then
# the release suite with io_uring refused, and a build without liburing.
# Installs missing dependencies first.
set -euo pipefail
cd "$(dirname "$0")/.."

# Boost.Asio: zring-bench's baselines; gdb: the test watchdog's stacks; clang:
# the README snippets; curl, python3-websockets, chromium: clients the HTTP
# server did not write; wrk, python3-tornado, python3-zmq: zring-bench http,
# ws and sse, and their Tornado (and pyzmq) baselines.
scripts/deps.sh libboost-dev gdb clang curl python3-websockets chromium wrk python3-tornado python3-zmq
# Every preset's suite runs once per backend: io_uring (where the kernel
# allows it; else the fallback) and epoll. Checks that run no scheduler (the
# snippet compiles, the co_await lint and its compiler-forms check) run once,
# and so do the browser test (label browser; the release build only) and the
# pyzmq interop matrix (label interop: the protocol is the same on every backend).
once='backend-independent|browser|interop'
for preset in release asan tsan; do
    echo "=== ${preset}: configure and build"
    cmake --preset "${preset}" >/dev/null
    cmake --build --preset "${preset}"
    echo "=== ${preset}: test"
    ctest --preset "${preset}" --parallel 2
    echo "=== ${preset}: test on epoll (ZRING_BACKEND=epoll)"
    ZRING_BACKEND=epoll ctest --preset "${preset}" --parallel 2 -LE "$once"
done
# As in a container whose seccomp profile refuses io_uring: every test runs
# on the fallback, io_uring-only checks are reported skipped.
echo "=== release: test with io_uring refused (seccomp)"
build/release/tests/refuse-syscalls io_uring -- ctest --preset release --parallel 2 -LE "$once"
# As on a system without liburing-dev: zring builds with epoll only and says so.
echo "=== epoll-only (built without liburing): configure, build and test"
cmake --preset epoll-only >/dev/null
cmake --build --preset epoll-only
ctest --preset epoll-only --parallel 2 -LE "$once"
