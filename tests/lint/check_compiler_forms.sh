#!/usr/bin/env bash
# Each program in compiler_forms/ is a co_await form that exits 0 when it is
# compiled right. Built with the given compilers and run, it shows which of
# them get it wrong (a hang, a crash or a wrong result); whatever they do,
# the lint (co_await_forms.pl) must flag every one.
# usage: check_compiler_forms.sh INCLUDE_DIR WORK_DIR CXX...
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
include=$1 work=$2
shift 2
mkdir -p "$work"
failed=0
for form in "$here"/compiler_forms/*.cpp; do
    name=$(basename "$form" .cpp)
    if ! perl "$here/co_await_forms.pl" "$form" >/dev/null; then
        :  # flagged, as it must be
    else
        echo "FAIL: the lint does not flag $name"
        failed=1
    fi
    for cxx in "$@"; do
        command -v "$cxx" >/dev/null || { echo "$name: $cxx is not installed"; continue; }
        binary="$work/$name-$(basename "$cxx")"
        if ! "$cxx" -std=c++20 -O2 -I"$include" "$form" -o "$binary" 2>"$binary.log"; then
            echo "FAIL: $cxx does not compile $name:"; cat "$binary.log"
            failed=1
            continue
        fi
        timeout -s KILL 5 "$binary" </dev/null >/dev/null 2>&1
        rc=$?
        case $rc in
        0) echo "$name: $("$cxx" --version | head -1): right" ;;
        137) echo "$name: $("$cxx" --version | head -1): WRONG (hangs; killed after 5 s)" ;;
        *) echo "$name: $("$cxx" --version | head -1): WRONG (exit status $rc)" ;;
        esac
    done
done
[ "$failed" -eq 0 ] && echo "ok: the lint flags every form in compiler_forms/"
exit "$failed"
