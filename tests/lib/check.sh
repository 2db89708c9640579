# The checks of the shell test scripts (bash; source it): ok and bad count a
# check and print its line, check runs a command as one check, check_finish
# NAME prints "NAME: N passed, M failed" and exits 0, or 1 on any failure.
# CHECK_PREFIX, when set, starts the text of every ok/FAIL line.
# shellcheck shell=bash
passed=0
failed=0

ok() {
    passed=$((passed + 1))
    echo "ok   ${CHECK_PREFIX-}$*"
}
bad() {
    failed=$((failed + 1))
    echo "FAIL ${CHECK_PREFIX-}$*"
}
# check WHAT CMD...: ok when CMD succeeds.
check() {
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
check_finish() {
    echo "$1: $passed passed, $failed failed"
    if [ "$failed" -eq 0 ]; then exit 0; fi
    exit 1
}
