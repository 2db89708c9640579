#!/usr/bin/env bash
# Reingest under load: the same posts in two versions, every title ending in " [A]"
# or " [B]"; the server starts on version A, and while wrk loads it with 20-post
# lists (fields=id,title; pages, filters, sorts, a cursor) and single posts, the
# database is re-ingested 10 times, alternating B, A, B, ... Passes when every
# ingest succeeded, wrk saw no socket error and only 2xx/304, no response mixed
# the versions (count.lua: a body with both marks, or a list with an unmarked title),
# both versions were served, and after the last ingest the server serves it.
#
#   tests/reliability/reingest.sh [POSTD]     (default build/postd)
# Environment: REINGEST_POSTS (400), REINGEST_RUNS (10), REINGEST_CONNECTIONS (32).
. "$(dirname "$0")/lib.sh"
rel_init reingest "$@"

posts=${REINGEST_POSTS:-400}
runs=${REINGEST_RUNS:-10}
conns=${REINGEST_CONNECTIONS:-32}
db=$WORK/postd.db

make_versions "$posts" "$WORK" || { bad "cannot make the A/B versions"; rel_finish; }
setup_ingest "$db" "$WORK/A" "$WORK/ingest-0.log" "first ingest failed"
serve_ready serve --db "$db"
first=$(curl -fsS -m 5 "$BASE/v1/posts?limit=20&fields=id,title")
tag=$(curl -fsS -m 5 "$BASE/v1/tags?limit=1" | grep -o '"slug":"[^"]*"' | head -n 1 |
    sed 's/"slug":"//; s/"$//')
cursor=$(printf %s "$first" | grep -o '"next_cursor":"[^"]*"' | sed 's/.*:"//; s/"$//')
mapfile -t ids < <(printf %s "$first" | grep -o '"id":"[^"]*"' | sed 's/"id":"//; s/"$//' | head -n 3)
paths=("/v1/posts?fields=id,title" "/v1/posts?fields=id,title&page=2"
    "/v1/posts?fields=id,title&page=7" "/v1/posts?fields=id,title&sort=title"
    "/v1/posts?fields=id,title&sort=-updated")
[ -n "$tag" ] && paths+=("/v1/posts?fields=id,title&tag=$tag" "/v1/tags/$tag/posts?fields=id,title")
[ -n "$cursor" ] && paths+=("/v1/posts?fields=id,title&limit=20&cursor=$cursor")
for id in "${ids[@]}"; do paths+=("/v1/posts/$id"); done
log "routes: ${paths[*]}"
for p in "${paths[@]}"; do
    code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$BASE$p")
    [ "$code" = 200 ] || bad "GET $p answers $code before the load"
done

wrk_run "$WORK/wrk.out" 300 "$conns" "$BASE" "${paths[@]}"
sleep 2
ingest_fail=0
t0=$(now_ms)
for n in $(seq "$runs"); do
    v=B
    [ $((n % 2)) = 0 ] && v=A
    rc=0
    "$POSTD" ingest --config /dev/null --db "$db" "$WORK/$v" >"$WORK/ingest-$n.log" 2>&1 || rc=$?
    if [ "$rc" != 0 ]; then
        ingest_fail=$((ingest_fail + 1))
        log "ingest $n ($v) exit $rc: $(tail -n 3 "$WORK/ingest-$n.log")"
    fi
    sleep 0.5
done
ingest_ms=$(($(now_ms) - t0))
sleep 2
kill -INT "$WRK_PID" 2>/dev/null # wrk prints its summary (and count.lua's) on SIGINT
wait_pid "$WRK_PID" 15
cat "$WORK/wrk.out"

last=$v
final=$(curl -fsS -m 5 "$BASE/v1/posts?limit=100&fields=id,title")
final_n=$(printf %s "$final" | grep -o " \[$last\]\"" | wc -l)
ready=$(curl -fsS -m 5 "$BASE/readyz")
gen=$(printf %s "$ready" | grep -o '"generation":[0-9]*' | grep -o '[0-9]*$')

reqs=$(wrk_get "$WORK/wrk.out" requests)
sock=$(wrk_get "$WORK/wrk.out" socket)
badn=$(wrk_get "$WORK/wrk.out" bad)
marked=$(wrk_get "$WORK/wrk.out" marked)
with_a=$(wrk_get "$WORK/wrk.out" with_a)
with_b=$(wrk_get "$WORK/wrk.out" with_b)
mixed=$(wrk_get "$WORK/wrk.out" mixed)
unmarked=$(wrk_get "$WORK/wrk.out" unmarked)
figure "$runs ingests of $posts posts (A/B alternating) in $((ingest_ms / 1000)) s under" \
    "$conns connections: ${reqs:-?} requests ($(wrk_get "$WORK/wrk.out" rps) req/s)," \
    "${marked:-?} bodies checked (${with_a:-?} version A, ${with_b:-?} version B)," \
    "mixed: ${mixed:-?}, lists with an unmarked title: ${unmarked:-?}, non-2xx/304: ${badn:-?}," \
    "socket errors: ${sock:-none}, failed ingests: $ingest_fail, generation now ${gen:-?}"

check "every ingest succeeded ($ingest_fail of $runs failed)" test "$ingest_fail" = 0
check "no socket errors (${sock:-none})" test -z "$sock"
check "every response 2xx or 304 (${badn:-?} bad, first: $(wrk_get "$WORK/wrk.out" first_bad))" \
    test "${badn:-x}" = 0
check "responses were checked (${marked:-0})" test "${marked:-0}" -gt 100
check "no response mixed the versions (${mixed:-?})" test "${mixed:-x}" = 0
check "no list held an unmarked title (${unmarked:-?})" test "${unmarked:-x}" = 0
check "both versions were served (A ${with_a:-0}, B ${with_b:-0})" \
    test "${with_a:-0}" -gt 0 -a "${with_b:-0}" -gt 0
check "after the last ingest the server serves version $last ($final_n of 100)" \
    test "$final_n" = 100
check "the generation counted the ingests (${gen:-?} >= $((runs + 1)))" \
    test "${gen:-0}" -ge $((runs + 1))
stop_postd "$SERVER_PID"
src=$?
check "server exits 0 on SIGTERM (exit $src)" test "$src" = 0
rel_finish
