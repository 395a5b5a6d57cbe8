#!/usr/bin/env bash
# zring's TCP streams against Python's asyncio streams, both ways: 200
# connections at once, random sizes from 0 to 1 MiB, echoed and checked
# byte for byte. zring serves with examples/tcp_echo and drives with
# tests/tools/tcp_echo_client.
# usage: asyncio_tcp.sh TCP_ECHO TCP_ECHO_CLIENT
set -euo pipefail
echo_server=$1 client=$2
source "$(dirname "$0")/lib.sh"
require_python_module asyncio
connections=200 max_size=$((1024 * 1024)) seed=$RANDOM
echo "seed $seed"

# asyncio serves, zring drives.
timeout 120 "$python" "$here/asyncio_echo.py" server > "$work/py-server.out" 2>&1 &
wait_for_line "$work/py-server.out" '^listening on'
address=$(sed -n 's/^listening on //p' "$work/py-server.out")
timeout 120 "$client" "$address" $connections $max_size $seed > "$work/zring-client.out" 2>&1 \
    || fail "zring against asyncio's server, exit status $?"
grep -q "^ok: $connections connections" "$work/zring-client.out" || fail "zring's client said: $(cat "$work/zring-client.out")"

# zring serves, asyncio drives.
timeout --foreground 120 "$echo_server" --listen 127.0.0.1:0 2> "$work/zring-server.out" &
server=$!
wait_for_line "$work/zring-server.out" '^listening on'
address=$(sed -n 's/^listening on //p' "$work/zring-server.out")
timeout 120 "$python" "$here/asyncio_echo.py" client "$address" $connections $max_size $seed > "$work/py-client.out" 2>&1 \
    || fail "asyncio against zring's server, exit status $?"
grep -q "^ok: $connections connections" "$work/py-client.out" || fail "asyncio's client said: $(cat "$work/py-client.out")"
kill -TERM $server
wait $server || fail "zring's server exit status $? after SIGTERM"
cat "$work/zring-client.out" "$work/py-client.out"
