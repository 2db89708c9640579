#!/usr/bin/env bash
# The reliability suite (`make reliability`; not part of ctest): runs each part
# against a built postd, loopback only, every part bounded in time and stopping
# every process it started by PID:
#   soak.sh     256 connections for 60 s on mixed routes: no errors, RSS flat
#   slow.sh     slowloris, quiet half-requests, a flood past connection_limit
#   reingest.sh 10 re-ingests (A/B versions) under load: no error, no mixed response
#   kill9.sh    kill -9 during ingest, 25 times: integrity ok, old or new state only
#   faults.sh   disk full, read-only directory, not a database, missing database
#   sigterm.sh  SIGTERM under load: requests in flight complete, exit 0
# Prints each part's checks, then every "figure:" line and "N passed, M failed"
# (parts); exits 1 when a part failed, 2 on a setup error. About 6-7 minutes.
#
#   tests/reliability/run.sh [POSTD] [PART...]     (default build/postd, all parts)
# Environment: REL_KEEP=1 keeps the work folders; each part's own knobs (see its header).
set -u

dir=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$dir/../.." && pwd)
postd=${1:-$root/build/postd}
[ $# -gt 0 ] && shift
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(soak slow reingest kill9 faults sigterm)

if [ ! -x "$postd" ]; then
    echo "reliability: no postd binary at $postd (build first, or pass its path)"
    exit 2
fi
postd=$(realpath "$postd")

# the tools every part needs, installed once here rather than within a part's limit
# shellcheck disable=SC2034  # lib.sh's log() names its lines with it
REL_NAME=reliability
. "$dir/lib.sh"
ensure_tools || exit 2

work=$(mktemp -d /tmp/postd-reliability.XXXXXX)
chmod 0755 "$work"
part_pid=
tail_pid=
# shellcheck disable=SC2317  # called by the trap
cleanup() {
    # a part stops its own processes in its EXIT trap; this stops the part
    if [ -n "$part_pid" ] && kill -0 "$part_pid" 2>/dev/null; then
        kill -TERM "$part_pid" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$part_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$part_pid" 2>/dev/null
    fi
    [ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null
    if [ "${REL_KEEP:-0}" = 1 ]; then echo "reliability: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# the longest each part may take (seconds); generous against a loaded machine
limit_for() {
    case $1 in
    soak) echo 150 ;;
    kill9) echo 270 ;;
    *) echo 150 ;;
    esac
}

passed=0
failed=0
skipped=0
summary=()
t_all=$(date +%s)
for part in "${parts[@]}"; do
    script=$dir/$part.sh
    if [ ! -x "$script" ]; then
        echo "reliability: no part $part"
        failed=$((failed + 1))
        summary+=("FAIL $part: no such part")
        continue
    fi
    echo "==== $part"
    t0=$(date +%s)
    # made here, before the fork: tail must not start before the part's own
    # redirection has created it (it did in CI, and the log lost each part's checks)
    : >"$work/$part.log"
    # in the background, so that an INT/TERM reaches the trap at once; tail shows
    # the log as it grows and ends when the part has ended
    REL_WORK=$work timeout -k 10 "$(limit_for "$part")" "$script" "$postd" \
        >"$work/$part.log" 2>&1 &
    part_pid=$!
    tail -s 0.2 -n +1 -f --pid="$part_pid" "$work/$part.log" &
    tail_pid=$!
    wait "$part_pid"
    rc=$?
    part_pid=
    wait "$tail_pid"
    tail_pid=
    secs=$(($(date +%s) - t0))
    case $rc in
    0)
        passed=$((passed + 1))
        summary+=("ok   $part (${secs} s)")
        ;;
    77)
        skipped=$((skipped + 1))
        summary+=("skip $part (${secs} s)")
        ;;
    124)
        failed=$((failed + 1))
        summary+=("FAIL $part: over its $(limit_for "$part") s limit")
        ;;
    *)
        failed=$((failed + 1))
        summary+=("FAIL $part (exit $rc, ${secs} s)")
        ;;
    esac
done

echo
echo "==== figures"
for part in "${parts[@]}"; do
    grep -h '^figure: ' "$work/$part.log" 2>/dev/null
done
echo
echo "==== parts"
printf '%s\n' "${summary[@]}"
echo "reliability: $passed passed, $failed failed$([ "$skipped" -gt 0 ] && echo ", $skipped skipped")" \
    "in $(($(date +%s) - t_all)) s"
[ "$failed" -eq 0 ]
