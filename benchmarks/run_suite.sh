#!/usr/bin/env bash
# Runs the whole zring-bench suite and writes benchmarks/results/DATE.json
# (every run, medians, targets), .txt (the table), .tsv and .png (each
# variant's speed relative to raw libzmq); then thr with the sender in
# another process, as libzmq's local_thr/remote_thr do, into DATE-procs.*.
# usage: benchmarks/run_suite.sh [more zring-bench options, e.g. --repeat 9]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh libboost-dev gnuplot-nox  # the Asio baselines, the plot
cmake --preset release >/dev/null
cmake --build --preset release --target zring-bench

out=benchmarks/results/$(date +%F)
mkdir -p benchmarks/results
build/release/benchmarks/zring-bench all --repeat 5 "$@" --json "$out.json" --tsv "$out.tsv" | tee "$out.txt"
benchmarks/plot.sh "$out.tsv" "$out.png"
build/release/benchmarks/zring-bench thr --procs --repeat 5 "$@" --json "$out-procs.json" | tee "$out-procs.txt"
echo "wrote $out.{json,txt,tsv,png} $out-procs.{json,txt}"
