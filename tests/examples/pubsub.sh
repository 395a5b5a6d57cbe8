#!/usr/bin/env bash
# End-to-end checks of the pub/sub examples as real processes.
# usage: pubsub.sh BIN_DIR CASE
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
*) echo "unknown case $case_name"; exit 2 ;;
esac
echo "ok: $case_name"
