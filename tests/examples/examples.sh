#!/usr/bin/env bash
# End-to-end checks of the examples as real processes.
# usage: examples.sh BIN_DIR CASE [REFUSE_SYSCALLS]
set -euo pipefail
bin=$1
case_name=$2
refuse=${3:-}
# The cases that refuse io_uring test the automatic choice, whatever backend
# the rest of the suite is forced onto.
automatic() { env -u ZRING_BACKEND "$@"; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
endpoint="ipc://$work/updates"

# Waits (bounded) until FILE contains PATTERN.
wait_for_line() {
    for _ in $(seq 400); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.025; done
    fail "timed out waiting for '$2' in $1"
}

fail() { echo "FAIL: $*"; for f in "$work"/*.out; do echo "--- $f"; cat "$f"; done; exit 1; }

# Waits up to 20 s for background job PID (a `timeout` wrapper) and returns
# its exit status; if the program under it is still running then, prints
# every thread's stack (gdb, when installed) and fails, naming WHAT.
wait_bounded() {
    for _ in $(seq 400); do
        kill -0 "$1" 2>/dev/null || { wait "$1"; return $?; }
        sleep 0.05
    done
    for child in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
        command -v gdb > /dev/null && gdb -p "$child" -batch -ex "thread apply all bt" 2>&1 | grep -E '^(#|Thread)'
    done
    fail "$2 still running 20 s later"
}

case "$case_name" in
demo)
    timeout 20 "$bin/pubsub_demo" --count 3 --interval-ms 20 --endpoint "$endpoint" > "$work/demo.out"
    [ "$(grep -c '^Received: updates [0-9]*$' "$work/demo.out")" -eq 3 ] || fail "demo did not receive 3 updates"
    grep -q '^Sent: updates 1$' "$work/demo.out" || fail "demo did not send"
    ;;
processes)
    timeout 20 "$bin/pubsub_subscriber" --endpoint "$endpoint" --count 3 > "$work/sub.out" &
    sub=$!
    # Publishes until the subscriber has its 3 updates (bounded by --count).
    # --foreground: signalled, timeout passes the signal on and adds no SIGCONT.
    # A SIGCONT racing LeakSanitizer's exit-time ptrace attach can discard the
    # SIGSTOP it waits for, and the publisher then hangs in the leak check.
    timeout --foreground 20 "$bin/pubsub_publisher" --endpoint "$endpoint" --interval-ms 10 --count 1000 \
        > "$work/pub.out" &
    pub=$!
    wait $sub || fail "subscriber exited with $?"
    kill -TERM $pub
    wait_bounded $pub "the publisher, after SIGTERM," || fail "publisher did not shut down cleanly on SIGTERM ($?)"
    [ "$(grep -c '^Received: updates [0-9]*$' "$work/sub.out")" -eq 3 ] || fail "subscriber did not print 3 updates"
    ;;
signal)
    "$bin/pubsub_subscriber" --endpoint "$endpoint" > "$work/sub.out" 2> "$work/sub.err" &
    sub=$!
    wait_for_line "$work/sub.err" "Subscribed to 'updates'"  # signals are blocked from here on
    kill -INT $sub
    wait $sub || fail "subscriber exit status $? after SIGINT"
    grep -q 'Signal 2 received, shutting down' "$work/sub.err" || fail "no shutdown message"
    ;;
bad-input)
    set +e
    "$bin/pubsub_publisher" --count many > "$work/out" 2>&1; rc=$?
    set -e
    [ $rc -eq 2 ] || fail "bad --count gave exit $rc"
    grep -q "needs a non-negative integer" "$work/out" || fail "no explanation for bad --count"
    set +e
    "$bin/pubsub_subscriber" --endpoint "nosuch://x" > "$work/out" 2>&1; rc=$?
    set -e
    [ $rc -eq 2 ] || fail "bad endpoint gave exit $rc"
    grep -q "connect(nosuch://x)" "$work/out" || fail "bad endpoint not named"
    # An argument error comes first, before anything else is printed.
    for program in pubsub_publisher pubsub_subscriber; do
        set +e
        timeout 20 "$bin/$program" --endpoint "$endpoint" --count -1 > "$work/out" 2>&1; rc=$?
        set -e
        [ $rc -eq 2 ] || fail "$program --count -1 gave exit $rc"
        head -n 1 "$work/out" | grep -q "^error: --count needs a non-negative integer" \
            || fail "$program printed before its argument error: $(head -n 1 "$work/out")"
    done
    ;;
reqrep)
    "$bin/reqrep_echo" --mode server --endpoint "$endpoint" --count 3 > "$work/server.out" &
    server=$!
    timeout 20 "$bin/reqrep_echo" --mode client --endpoint "$endpoint" --count 3 > "$work/client.out" \
        || fail "client exit status $?"
    wait $server || fail "server exit status $?"
    [ "$(grep -c '^Reply: echo: hello [123]$' "$work/client.out")" -eq 3 ] || fail "client did not get 3 echoes"
    ;;
broker)
    timeout 20 "$bin/router_dealer_broker" --clients 5 --workers 3 --requests 4 > "$work/broker.out" \
        || fail "broker exit status $?"
    grep -q '^Replies: 20 of 20$' "$work/broker.out" || fail "not every request was answered"
    [ "$(grep -c '^Worker [0-9] served' "$work/broker.out")" -eq 3 ] || fail "not every worker took work"
    ;;
pipeline)
    timeout 20 "$bin/pipeline" --tasks 3000 --workers 3 > "$work/pipeline.out" || fail "pipeline exit status $?"
    grep -q '^Sink received 3000 results, sum of squares 9004500500$' "$work/pipeline.out" || fail "wrong sum"
    ;;
sharded)
    timeout 20 "$bin/sharded_workers" --workers 2 --clients 4 --requests 2000 --rounds 20 --report-ms 100 \
        > "$work/sharded.out" || fail "sharded_workers exit status $?"
    grep -q '^Handled 2000 requests in ' "$work/sharded.out" || fail "not every request was answered"
    for w in 0 1; do
        grep -Eq "^Worker $w handled [1-9][0-9]*$" "$work/sharded.out" || fail "worker $w took no work"
    done
    ;;
sharded-signal)
    # Runs until Ctrl-C: stops every scheduler, joins, reports, exits 0.
    timeout --foreground 20 "$bin/sharded_workers" --workers 2 --report-ms 50 \
        > "$work/sharded.out" 2> "$work/sharded.err" &
    service=$!
    wait_for_line "$work/sharded.out" '^Requests/s: [1-9]'
    kill -INT $service
    wait_bounded $service "sharded_workers, after SIGINT," || fail "sharded_workers exit status $? after SIGINT"
    grep -q 'Signal 2 received, shutting down' "$work/sharded.err" || fail "no shutdown message"
    grep -Eq '^Handled [1-9][0-9]* requests in ' "$work/sharded.out" || fail "no final report"
    ;;
cat-pushpull)
    timeout 20 "$bin/zring-cat" --type pull --bind "$endpoint" --count 3 --multipart-sep '|' > "$work/pull.out" &
    pull=$!
    printf 'one\ntwo|frames\nthree\n' | timeout 20 "$bin/zring-cat" --type Push --connect "$endpoint" --count 3 \
        --multipart-sep '|' || fail "push exit status $?"
    wait $pull || fail "pull exit status $?"
    [ "$(cat "$work/pull.out")" = "$(printf 'one\ntwo|frames\nthree')" ] || fail "pull printed the wrong lines"
    ;;
cat-reqrep)
    printf 'pong\n' | timeout 20 "$bin/zring-cat" --type REP --bind "$endpoint" --count 2 > "$work/rep.out" &
    rep=$!
    printf 'ping\nagain\n' | timeout 20 "$bin/zring-cat" --type REQ --connect "$endpoint" --count 2 > "$work/req.out" \
        || fail "req exit status $?"
    wait $rep || fail "rep exit status $?"
    [ "$(cat "$work/req.out")" = "$(printf 'pong\nagain')" ] || fail "REQ got the wrong replies"
    [ "$(cat "$work/rep.out")" = "$(printf 'ping\nagain')" ] || fail "REP printed the wrong requests"
    ;;
cat-errors)
    set +e
    timeout 20 "$bin/zring-cat" --type PULL --bind "$endpoint" --count 1 --timeout-ms 50 > "$work/out" 2>&1; rc=$?
    set -e
    [ $rc -eq 1 ] || fail "a timeout gave exit $rc"
    grep -q "timed out after handling 0 messages" "$work/out" || fail "timeout not explained"
    set +e
    "$bin/zring-cat" --type FOO --bind "$endpoint" > "$work/out" 2>&1; rc=$?
    set -e
    [ $rc -eq 2 ] || fail "an unknown type gave exit $rc"
    grep -q "unknown socket type 'FOO'" "$work/out" || fail "unknown type not named"
    set +e
    timeout 20 "$bin/zring-cat" --type pull --bind tcp://127.0.0.1:99999 > "$work/out" 2>&1; rc=$?
    set -e
    [ $rc -eq 2 ] || fail "an invalid port gave exit $rc"
    grep -q "bind(tcp://127.0.0.1:99999): port out of range" "$work/out" || fail "invalid port not explained"
    set +e
    printf 'a\n' | timeout 20 "$bin/zring-cat" --type PUB --bind "$endpoint" --count 2 > "$work/out" 2>&1; rc=$?
    set -e
    [ $rc -eq 1 ] || fail "input shorter than --count gave exit $rc"
    ;;
no-backend)
    # io_uring and epoll both refused: every program says why in one line and exits 1.
    [ -n "$refuse" ] || fail "no refuse-syscalls given"
    for program in pubsub_demo pubsub_publisher pubsub_subscriber pipeline router_dealer_broker sharded_workers zring-cat; do
        args=()
        [ "$program" = zring-cat ] && args=(--type PULL --bind "$endpoint")
        set +e
        automatic timeout 20 "$refuse" io_uring,epoll -- "$bin/$program" "${args[@]}" > "$work/out" 2>&1; rc=$?
        set -e
        [ $rc -eq 1 ] || fail "$program without a backend gave exit $rc"
        [ "$(wc -l < "$work/out")" -eq 1 ] || fail "$program did not say why in one line"
        grep -q '^error: .*epoll_create1' "$work/out" || fail "$program did not name what was refused"
    done
    set +e
    ZRING_BACKEND=uring timeout 20 "$bin/reqrep_echo" --mode server --endpoint "$endpoint" > "$work/out" 2>&1; rc=$?
    set -e
    [ $rc -eq 1 ] || fail "an unknown ZRING_BACKEND gave exit $rc"
    grep -q 'ZRING_BACKEND=uring names no backend' "$work/out" || fail "the unknown ZRING_BACKEND was not named"
    ;;
verbose)
    # Where io_uring is refused the demo runs on epoll, and --verbose says so.
    [ -n "$refuse" ] || fail "no refuse-syscalls given"
    automatic timeout 20 "$refuse" io_uring -- "$bin/pubsub_demo" --verbose --count 2 --interval-ms 20 --endpoint "$endpoint" \
        > "$work/demo.out" 2> "$work/demo.err" || fail "demo under a refused io_uring exited with $?"
    grep -q '^zring: scheduler backend epoll$' "$work/demo.err" || fail "--verbose did not name the epoll backend"
    [ "$(grep -c '^Received: updates [0-9]*$' "$work/demo.out")" -eq 2 ] || fail "demo on epoll did not receive 2 updates"
    ZRING_BACKEND=epoll timeout 20 "$bin/zring-cat" --verbose --type PUB --bind "$endpoint" < /dev/null 2> "$work/cat.err" \
        || fail "zring-cat on epoll exited with $?"
    grep -q '^zring: scheduler backend epoll$' "$work/cat.err" || fail "zring-cat --verbose did not name the backend"
    ;;
*) echo "unknown case $case_name"; exit 2 ;;
esac
echo "ok: $case_name"
