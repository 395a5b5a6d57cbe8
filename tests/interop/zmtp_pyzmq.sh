#!/usr/bin/env bash
# The native ZMTP engine against pyzmq (python3-zmq): see zmtp_pyzmq.py.
# usage: zmtp_pyzmq.sh ZMTP_PEER
set -euo pipefail
peer_bin=$1
source "$(dirname "$0")/lib.sh"
require_python_module zmq
timeout 480 "$python" "$here/zmtp_pyzmq.py" "$peer_bin" 100000 > "$work/python.out" 2>&1 \
    || fail "zmtp_pyzmq.py, exit status $?"
cat "$work/python.out"
