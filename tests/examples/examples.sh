#!/usr/bin/env bash
# End-to-end checks of the examples as real processes.
# usage: examples.sh BIN_DIR CASE [REFUSE_SYSCALLS]
set -euo pipefail
bin=$1
case_name=$2
refuse=${3:-}
# CASE-native: the same case on the native ZMTP engine. The Guide's clients
# and workers (and lazy pirate's second server, zring-cat's receiver), the
# web dashboard and the TCP bridge take it against the libzmq peers the case
# has today; paranoid pirate runs its queue and workers on it (the clients
# stay libzmq); asyncsrv's server against libzmq clients when apart;
# demo, processes, reqrep, broker, pipeline and sharded run whole on it.
native=()
if [[ $case_name == *-native ]]; then
    case_name=${case_name%-native}
    native=(--engine native)
fi
# The cases that refuse io_uring test the automatic choice, whatever backend
# the rest of the suite is forced onto.
automatic() { env -u ZRING_BACKEND "$@"; }
work=$(mktemp -d)
stopped=  # a process the test stopped (SIGSTOP), to continue if it fails
trap 'kill $(jobs -p) 2>/dev/null || true; [ -z "$stopped" ] || kill -CONT $stopped; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
endpoint="ipc://$work/updates"

# Waits (bounded) until FILE contains PATTERN.
wait_for_line() {
    for _ in $(seq 400); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.025; done
    fail "timed out waiting for '$2' in $1"
}

# The program that a `timeout` job (its pid given) runs: signals that timeout
# does not pass on (SIGSTOP, SIGKILL) go there.
program_of() { cat "/proc/$1/task/$1/children"; }

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
    timeout 20 "$bin/pubsub_demo" --count 3 --interval-ms 20 --endpoint "$endpoint" "${native[@]}" > "$work/demo.out"
    [ "$(grep -c '^Received: updates [0-9]*$' "$work/demo.out")" -eq 3 ] || fail "demo did not receive 3 updates"
    grep -q '^Sent: updates 1$' "$work/demo.out" || fail "demo did not send"
    ;;
processes)
    timeout 20 "$bin/pubsub_subscriber" --endpoint "$endpoint" --count 3 "${native[@]}" > "$work/sub.out" &
    sub=$!
    # Publishes until the subscriber has its 3 updates (bounded by --count).
    # --foreground: signalled, timeout passes the signal on and adds no SIGCONT.
    # A SIGCONT racing LeakSanitizer's exit-time ptrace attach can discard the
    # SIGSTOP it waits for, and the publisher then hangs in the leak check.
    timeout --foreground 20 "$bin/pubsub_publisher" --endpoint "$endpoint" --interval-ms 10 --count 1000 \
        "${native[@]}" > "$work/pub.out" &
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
    "$bin/reqrep_echo" --mode server --endpoint "$endpoint" --count 3 "${native[@]}" > "$work/server.out" &
    server=$!
    timeout 20 "$bin/reqrep_echo" --mode client --endpoint "$endpoint" --count 3 "${native[@]}" > "$work/client.out" \
        || fail "client exit status $?"
    wait $server || fail "server exit status $?"
    [ "$(grep -c '^Reply: echo: hello [123]$' "$work/client.out")" -eq 3 ] || fail "client did not get 3 echoes"
    ;;
broker)
    timeout 20 "$bin/router_dealer_broker" --clients 5 --workers 3 --requests 4 "${native[@]}" > "$work/broker.out" \
        || fail "broker exit status $?"
    grep -q '^Replies: 20 of 20$' "$work/broker.out" || fail "not every request was answered"
    [ "$(grep -c '^Worker [0-9] served' "$work/broker.out")" -eq 3 ] || fail "not every worker took work"
    ;;
pipeline)
    timeout 20 "$bin/pipeline" --tasks 3000 --workers 3 "${native[@]}" > "$work/pipeline.out" \
        || fail "pipeline exit status $?"
    grep -q '^Sink received 3000 results, sum of squares 9004500500$' "$work/pipeline.out" || fail "wrong sum"
    ;;
