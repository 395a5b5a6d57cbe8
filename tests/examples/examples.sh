#!/usr/bin/env bash
# End-to-end checks of the examples as real processes.
# usage: examples.sh BIN_DIR CASE
set -euo pipefail
bin=$1
case_name=$2
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
endpoint="ipc://$work/updates"

# Waits (bounded) until FILE contains PATTERN.
wait_for_line() {
    for _ in $(seq 400); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.025; done
    fail "timed out waiting for '$2' in $1"
}

fail() { echo "FAIL: $*"; for f in "$work"/*.out; do echo "--- $f"; cat "$f"; done; exit 1; }

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
    timeout 20 "$bin/pubsub_publisher" --endpoint "$endpoint" --interval-ms 10 --count 1000 > "$work/pub.out" &
    pub=$!
    wait $sub || fail "subscriber exited with $?"
    kill -TERM $pub
    wait $pub || fail "publisher did not shut down cleanly on SIGTERM ($?)"
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
cat-pushpull)
    timeout 20 "$bin/zring-cat" --type PULL --bind "$endpoint" --count 3 --multipart-sep '|' > "$work/pull.out" &
    pull=$!
    printf 'one\ntwo|frames\nthree\n' | timeout 20 "$bin/zring-cat" --type PUSH --connect "$endpoint" --count 3 \
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
    printf 'a\n' | timeout 20 "$bin/zring-cat" --type PUB --bind "$endpoint" --count 2 > "$work/out" 2>&1; rc=$?
    set -e
    [ $rc -eq 1 ] || fail "input shorter than --count gave exit $rc"
    ;;
*) echo "unknown case $case_name"; exit 2 ;;
esac
echo "ok: $case_name"
