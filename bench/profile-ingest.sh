#!/usr/bin/env bash
# bench/profile-ingest.sh POSTS_DIR [OUT]: where a first ingest's CPU goes, by
# thread and by kind of work. Runs `postd ingest` of POSTS_DIR into a fresh
# database in a temporary folder under `perf record` (software clock, so it works
# in a VM without hardware counters), then prints, per thread (postd: the walk and
# the writer; postd-parse: the parsers; postd-index: the search index), the share
# of its samples in SQLite, the kernel's page-cache copies, malloc, the parsing
# libraries and postd's own code. bench/results/profile.md quotes its output.
# Needs perf (Debian package linux-perf) and a built postd (BUILD, default build).
set -euo pipefail
cd "$(dirname "$0")/.."
POSTS_DIR=${1:?usage: bench/profile-ingest.sh POSTS_DIR [OUT]}
OUT=${2:-/dev/stdout}
BUILD=${BUILD:-build}
command -v perf >/dev/null || { echo "perf not found: apt-get install linux-perf" >&2; exit 2; }
[ -x "$BUILD/postd" ] || { echo "$BUILD/postd not found: build first" >&2; exit 2; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
sync
perf record -q -e cpu-clock -F 999 -o "$TMP/perf.data" \
    "$BUILD/postd" ingest --config config/postd.yaml --db "$TMP/x.db" "$POSTS_DIR" \
    >"$TMP/ingest.log" 2>&1 || { tail -3 "$TMP/ingest.log" >&2; exit 2; }

perf script -i "$TMP/perf.data" -F comm,ip,sym,dso 2>/dev/null | awk -v line="$(tail -1 "$TMP/ingest.log")" '
{
    comm = $1; dso = $NF; sym = $3
    if (dso ~ /sqlite/) c = "SQLite"
    else if (sym ~ /copy_folio_from_iter|copy_page_from_iter|clear_page|_copy_to_iter/) c = "kernel: page-cache copies"
    else if (sym ~ /irq_enable/) c = "kernel: interrupt enable on syscall and fault exit"
    else if (dso ~ /kernel/) c = "kernel: other"
    else if (sym ~ /^(_int_free|_int_malloc|malloc|malloc_consolidate|cfree@.*|free|realloc|_int_realloc|unlink_chunk.*|sysmalloc|calloc)$/) c = "malloc/free"
    else if (sym ~ /^__(mem|str)/) c = "libc strings and copies"
    else if (dso ~ /libc\.so/) c = "libc other (locks, syscall stubs)"
    else if (dso ~ /jansson/) c = "jansson"
    else if (dso ~ /yaml/) c = "libyaml"
    else if (dso ~ /md4c/) c = "md4c"
    else if (dso ~ /postd\)?$/) c = "postd"
    else c = "other"
    n[comm SUBSEP c]++; t[comm]++; all++
}
END {
    printf "postd ingest: %s\n%d samples at 999 Hz (about %.1f s of CPU)\n", line, all, all / 999
    for (comm in t) {
        printf "\n%s: %d samples, %.1f%% of all\n", comm, t[comm], 100 * t[comm] / all
        for (k in n) {
            split(k, a, SUBSEP)
            if (a[1] == comm)
                printf "  %5.1f%%  %s\n", 100 * n[k] / t[comm], a[2] | "sort -rn"
        }
        close("sort -rn")
    }
}' >"$OUT"
