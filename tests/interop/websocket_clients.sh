#!/usr/bin/env bash
# zring's WebSocket server against Python's websockets (python3-websockets):
# text, binary, fragmented and 1 MiB messages, ping/pong, close codes both
# ways, a client that stops reading, and close 1001 at the server's shutdown.
# usage: websocket_clients.sh HTTP_TEST_SERVER
set -euo pipefail
server_bin=$1
source "$(dirname "$0")/lib.sh"
require_python_module websockets
timeout --foreground 100 "$server_bin" --write-timeout-ms 1000 > "$work/server.out" 2>&1 &
server=$!
wait_for_line "$work/server.out" '^listening on'
url=$(sed -n 's/^listening on //p' "$work/server.out")
port=${url##*:}; port=${port%/}
program=$(cat "/proc/$server/task/$server/children")  # under timeout
timeout 60 "$python" "$here/websocket_clients.py" "$port" "$program" > "$work/python.out" 2>&1 \
    || fail "websocket_clients.py, exit status $?"
wait $server || fail "the server's exit status $? after SIGTERM"
cat "$work/python.out"
