#!/usr/bin/env bash
# Compiles (-fsyntax-only: parsed and type-checked, templates instantiated,
# nothing linked) every ```cpp snippet of the README with each compiler
# given, so that the README shows only code that builds. A snippet with a main() is a
# program; any other is a fragment, compiled as the body of a coroutine
# that has a scheduler and a context at hand (prelude.hpp). None may hold a
# co_await form that g++ 12 mis-compiles (../lint/co_await_forms.pl).
# usage: check_snippets.sh README WORK_DIR "INCLUDE_FLAGS" COMPILER...
set -euo pipefail
readme=$1 work=$2 includes=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work"

awk -v dir="$work" '
    /^```cpp[[:space:]]*$/ { n++; file = sprintf("%s/snippet%d.txt", dir, n); inside = 1; printf "" > file; next }
    /^```/ && inside        { inside = 0; close(file); next }
    inside                  { print >> file }
' "$readme"

snippets=("$work"/snippet*.txt)
[ -e "${snippets[0]}" ] || { echo "no C++ snippets found in $readme"; exit 1; }

for s in "${snippets[@]}"; do
    src=${s%.txt}.cpp
    if grep -q 'int main' "$s"; then
        cp "$s" "$src"
    else
        { echo "#include \"prelude.hpp\""
          echo "zring::task<void> snippet([[maybe_unused]] zring::scheduler& scheduler,"
          echo "                          [[maybe_unused]] zmq::context_t& context) {"
          cat "$s"
          echo "    co_return;"
          echo "}"; } > "$src"
    fi
done

failed=0 missing=()
perl "$here/../lint/co_await_forms.pl" "$work"/snippet*.cpp || failed=1
for cxx in "$@"; do
    if ! command -v "$cxx" >/dev/null; then
        missing+=("$cxx")
        continue
    fi
    for s in "${snippets[@]}"; do
        src=${s%.txt}.cpp
        # shellcheck disable=SC2086 # the include flags are a list
        if "$cxx" -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Wno-unused-variable \
            -I"$here" $includes "$src"; then
            echo "ok: $cxx $(basename "$src")"
        else
            echo "FAILED: $cxx $(basename "$src"):"
            cat -n "$src"
            failed=1
        fi
    done
done
# A missing compiler skips the case, but never hides another's failure.
[ $failed -eq 0 ] || exit 1
[ ${#missing[@]} -eq 0 ] || echo "zring-test-skipped: not installed: ${missing[*]}"
exit 0
