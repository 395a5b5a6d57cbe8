#!/usr/bin/env bash
# Runs the whole zring-bench suite and writes benchmarks/results/DATE.json
# (every run, medians, targets), .txt (the table), .tsv and .png (each
# variant's speed relative to raw libzmq); then thr with the sender in
# another process, as libzmq's local_thr/remote_thr do, into DATE-procs.*.
# On a terminal, it and zring-bench say on stderr what runs, n of m, and the
# time so far.
# usage: benchmarks/run_suite.sh [more zring-bench options, e.g. --repeat 9]
set -euo pipefail
cd "$(dirname "$0")/.."

steps=5
. benchmarks/announce.sh

announce "installing what is missing: libboost-dev (the Asio and Beast baselines), gnuplot-nox (the plot), wrk, python3-tornado and python3-zmq (the web benchmarks and their Tornado baselines)"
scripts/deps.sh libboost-dev gnuplot-nox wrk python3-tornado python3-zmq
announce "building zring-bench"
cmake --preset release >/dev/null
cmake --build --preset release --target zring-bench

out=benchmarks/results/$(date +%F)
mkdir -p benchmarks/results
announce "zring-bench all (every benchmark)"
build/release/benchmarks/zring-bench all --repeat 5 "$@" --json "$out.json" --tsv "$out.tsv" | tee "$out.txt"
announce "plotting $out.png"
benchmarks/plot.sh "$out.tsv" "$out.png"
announce "zring-bench thr --procs (the sender in another process)"
build/release/benchmarks/zring-bench thr --procs --repeat 5 "$@" --json "$out-procs.json" | tee "$out-procs.txt"
echo "wrote $out.{json,txt,tsv,png} $out-procs.{json,txt}"
