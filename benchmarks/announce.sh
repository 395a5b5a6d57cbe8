# Sourced by run_suite.sh: `announce WHAT` counts a step of $steps and, when
# stderr is a terminal, says on it which step of how many runs and the time
# so far. zring-bench itself then reports each repetition.
step=0
announce() {
    step=$((step + 1))
    [ -t 2 ] || return 0
    printf 'run_suite [%d/%d, %d:%02d elapsed] %s\n' "$step" "$steps" $((SECONDS / 60)) $((SECONDS % 60)) "$1" >&2
}
