#!/usr/bin/env bash
# g++ 12 mis-compiles three uses of co_await (README, "Compilers"): in the
# right operand of && or ||, where it runs even when the left operand
# decides; inside a Catch2 assertion, whose macro expands it more than once;
# and around a lambda temporary that captures by value, which it destroys
# twice. All compile cleanly and then hang, repeat an operation or free
# twice, so no source of the project may contain them.
# usage: check_co_await.sh SOURCE_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$1"
files=$(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find . -name '*.[ch]pp' -not -path './build/*')
found=0
for f in $files; do
    # Whole-file matches (-z), so an operand split across lines is caught.
    if grep -Pzq '(&&|\|\|)\s*co_await\b' "$f"; then
        echo "$f: co_await in the right operand of && or ||: await into a variable first"
        found=1
    fi
    # Each assertion's balanced argument list, searched for co_await.
    if grep -Pzo '\b(?:CHECK|REQUIRE)[A-Z_]*\s*(\((?:[^()]|(?1))*\))' "$f" | tr '\0' '\n' | grep '\bco_await\b' >/dev/null; then
        echo "$f: co_await inside a Catch2 assertion: await into a variable first"
        found=1
    fi
done
# shellcheck disable=SC2086 # the file list
perl "$here/lambda_captures.pl" $files || found=1
[ $found -eq 0 ] || exit 1
echo "ok: no co_await that g++ 12 mis-compiles"
