#!/usr/bin/env bash
# Runs the whole zring-bench suite and writes benchmarks/results/DATE.json
# (every run, medians, targets), .txt (the table), .tsv and .png (each
# variant's speed relative to raw libzmq).
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
echo "wrote $out.json $out.txt $out.tsv $out.png"
