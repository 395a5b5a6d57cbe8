#!/usr/bin/env bash
# zring's HTTP server against clients it did not write: curl, and Python's
# http.client (http_clients.py), with the bad input a hostile client sends.
# usage: http_clients.sh HTTP_TEST_SERVER
set -euo pipefail
server_bin=$1
source "$(dirname "$0")/lib.sh"
require_python_module http.client
command -v curl > /dev/null || { echo "zring-test-skipped: curl is not installed"; exit 0; }

timeout --foreground 100 "$server_bin" --max-body 2000000 > "$work/server.out" 2>&1 &
server=$!
wait_for_line "$work/server.out" '^listening on'
url=$(sed -n 's/^listening on //p' "$work/server.out")
port=${url##*:}; port=${port%/}

# curl: keep-alive across two URLs, a 1.5 MB upload (curl sends
# Expect: 100-continue past 1 MiB), chunked upload, a streamed response,
# an event stream, HEAD, and the status of a refused body.
[ "$(curl -sS --max-time 10 "${url}hello" "${url}items/a%20b")" = $'hello\na b' ] || fail "curl: GET"
head -c 1500000 /dev/urandom > "$work/upload"
curl -sS --max-time 10 -v --data-binary @"$work/upload" -o "$work/echoed" "${url}echo" 2> "$work/curl-upload.out"
cmp -s "$work/upload" "$work/echoed" || fail "curl: the 1.5 MB upload did not come back whole"
grep -q '< HTTP/1.1 100 Continue' "$work/curl-upload.out" || fail "curl: no 100 Continue for its Expect"
[ "$(printf 'chunked body' | curl -sS --max-time 10 -H 'Transfer-Encoding: chunked' --data-binary @- "${url}echo")" = 'chunked body' ] \
    || fail "curl: chunked upload"
[ "$(curl -sS --max-time 10 "${url}stream?n=3")" = $'chunk 0\nchunk 1\nchunk 2' ] || fail "curl: streamed response"
curl -sS --max-time 10 -N "${url}events?n=2" > "$work/events"
[ "$(cat "$work/events")" = $'event: tick\nid: 0\ndata: event 0\n\nevent: tick\nid: 1\ndata: event 1' ] \
    || fail "curl: event stream: $(cat "$work/events")"
curl -sS --max-time 10 -I "${url}hello" | tr -d '\r' > "$work/head"
grep -q '^Content-Length: 6$' "$work/head" || fail "curl: HEAD"
# A 20 MB upload, ten times --max-body, to a route that reads its body as
# it arrives: with Content-Length, and chunked.
head -c 20000000 /dev/urandom > "$work/large"
expected="20000000 $(sha1sum < "$work/large" | cut -d' ' -f1)"
[ "$(curl -sS --max-time 30 -T "$work/large" "${url}upload")" = "$expected" ] || fail "curl: the streamed 20 MB upload"
[ "$(curl -sS --max-time 30 -T - "${url}upload" < "$work/large")" = "$expected" ] \
    || fail "curl: the streamed 20 MB chunked upload"
head -c 2000001 /dev/zero > "$work/too-big"
[ "$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' --data-binary @"$work/too-big" "${url}echo")" = 413 ] \
    || fail "curl: a body over --max-body"

timeout 60 "$python" "$here/http_clients.py" "$port" > "$work/python.out" 2>&1 || fail "http_clients.py, exit status $?"
kill -TERM $server
wait $server || fail "the server's exit status $? after SIGTERM"
cat "$work/python.out"
