# Shared by the interop tests: a scratch directory, failure with the
# processes' output, and bounded waits. Source it after `set -euo pipefail`.
python=/usr/bin/python3  # Debian's, with its python3-* packages
here=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
work=$(mktemp -d)
# Stops what the test started and waits for it, so that nothing still writes
# into the scratch directory as it goes.
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.out; do echo "--- $f"; cat "$f"; done; exit 1; }
# Waits (bounded) until FILE contains PATTERN.
wait_for_line() {
    for _ in $(seq 400); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.025; done
    fail "timed out waiting for '$2' in $1"
}
# Skips the test (exit 0, with the line CTest reads as skipped) unless
# Python has the module.
require_python_module() {
    [ -x "$python" ] && "$python" -c "import $1" 2>/dev/null \
        || { echo "zring-test-skipped: $python has no module $1 (Debian: python3-$1)"; exit 0; }
}
