#!/usr/bin/env bash
# zring-bench across hosts, as two processes on loopback: thr --role recv
# and send, lat --role echo and client, each side with its own --variant;
# the measuring side writes the usual JSON. Bad role arguments get exit 2.
# usage: check_roles.sh ZRING_BENCH [ZRING_CAT]
set -euo pipefail
bench=$1
cat_tool=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.err; do echo "--- $f"; cat "$f"; done; exit 1; }

# Starts a listening side in the background; sets $listener and $endpoint
# (what it printed: a port given as * is resolved).
listen() {
    local name=$1; shift
    timeout 60 "$bench" "$@" > "$work/$name.out" 2> "$work/$name.err" &
    listener=$!
    for _ in $(seq 400); do
        endpoint=$(sed -n 's/^zring-bench: listening on //p' "$work/$name.err")
        [ -n "$endpoint" ] && return 0
        kill -0 $listener 2>/dev/null || fail "$name exited before listening"
        sleep 0.025
    done
    fail "$name did not say where it listens"
}

check_json() {
    cmake -DJSON="$1" -DKEY="$2" -DVALUE="$3" -DMIN_RESULTS=2 -P "$here/check_json.cmake" > /dev/null \
        || fail "$1 is not what it should be"
}

# thr over tcp, every receiving variant against a zring sender on epoll.
listen recv thr --role recv --bind 'tcp://127.0.0.1:*' --quick --size 16 --json "$work/thr.json"
timeout 60 "$bench" thr --role send --connect "$endpoint" --variant zring-epoll 2> "$work/send.err" \
    || fail "the sender exit status $?"
wait $listener || fail "the receiver exit status $?"
check_json "$work/thr.json" sender "remote zring-epoll"
grep -q '^thr  size=16 transport=tcp sender=remote zring-epoll' "$work/recv.out" || fail "no thr table"
# Its stderr is a file, not a terminal: it still says what it will do, and
# one line per finished measurement (every variant, one size, one repetition).
measurements=$(grep -c '^zring-bench: thr --role recv: [0-9]*/[0-9]* done (' "$work/recv.err" || true)
planned=$(sed -n 's/^zring-bench: thr --role recv: \([0-9]*\) measurements (1 sizes x .*/\1/p' "$work/recv.err")
[ -n "$planned" ] || fail "the receiver did not say how many measurements it makes"
[ "$measurements" -eq "$planned" ] && [ "$planned" -gt 1 ] ||
    fail "the receiver reported $measurements finished measurements of $planned"

# thr over ipc, two receiving variants against a raw sender (the default).
listen recv-ipc thr --role recv --bind "ipc://$work/thr" --quick --size 64 --variant raw --variant zring-epoll \
    --json "$work/thr-ipc.json"
timeout 60 "$bench" thr --role send --connect "$endpoint" 2> "$work/send-ipc.err" || fail "the sender exit status $?"
wait $listener || fail "the receiver exit status $?"
check_json "$work/thr-ipc.json" sender "remote raw"
leftovers=$(ls "$work" | grep -E '^thr($|-data-)' || true)
[ -z "$leftovers" ] || fail "ipc socket files left behind: $leftovers"

# lat: a zring echo on epoll, every client variant.
listen echo lat --role echo --bind 'tcp://127.0.0.1:*' --variant zring-epoll
timeout 60 "$bench" lat --role client --connect "$endpoint" --quick --json "$work/lat.json" > "$work/client.out" \
    2> "$work/client.err" || fail "the client exit status $?"
wait $listener || fail "the echo exit status $? (the client's end should end it)"
check_json "$work/lat.json" echo "remote zring-epoll"
grep -q '^zring-bench: lat --role client: 1/[0-9]* done (' "$work/client.err" || fail "the client reported no measurement"

# lat: a raw echo, a zring client on epoll alone.
listen echo-raw lat --role echo --bind 'tcp://127.0.0.1:*'
timeout 60 "$bench" lat --role client --connect "$endpoint" --quick --variant raw --variant zring-epoll \
    --json "$work/lat-raw.json" > /dev/null 2> "$work/client-raw.err" || fail "the client exit status $?"
wait $listener || fail "the echo exit status $?"
check_json "$work/lat-raw.json" echo "remote raw"