sharded)
    timeout 20 "$bin/sharded_workers" --workers 2 --clients 4 --requests 2000 --rounds 20 --report-ms 100 \
        "${native[@]}" > "$work/sharded.out" || fail "sharded_workers exit status $?"
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
    timeout 20 "$bin/zring-cat" --type pull --bind "$endpoint" --count 3 --multipart-sep '|' "${native[@]}" \
        > "$work/pull.out" &
    pull=$!
    printf 'one\ntwo|frames\nthree\n' | timeout 20 "$bin/zring-cat" --type Push --connect "$endpoint" --count 3 \
        --multipart-sep '|' || fail "push exit status $?"
    wait $pull || fail "pull exit status $?"
    [ "$(cat "$work/pull.out")" = "$(printf 'one\ntwo|frames\nthree')" ] || fail "pull printed the wrong lines"
    ;;
tcp-echo)
    timeout --foreground 20 "$bin/tcp_echo" --listen 127.0.0.1:0 2> "$work/server.out" &
    server=$!
    wait_for_line "$work/server.out" '^listening on 127.0.0.1:[0-9]*$'
    address=$(sed -n 's/^listening on //p' "$work/server.out")
    # Two clients at once, one of them large: every byte comes back in order.
    seq 1 20000 > "$work/big.in"
    timeout 20 "$bin/tcp_echo" --connect "$address" < "$work/big.in" > "$work/big.out" &
    big=$!
    printf 'one\ntwo\n' | timeout 20 "$bin/tcp_echo" --connect "$address" > "$work/small.out" \
        || fail "client exit status $?"
    wait $big || fail "large client exit status $?"
    [ "$(cat "$work/small.out")" = "$(printf 'one\ntwo')" ] || fail "the echo differs"
    cmp -s "$work/big.in" "$work/big.out" || fail "the large echo differs"
    # A port nobody listens on any more: a second server's, stopped.
    timeout --foreground 20 "$bin/tcp_echo" --listen 127.0.0.1:0 2> "$work/gone.out" &
    gone=$!
    wait_for_line "$work/gone.out" '^listening on'
    closed=$(sed -n 's/^listening on //p' "$work/gone.out")
    kill -TERM $gone
    wait_bounded $gone "the second server, after SIGTERM," || fail "second server exit status $?"
    timeout 20 "$bin/tcp_echo" --connect "$closed" < /dev/null 2> "$work/refused.out" && fail "connected to $closed"
    grep -q "zring::tcp_stream::connect($closed): Connection refused" "$work/refused.out" \
        || fail "a refused connect said: $(cat "$work/refused.out")"
    kill -TERM $server
    wait_bounded $server "the server, after SIGTERM," || fail "server did not shut down cleanly on SIGTERM ($?)"
    ;;
tcp-bridge)
    timeout --foreground 20 "$bin/zmq_tcp_bridge" --listen 127.0.0.1:0 --pub "ipc://$work/bridge" "${native[@]}" \
        2> "$work/bridge.out" &
    bridge=$!
    wait_for_line "$work/bridge.out" '^listening on 127.0.0.1:[0-9]*,'
    port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\),.*/\1/p' "$work/bridge.out")
    exec 3<>"/dev/tcp/127.0.0.1/$port" 4<>"/dev/tcp/127.0.0.1/$port"
    # What is published before the bridge's SUB has joined its own PUB is
    # lost, as ZeroMQ's PUB/SUB does: a says hello until b hears one.
    heard=
    for i in $(seq 200); do
        printf 'hello %d\n' "$i" >&3
        if read -t 0.05 -r heard <&4; then break; fi
    done
    [[ $heard == "hello "* ]] || fail "client b heard nothing of client a's lines"
    # Now a line from b reaches both, CR LF ended as telnet and nc -C send it.
    printf 'from b\r\n' >&4
    for fd in 3 4; do
        line=
        while [ "$line" != "from b" ]; do
            read -t 5 -r line <&$fd || fail "client $fd: no 'from b' (last line: '$line')"
        done
    done
    # A line past 64 KiB ends that client only.
    exec 5<>"/dev/tcp/127.0.0.1/$port"
    head -c 70000 /dev/zero | tr '\0' x >&5 || true
    rc=0  # read: 0 for a line, 1 at the end (or a reset), above 128 on its timeout
    while [ $rc -eq 0 ]; do read -t 5 -r line <&5 2> /dev/null && rc=0 || rc=$?; done
    [ $rc -le 128 ] || fail "a client with a 70,000-byte line is still connected 5 s later"
    wait_for_line "$work/bridge.out" 'read_until: .*65536'
    printf 'still here\n' >&3
    line=
    while [ "$line" != "still here" ]; do read -t 5 -r line <&4 || fail "the bridge stopped serving"; done
    exec 3>&- 4>&- 5>&-
    kill -TERM $bridge
    wait_bounded $bridge "the bridge, after SIGTERM," || fail "bridge did not shut down cleanly on SIGTERM ($?)"
    ;;
