#!/usr/bin/env bash
# Runs the whole test suite: release, AddressSanitizer+UBSan, and the
# threaded tests under ThreadSanitizer. Installs missing dependencies first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh libboost-dev gdb  # Boost.Asio: zring-bench's baselines; gdb: the test watchdog's stacks
for preset in release asan tsan; do
    echo "=== ${preset}: configure and build"
    cmake --preset "${preset}" >/dev/null
    cmake --build --preset "${preset}"
    echo "=== ${preset}: test"
    ctest --preset "${preset}" --parallel 2
done
