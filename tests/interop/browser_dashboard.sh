#!/usr/bin/env bash
# A real browser on examples/web_dashboard: headless Chromium loads the page
# while a publisher runs, and the DevTools protocol (browser_dashboard.py)
# checks that updates arrive over SSE and WebSocket and that the form's
# text reaches the ZeroMQ echo service and comes back.
# usage: browser_dashboard.sh EXAMPLES_BIN_DIR
set -euo pipefail
bin=$1
source "$(dirname "$0")/lib.sh"
require_python_module websockets
browser=$(command -v chromium || true)
[ -n "$browser" ] || { echo "zring-test-skipped: chromium is not installed (Debian: chromium)"; exit 0; }

timeout 100 "$bin/pubsub_publisher" --endpoint "ipc://$work/updates" --interval-ms 50 > "$work/publisher.out" 2>&1 &
timeout 100 "$bin/reqrep_echo" --mode server --endpoint "ipc://$work/echo" > "$work/echo.out" 2>&1 &
timeout --foreground 100 "$bin/web_dashboard" --port 0 --sub "ipc://$work/updates" --echo "ipc://$work/echo" \
    > "$work/dashboard.out" 2>&1 &
dashboard=$!
wait_for_line "$work/dashboard.out" '^listening on http://'
url=$(sed -n 's/^listening on //p' "$work/dashboard.out")

# Root needs --no-sandbox; port 0 lets Chromium pick, and it writes the port
# into DevToolsActivePort.
timeout 100 "$browser" --headless=new --no-sandbox --disable-gpu --no-first-run --remote-debugging-port=0 \
    --user-data-dir="$work/profile" about:blank > "$work/chromium.out" 2>&1 &
wait_for_line "$work/profile/DevToolsActivePort" '^[0-9]'
devtools=$(head -1 "$work/profile/DevToolsActivePort")
timeout 60 "$python" "$here/browser_dashboard.py" "$devtools" "$url" > "$work/python.out" 2>&1 \
    || fail "browser_dashboard.py, exit status $?"
kill -INT $dashboard
wait $dashboard || fail "web_dashboard's exit status $? after SIGINT"
cat "$work/python.out"
