#!/bin/bash
# Where the receiving thread of `zring-bench thr` spends its CPU, per
# message: libzmq, the kernel, libc, and the event loop with its awaiters
# (zring's, or Asio's for the asio variants). Sampled with perf at 10 kHz.
#
#   benchmarks/recv_cpu_split.sh ZRING_BENCH VARIANT TRANSPORT [REPEAT]
#   e.g. benchmarks/recv_cpu_split.sh build/release/benchmarks/zring-bench zring tcp
#
# The thread CPU that zring-bench reports swings with how the threads share
# the cores (how often the receiver catches up with libzmq's I/O thread);
# the loop's own share does not, so this is how to compare loops.
set -euo pipefail

if [ $# -lt 3 ]; then
    echo "usage: $0 ZRING_BENCH VARIANT TRANSPORT [REPEAT]" >&2
    exit 2
fi
bench=$1 variant=$2 transport=$3 repeat=${4:-5}
command -v perf > /dev/null || { echo "$0: perf is not installed (apt-get install linux-perf)" >&2; exit 1; }

data=$(mktemp)
trap 'rm -f "$data"' EXIT
# 16 B messages: zring-bench sends 2,000,000 per repetition.
messages=$((repeat * 2000000))
perf record -q -F 10000 -o "$data" -- "$bench" thr --size 16 --transport "$transport" --variant "$variant" \
    --repeat "$repeat" > /dev/null
# The receiving thread is the process's main thread: the lowest thread id.
tid=$(perf report -i "$data" --no-children -g none --sort pid --stdio 2> /dev/null |
    awk '$2 ~ /:zring-bench$/ { split($2, a, ":"); print a[1] }' | sort -n | head -1)
[ -n "$tid" ] || { echo "$0: no samples of the receiving thread" >&2; exit 1; }

perf report -i "$data" --no-children -g none --tid "$tid" --sort dso,sym --stdio -n 2> /dev/null |
    awk -v messages="$messages" -v name="$variant $transport" '
        /^#/ || NF < 4 { next }
        {
            samples = $2; dso = $3; sym = ""
            for (i = 5; i <= NF; i++) sym = sym " " $i
            if (dso == "zring-bench" || dso ~ /liburing/)
                part = (sym ~ /measure|@plt/) ? "the benchmark count, PLT" : "event loop and awaiters"
            else if (dso ~ /libzmq/) part = "libzmq"
            else if (dso ~ /kernel/) part = "kernel"
            else if (dso ~ /^libc/) part = "libc"
            else part = "other"
            split_[part] += samples; total += samples
        }
        # A sample is 100 us of CPU.
        END {
            for (p in split_) printf "%-16s %-28s %7.1f ns/msg\n", name, p, split_[p] * 1e5 / messages
            printf "%-16s %-28s %7.1f ns/msg\n", name, "total", total * 1e5 / messages
        }' | sort
