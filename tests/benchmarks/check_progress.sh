#!/usr/bin/env bash
# Long runs say how far along they are on a terminal, and nothing when
# stderr is not one. `script` gives the command a terminal.
# usage: check_progress.sh ZRING_BENCH SOURCE_DIR
set -euo pipefail
bench=$1 source=$2
work=$(mktemp -d) || { echo "FAIL: mktemp -d"; exit 1; }
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; cat "$work"/* 2>/dev/null; exit 1; }
command -v script >/dev/null || fail "script(1) is not installed (util-linux)"
# script(1) runs its command with $SHELL, whatever the caller's login shell is.
export SHELL=/bin/sh

# On a terminal: n of m, the time so far, each repetition.
script -qec "'$bench' loop fanin --quick > /dev/null" /dev/null > "$work/tty" ||
    fail "zring-bench under script(1): exit status $?"
grep -Eq '^zring-bench \[1/2 fanin, [0-9]+:[0-9]{2} elapsed\] fanin sockets=1 .*repetition 1 of 1' "$work/tty" \
    || fail "no progress for fanin"
grep -Eq '^zring-bench \[2/2 loop, [0-9]+:[0-9]{2} elapsed\] loop n=.*repetition 1 of 1' "$work/tty" \
    || fail "no progress for loop"

# Not on a terminal: stderr stays clean.
"$bench" loop --quick > "$work/stdout" 2> "$work/stderr" || fail "zring-bench exit status $?"
[ ! -s "$work/stderr" ] || fail "progress on stderr that is not a terminal"
grep -q 'loop' "$work/stdout" || fail "no results"

# run_suite.sh's steps, the same way. A script file, not an exported
# function: an exported function would not survive a $SHELL that is not bash.
cat > "$work/announce" <<EOF || fail "cannot write $work/announce"
steps=2
. '$source/benchmarks/announce.sh'
announce first
announce second
EOF
script -qec "bash '$work/announce'" /dev/null > "$work/steps-tty" || fail "announce under script(1): exit status $?"
grep -Eq '^run_suite \[1/2, 0:[0-9]{2} elapsed\] first' "$work/steps-tty" || fail "no step 1 of 2"
grep -Eq '^run_suite \[2/2, 0:[0-9]{2} elapsed\] second' "$work/steps-tty" || fail "no step 2 of 2"
bash "$work/announce" 2> "$work/steps-stderr" || fail "announce exit status $?"
[ ! -s "$work/steps-stderr" ] || fail "run_suite steps on stderr that is not a terminal"
echo "ok: progress on a terminal only"