web-dashboard)
    # Without a browser (the browser test has one): the page, the event
    # stream and the form, with curl; then a clean Ctrl-C.
    command -v curl > /dev/null || { echo "zring-test-skipped: curl is not installed"; exit 0; }
    timeout 20 "$bin/pubsub_publisher" --endpoint "$endpoint" --interval-ms 20 > "$work/publisher.out" 2>&1 &
    timeout 20 "$bin/reqrep_echo" --mode server --endpoint "ipc://$work/echo" > "$work/echo.out" 2>&1 &
    timeout --foreground 20 "$bin/web_dashboard" --port 0 --sub "$endpoint" --echo "ipc://$work/echo" \
        "${native[@]}" > "$work/dashboard.out" 2>&1 &
    dashboard=$!
    wait_for_line "$work/dashboard.out" '^listening on http://127.0.0.1:[0-9]*/$'
    url=$(sed -n 's/^listening on //p' "$work/dashboard.out")
    curl -sS --max-time 5 "$url" | grep -q 'new EventSource' || fail "GET / is not the page"
    # libzmq names its threads ZMQbg/...: the native engine starts none.
    server_pid=$(cat /proc/$dashboard/task/$dashboard/children)  # timeout runs it
    libzmq_threads=$(cat /proc/${server_pid// /}/task/*/comm | grep -c '^ZMQbg' || true)
    if [ ${#native[@]} -gt 0 ]; then
        [ "$libzmq_threads" -eq 0 ] || fail "web_dashboard --engine native runs $libzmq_threads libzmq threads"
    else
        [ "$libzmq_threads" -gt 0 ] || fail "web_dashboard on libzmq shows no libzmq thread (is the check blind?)"
    fi
    curl -sS --max-time 2 -N "${url}events" > "$work/events.out" 2>&1 || true  # ends at --max-time
    grep -q '^data: updates [0-9]*$' "$work/events.out" || fail "no update on /events"
    [ "$(curl -sS --max-time 5 --data-urlencode 'text=hi there' "${url}send")" = "echo: hi there" ] \
        || fail "POST /send did not come back from the echo service"
    [ "$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -d 'other=1' "${url}send")" = 400 ] \
        || fail "POST /send without a text field is not 400"
    kill -INT $dashboard
    wait_bounded $dashboard "web_dashboard, after SIGINT," || fail "web_dashboard did not shut down cleanly ($?)"
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
    "$bin/zring-cat" --version > "$work/out" || fail "--version exit status $?"
    grep -Eq '^zring-cat \(zring [0-9]+\.[0-9]+\.[0-9]+, libzmq [0-9]+\.[0-9]+\.[0-9]+\)$' "$work/out" \
        || fail "--version printed: $(cat "$work/out")"
    "$bin/zring-cat" --help > "$work/out" || fail "--help exit status $?"
    for status in 0 1 2; do
        grep -q "^  $status  " "$work/out" || fail "--help does not document exit status $status"
    done
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
guide-lazy-pirate)
    # The server overloads (the client retries on a new socket; the late reply
    # to the old one is dropped), then crashes; restarted, it serves the rest.
    timeout --foreground 20 "$bin/lpserver" --endpoint "$endpoint" --crash-after 3 --overload-every 2 \
        --overload-ms 600 > "$work/server1.out" &
    server=$!
    timeout 20 "$bin/lpclient" --endpoint "$endpoint" --requests 8 --timeout-ms 300 --retries 20 "${native[@]}" \
        > "$work/client.out" &
    client=$!
    set +e; wait_bounded $server "the first server"; rc=$?; set -e
    [ $rc -eq 3 ] || fail "the first server did not simulate a crash (exit $rc)"
    timeout --foreground 20 "$bin/lpserver" --endpoint "$endpoint" --crash-after 0 --overload-every 0 "${native[@]}" \
        > "$work/server2.out" &
    server=$!
    wait_bounded $client "the client" || fail "client exit status $?"
    kill -TERM $server || fail "the second server ended early"
    wait_bounded $server "the second server, after SIGTERM," || fail "the second server exit status $?"
    # The requests that the overload delayed and the crash swallowed were retried.
    for what in 'CPU overload' 'a crash'; do
        request=$(sed -n "s/^I: simulating $what (\(.*\))$/\1/p" "$work/server1.out")
        [ -n "$request" ] || fail "the first server did not simulate $what"
        grep -q "^W: no response from server, retrying $request$" "$work/client.out" || fail "$request not retried"
    done
    for n in 1 2 3 4 5 6 7 8; do
        grep -Eq "^I: (normal request|simulating CPU overload) \(client:$n\)$" "$work"/server*.out \
            || fail "no server answered client:$n"
    done
    grep -q '^I: 8 replies, each to its request$' "$work/client.out" || fail "the client did not finish"
    # With no server at all, it gives up after its retries, with exit status 1.
    set +e
    timeout 20 "$bin/lpclient" --endpoint "ipc://$work/nobody" --requests 1 --timeout-ms 50 --retries 2 \
        > "$work/offline.out"; rc=$?
    set -e
    [ $rc -eq 1 ] || fail "a client without a server gave exit $rc"
    [ "$(grep -c '^W: no response from server, retrying client:1$' "$work/offline.out")" -eq 1 ] || fail "not 1 retry"
    grep -q '^E: server seems to be offline, abandoning client:1$' "$work/offline.out" || fail "did not give up"
    ;;
guide-paranoid-pirate)
    frontend="ipc://$work/frontend"
    backend="ipc://$work/backend"
    heartbeat=(--heartbeat-ms 200 --liveness 3)
    # exec: the job's pid is timeout's, which passes SIGTERM on to the program.
    queue() {
        exec timeout --foreground 30 "$bin/ppqueue" --frontend "$frontend" --backend "$backend" "${heartbeat[@]}" \
            "${native[@]}"
    }
    worker() {
        exec timeout --foreground 30 "$bin/ppworker" --endpoint "$backend" "${heartbeat[@]}" --reconnect-min-ms 100 \
            --reconnect-max-ms 800 "${native[@]}" "$@"
    }
    queue > "$work/queue1.out" &
    queue1=$!
    worker --id A --crash-after 3 > "$work/A.out" &
    a=$!
    worker --id B > "$work/B.out" &
    b=$!
    wait_for_line "$work/queue1.out" '^I: worker A.0 ready$'
    wait_for_line "$work/queue1.out" '^I: worker B.0 ready$'
    # A worker that hangs stops heartbeating: the queue expires it.
    stopped=$(program_of $b)
    kill -STOP $stopped || fail "worker B ended early"
    wait_for_line "$work/queue1.out" '^I: worker B.0 expired$'
    kill -CONT $stopped
    stopped=
    # The queue dies: both workers miss its heartbeats and reconnect, waiting
    # twice as long each time it is still away.
    kill -KILL "$(program_of $queue1)" || fail "the queue ended early"
    wait_for_line "$work/A.out" '^W: reconnecting in 200 ms$'
    wait_for_line "$work/B.out" '^W: reconnecting in 200 ms$'
    queue > "$work/queue2.out" &
    queue2=$!
    wait_for_line "$work/queue2.out" '^I: worker A\.[0-9]* ready$'
    wait_for_line "$work/queue2.out" '^I: worker B\.[0-9]* ready$'
    # Two Lazy Pirate clients; A crashes on its 4th request, B serves the rest.
    for c in c1 c2; do
        timeout 30 "$bin/lpclient" --endpoint "$frontend" --id $c --requests 10 --timeout-ms 1000 --retries 5 \
            > "$work/$c.out" &
        eval "$c=\$!"
    done
    wait_bounded $c1 "client c1" || fail "client c1 exit status $?"
    wait_bounded $c2 "client c2" || fail "client c2 exit status $?"
    set +e; wait_bounded $a "worker A"; rc=$?; set -e
    [ $rc -eq 3 ] || fail "worker A did not simulate a crash (exit $rc)"
    kill -TERM $queue2 $b || fail "the queue or worker B ended early"
    wait_bounded $queue2 "the queue, after SIGTERM," || fail "queue exit status $?"
    wait_bounded $b "worker B, after SIGTERM," || fail "worker B exit status $?"
    for c in c1 c2; do
        grep -q '^I: 10 replies, each to its request$' "$work/$c.out" || fail "client $c did not get every reply"
    done
    grep -q '^W: no response from server, retrying' "$work/c1.out" "$work/c2.out" || fail "A's crash cost no retry"
    ;;
guide-asyncsrv)
    # In one process, as in the Guide.
    timeout 20 "$bin/asyncsrv" --endpoint "$endpoint" --clients 3 --workers 4 --requests 20 --interval-ms 2 \
        "${native[@]}" > "$work/all.out" || fail "asyncsrv exit status $?"
    for c in 0 1 2; do
        grep -Eq "^Client client-$c: 20 requests, 50 replies, [0-9]+ duplicates, none misrouted$" "$work/all.out" \
            || fail "client-$c did not get its 50 replies"
    done
    # Apart: the server crashes mid-run and is restarted; the clients resend
    # what it lost and get every reply, each counted once.
    timeout --foreground 20 "$bin/asyncsrv" --role server --endpoint "$endpoint" --crash-after 15 "${native[@]}" \
        > "$work/server1.out" &
    server=$!
    timeout 20 "$bin/asyncsrv" --role clients --endpoint "$endpoint" --clients 3 --requests 20 --interval-ms 5 \
        --timeout-ms 500 --retries 10 > "$work/clients.out" &
    clients=$!
    set +e; wait_bounded $server "the first server"; rc=$?; set -e
    [ $rc -eq 3 ] || fail "the first server did not simulate a crash (exit $rc)"
    timeout --foreground 20 "$bin/asyncsrv" --role server --endpoint "$endpoint" "${native[@]}" > "$work/server2.out" &
    server=$!
    wait_bounded $clients "the clients" || fail "clients exit status $?"
    # Requests come off the network: malformed ones are dropped, not fatal.
    printf 'hello #zz\nx #99999999999999999999999\n' \
        | timeout 20 "$bin/zring-cat" --type dealer --connect "$endpoint" --timeout-ms 500 > /dev/null 2>&1 || true
    [ "$(grep -c '^E: malformed request dropped: ' "$work/server2.out")" -eq 2 ] || fail "malformed requests not dropped"
    kill -TERM $server || fail "the second server ended early"
    wait_bounded $server "the second server, after SIGTERM," || fail "the second server exit status $?"
    for c in 0 1 2; do
        grep -Eq "^Client client-$c: 20 requests, 50 replies, [0-9]+ duplicates, none misrouted$" "$work/clients.out" \
            || fail "client-$c did not get its 50 replies"
    done
    grep -q 'not fully answered, resending$' "$work/clients.out" || fail "the crash cost no resend"
    ;;
no-backend)
    # io_uring and epoll both refused: every program says why in one line and exits 1.
    [ -n "$refuse" ] || fail "no refuse-syscalls given"
    for program in pubsub_demo pubsub_publisher pubsub_subscriber pipeline router_dealer_broker sharded_workers zring-cat \
                   lpserver lpclient ppqueue ppworker asyncsrv; do
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
    # Where io_uring is refused the demo runs on epoll, and --verbose says so;
    # a zring built without io_uring says that too.
    [ -n "$refuse" ] || fail "no refuse-syscalls given"
    said="zring: scheduler backend epoll"
    [ -n "${ZRING_TEST_EPOLL_ONLY:-}" ] && said="$said (this zring was built without io_uring)"
    automatic timeout 20 "$refuse" io_uring -- "$bin/pubsub_demo" --verbose --count 2 --interval-ms 20 --endpoint "$endpoint" \
        > "$work/demo.out" 2> "$work/demo.err" || fail "demo under a refused io_uring exited with $?"
    grep -qxF "$said" "$work/demo.err" || fail "--verbose did not say: $said"
    [ "$(grep -c '^Received: updates [0-9]*$' "$work/demo.out")" -eq 2 ] || fail "demo on epoll did not receive 2 updates"
    ZRING_BACKEND=epoll timeout 20 "$bin/zring-cat" --verbose --type PUB --bind "$endpoint" < /dev/null 2> "$work/cat.err" \
        || fail "zring-cat on epoll exited with $?"
    grep -qxF "$said" "$work/cat.err" || fail "zring-cat --verbose did not say: $said"
    ;;
*) echo "unknown case $case_name"; exit 2 ;;
esac
echo "ok: $case_name"
