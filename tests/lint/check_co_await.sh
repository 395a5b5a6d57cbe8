#!/usr/bin/env bash
# No source of zring holds a use of co_await that g++ 12 mis-compiles
# (README, "Compilers"; the forms are listed in co_await_forms.pl). They
# compile cleanly and then hang, repeat an operation or free twice.
# usage: check_co_await.sh SOURCE_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$1"
# compiler_forms/ holds those forms on purpose (check_compiler_forms.sh).
mapfile -t files < <(git ls-files -- '*.cpp' '*.hpp' ':!tests/lint/compiler_forms/')
[ ${#files[@]} -gt 0 ] || { echo "FAIL: no C++ sources under $1 (not a git work tree of zring?)"; exit 1; }
perl "$here/co_await_forms.pl" "${files[@]}"
echo "ok: no co_await form that g++ 12 mis-compiles in ${#files[@]} files"
