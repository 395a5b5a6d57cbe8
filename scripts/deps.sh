#!/usr/bin/env bash
# Installs the Debian packages zring needs, only those that are missing.
set -euo pipefail

packages=(g++ cmake ninja-build pkg-config libzmq3-dev cppzmq-dev liburing-dev catch2)
# http/: llhttp (Node.js's HTTP parser, as C sources that zring_http compiles
# in), wslay (WebSocket framing), nettle (the handshake's SHA-1 and base64)
packages+=(node-llhttp libwslay-dev nettle-dev)
packages+=("$@")  # callers may ask for more (e.g. optional benchmark baselines)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing missing packages: ${missing[*]}"
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