# tcp: a zring echo on epoll; the client runs ping-pong with every variant,
# then echo and accept with its own loop.
listen echo-tcp tcp --role echo --bind 'tcp://127.0.0.1:*' --variant zring-epoll
timeout 60 "$bench" tcp --role client --connect "$endpoint" --quick --json "$work/tcp.json" > "$work/tcp-client.out" \
    2> "$work/tcp-client.err" || fail "the tcp client exit status $?"
wait $listener || fail "the tcp echo exit status $? (the client's end should end it)"
check_json "$work/tcp.json" server "remote zring-epoll"
for table in 'ping-pong size=16' 'echo connections=100 size=64' 'accept connections='; do
    grep -q "^tcp  $table" "$work/tcp-client.out" || fail "no tcp $table table"
done
# A tcp client at a lat echo names what it met.
listen echo-not-tcp lat --role echo --bind 'tcp://127.0.0.1:*'
set +e
timeout 60 "$bench" tcp --role client --connect "$endpoint" --quick 2> "$work/tcp-wrong.err"; rc=$?
set -e
kill $listener 2>/dev/null || true
[ $rc -eq 1 ] || fail "a tcp client at a lat echo gave exit $rc"
grep -q "not a tcp --role echo" "$work/tcp-wrong.err" || fail "the tcp client did not name what it met"

# Mismatched peers are named, not waited on: a thr sender pointed at a lat
# echo, and something else than a thr sender at a thr receiver.
listen echo-wrong lat --role echo --bind 'tcp://127.0.0.1:*'
set +e
timeout 60 "$bench" thr --role send --connect "$endpoint" 2> "$work/wrong-sender.err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "a thr sender at a lat echo gave exit $rc"
grep -q "not a thr --role recv" "$work/wrong-sender.err" || fail "the thr sender did not name what it met"
kill $listener
if [ -n "$cat_tool" ]; then
    listen recv-wrong thr --role recv --bind 'tcp://127.0.0.1:*' --quick
    printf 'hello\n' | timeout 20 "$cat_tool" --type req --connect "$endpoint" --count 1 > /dev/null 2>&1 || true
    set +e
    wait $listener; rc=$?
    set -e
    [ $rc -eq 1 ] || fail "a thr receiver met by a REQ gave exit $rc"
    grep -q "not a thr --role send" "$work/recv-wrong.err" || fail "the thr receiver did not name what it met"
fi

# Bad input: exit status 2 and a reason.
refused() {
    local reason=$1; shift
    set +e
    timeout 20 "$bench" "$@" > /dev/null 2> "$work/refused.err"; local rc=$?
    set -e
    [ $rc -eq 2 ] || fail "zring-bench $* gave exit $rc"
    grep -q -- "$reason" "$work/refused.err" || fail "zring-bench $* did not say '$reason'"
}
refused "needs --bind" thr --role recv
refused "needs --connect ENDPOINT, and not --bind" thr --role send --bind tcp://127.0.0.1:5555
refused "goes with the lat or tcp benchmark alone" thr --role echo --bind tcp://127.0.0.1:5555
refused "goes with the thr benchmark alone" thr lat --role recv --bind tcp://127.0.0.1:5555
refused "takes one --variant" thr --role send --connect tcp://127.0.0.1:5555 --variant raw --variant zring-epoll
refused "use a tcp:// or ipc:// endpoint" thr --role recv --bind inproc://x
refused "go with --role" thr --connect tcp://127.0.0.1:5555
refused "unknown role" thr --role sender --connect tcp://127.0.0.1:5555
refused "serves the measuring side" thr --role send --connect tcp://127.0.0.1:5555 --json "$work/x.json"
refused "serves the measuring side" lat --role echo --bind tcp://127.0.0.1:5555 --repeat 3
refused "goes with the thr benchmark alone" tcp --role recv --bind tcp://127.0.0.1:5555
refused "tcp --role takes a tcp:// endpoint" tcp --role echo --bind "ipc://$work/tcp"
refused "runs blocking, zring, zring-epoll or asio" tcp --role echo --bind tcp://127.0.0.1:5555 --variant raw
echo "ok: zring-bench roles across two processes"
