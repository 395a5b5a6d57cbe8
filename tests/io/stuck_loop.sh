#!/usr/bin/env bash
# A process whose loop is stuck still ends on Ctrl-C: a SIGINT (or SIGTERM)
# that arrives while an earlier one is untaken ends it with the signal's
# default action; a signal the program took does not count.
#   stuck_loop.sh <stuck-loop binary>
set -uo pipefail
bin=$1
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/err" ] && cat "$work/err" >&2; exit 1; }

# Bounded waits on what the process shows, never on time alone.
wait_until() {  # description, command...
    local what=$1; shift
    for _ in $(seq 400); do "$@" && return 0; sleep 0.025; done
    fail "not within 10 s: $what"
}
has_line() { grep -qx "$2" "$1"; }
# A signal pending for the whole process: not yet read by anyone.
pending() {  # signo
    local mask
    mask=$(awk '$1 == "ShdPnd:" {print $2}' "/proc/$pid/status") || return 1
    (( (16#$mask >> ($1 - 1)) & 1 ))
}
# The loop is stuck: only zring's watch reads signals, one at a time, so
# once it has read one the next is a delivery of its own.
taken_by_watch() { ! pending "$1"; }
gone() { ! kill -0 "$pid" 2>/dev/null; }

start() {  # args...
    : > "$work/out"
    "$bin" "$@" > "$work/out" 2> "$work/err" &
    pid=$!
}
ended_by() {  # signo, case
    wait_until "$2: the process ends" gone
    wait "$pid"; local rc=$?
    pid=
    [ "$rc" -eq $((128 + $1)) ] || fail "$2: exit status $rc, not $((128 + $1)) (killed by signal $1)"
    grep -q "^zring: .* while an earlier one is unhandled" "$work/err" || fail "$2: no explanation on stderr"
}

# 1. Stuck with a coroutine waiting: the first SIGINT is kept, the second ends it.
start
wait_until "stuck" has_line "$work/out" stuck
kill -INT "$pid"
wait_until "the first SIGINT is read by the watch" taken_by_watch 2
gone && fail "one SIGINT ended the process"
sleep 0.3  # past the grace in which a repeat is the same request twice
kill -INT "$pid"
ended_by 2 "SIGINT, SIGINT"

# 2. A SIGINT after an untaken SIGTERM ends it too.
start
wait_until "stuck" has_line "$work/out" stuck
kill -TERM "$pid"
wait_until "the SIGTERM is read by the watch" taken_by_watch 15
sleep 0.3
kill -INT "$pid"
ended_by 2 "SIGTERM, SIGINT"

# 3. A signal the program took does not count: the third ends it, not the second.
start --take-first
wait_until "waiting" has_line "$work/out" waiting
kill -INT "$pid"
wait_until "took the first SIGINT" has_line "$work/out" "took 2"
wait_until "stuck" has_line "$work/out" stuck
kill -INT "$pid"
wait_until "the second SIGINT is read by the watch" taken_by_watch 2
gone && fail "a second SIGINT ended the process though the first was taken"
sleep 0.3
kill -INT "$pid"
ended_by 2 "took SIGINT, then SIGINT, SIGINT"

# 4. One sender's SIGTERM twice at once (timeout(1) signals the process and
#    its group) is one request: the process lives on until a later one.
start
wait_until "stuck" has_line "$work/out" stuck
kill -TERM "$pid"; kill -TERM "$pid"
wait_until "both SIGTERMs are read by the watch" taken_by_watch 15
sleep 0.1  # inside the grace: the process must still be there
gone && fail "a SIGTERM sent twice at once ended the process"
sleep 0.3
kill -TERM "$pid"
ended_by 15 "SIGTERM twice at once, then SIGTERM"
echo "ok"
