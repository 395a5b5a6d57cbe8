#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine, builds the release preset
# and runs the main demo: a publisher and a subscriber coroutine on one
# scheduler, exchanging five updates.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
build/release/examples/pubsub_demo --count 5 --interval-ms 200
