#!/usr/bin/env bash
# Soak: wrk at 256 connections on mixed routes (single posts, filtered lists, term
# lists, a search, a cursor page, 304 revalidations), first 10 s of warm-up, then
# 60 s more of the same load. Passes when wrk saw no socket error, every response
# was 2xx or 304 (counted in count.lua's response()), some 304s really came back,
# and the server's VmRSS does not grow: its peak over the second half of the soak is
# at most 1.1x its peak over the first half. (VmRSS moves between about 10 and 14 MB
# under this load as malloc returns and takes memory: one reading after the warm-up
# and one at the end compared the trough with the plateau in 1 run of 3. A leak
# raises the peaks half after half.)
# The server runs with its built-in defaults (connection_limit 1024 >= 256).
#
#   tests/reliability/soak.sh [POSTD]     (default build/postd)
# Environment: SOAK_SECONDS (60), SOAK_WARMUP (10), SOAK_CONNECTIONS (256),
# SOAK_POSTS (500 generated posts, about the size of the real site).
. "$(dirname "$0")/lib.sh"
rel_init soak "$@"

secs=${SOAK_SECONDS:-60}
warm=${SOAK_WARMUP:-10}
conns=${SOAK_CONNECTIONS:-256}
posts=${SOAK_POSTS:-500}

"$POSTD_GEN" --count "$posts" --out "$WORK/posts" >/dev/null || exit 1
setup_ingest "$WORK/postd.db" "$WORK/posts" "$WORK/ingest.log" "ingest failed"

limit=$("$POSTD" config --config /dev/null | sed -n 's/^connection_limit: \([0-9]*\).*/\1/p')
check "the default connection_limit ($limit) allows $conns connections" test "${limit:-0}" -ge "$conns"

# access log on, as in production, but to /dev/null: its bytes are not the subject
SERVE_OUT=/dev/null serve_ready serve --db "$WORK/postd.db"

mapfile -t paths < <(paths_from_data "$BASE")
log "${#paths[@]} routes: ${paths[*]}"
check "routes from the data include posts, lists, a cursor page and revalidations" \
    test "$(printf '%s\n' "${paths[@]}" | grep -c -e 'cursor=' -e '|' -e '/v1/posts/')" -ge 5
# each route answers on its own before the load (a 4xx here would hide in the numbers)
for p in "${paths[@]}"; do
    path=${p%%|*}
    code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$BASE$path")
    [ "$code" = 200 ] || bad "GET $path answers $code before the load"
done

rss0=$(rss_kb "$SERVER_PID")
wrk_run "$WORK/warm.out" "$warm" "$conns" "$BASE" "${paths[@]}"
wait_pid "$WRK_PID" $((warm + 20))
warm_rc=$?
rss_warm=$(rss_kb "$SERVER_PID")
log "warm-up: $(wrk_get "$WORK/warm.out" rps) req/s, VmRSS ${rss0} -> ${rss_warm} kB"

wrk_run "$WORK/soak.out" "$secs" "$conns" "$BASE" "${paths[@]}"
# VmRSS every second: the peak of each half of the soak
peak=$rss_warm
peak1=0
peak2=0
t0=$(date +%s)
t_end=$((t0 + secs + 20))
while kill -0 "$WRK_PID" 2>/dev/null && [ "$(date +%s)" -lt "$t_end" ]; do
    r=$(rss_kb "$SERVER_PID")
    if [ -n "$r" ]; then
        [ "$r" -gt "$peak" ] && peak=$r
        if [ $(($(date +%s) - t0)) -lt $((secs / 2)) ]; then
            [ "$r" -gt "$peak1" ] && peak1=$r
        else
            [ "$r" -gt "$peak2" ] && peak2=$r
        fi
    fi
    sleep 1
done
wait_pid "$WRK_PID" 5
soak_rc=$?
rss_after=$(rss_kb "$SERVER_PID")
cat "$WORK/soak.out"

rps=$(wrk_get "$WORK/soak.out" rps)
reqs=$(wrk_get "$WORK/soak.out" requests)
sock=$(wrk_get "$WORK/soak.out" socket)
wsock=$(wrk_get "$WORK/warm.out" socket)
good=$(wrk_get "$WORK/soak.out" good)
badn=$(wrk_get "$WORK/soak.out" bad)
n304=$(wrk_get "$WORK/soak.out" not_modified)
wbad=$(wrk_get "$WORK/warm.out" bad)
ratio=$(awk -v a="${rss_after:-0}" -v w="${rss_warm:-1}" 'BEGIN { printf "%.3f", a / w }')
growth=$(awk -v a="$peak2" -v b="$peak1" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')

figure "$conns connections, ${secs} s after ${warm} s warm-up: ${reqs:-?} requests, ${rps:-?} req/s," \
    "p50 $(wrk_get "$WORK/soak.out" p50_us) us, p99 $(wrk_get "$WORK/soak.out" p99_us) us," \
    "socket errors: ${sock:-none}, non-2xx/304: ${badn:-?} (first: $(wrk_get "$WORK/soak.out" first_bad))," \
    "304s: ${n304:-?}; VmRSS start ${rss0} kB, warm ${rss_warm} kB, after ${rss_after} kB" \
    "(x${ratio}), peak ${peak} kB; peak of the first half ${peak1} kB, of the second ${peak2} kB" \
    "(x${growth})"

check "wrk ran its warm-up and soak (exit $warm_rc, $soak_rc)" test "$warm_rc" = 0 -a "$soak_rc" = 0
check "wrk made requests (${reqs:-0})" test "${reqs:-0}" -gt 0
check "no socket errors (warm-up: ${wsock:-none}; soak: ${sock:-none})" test -z "$sock$wsock"
check "every response 2xx or 304 (soak: ${good:-?} good, ${badn:-?} bad; warm-up bad: ${wbad:-?})" \
    test "${badn:-x}" = 0 -a "${wbad:-x}" = 0 -a "${good:-0}" -gt 0
check "revalidations answered 304 (${n304:-0})" test "${n304:-0}" -gt 0
check "VmRSS sampled in both halves of the soak (peaks $peak1, $peak2 kB)" \
    test "$peak1" -gt 0 -a "$peak2" -gt 0
check "VmRSS peak of the second half $peak2 kB <= 1.1 x the first half's $peak1 kB (x$growth)" \
    le "$peak2" "$(awk -v w="$peak1" 'BEGIN { print w * 1.1 }')"
check "server still serving after the soak" curl -fsS -m 2 -o /dev/null "$BASE/healthz"
stop_postd "$SERVER_PID"
src=$?
check "server stopped cleanly on SIGTERM (exit $src)" test "$src" = 0
rel_finish
