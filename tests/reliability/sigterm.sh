#!/usr/bin/env bash
# SIGTERM under load. While wrk keeps 32 keep-alive connections busy, five slow
# requests are under way, each in flight at the server by construction: their
# request line is in, but their last header line comes 3 to 5 s later, and the
# server answers only a complete request. Then, 2 s after they began, the server
# gets SIGTERM. Passes when every slow request completes with 200 and its
# whole JSON body, the server exits 0 within its grace period (10 s) plus 2 s, wrk
# saw no response outside 2xx/304 and no read error (a request wrk sent on an open
# connection that was never answered; a connection the server is done with should
# be closed between requests, with "Connection: close"). wrk's write errors are its
# reconnects after the exit (its connect is non-blocking, so a refused connect shows
# as a write error): reported, not failed. (A slow 1 MB download is no test here: the
# kernel's socket buffers take the whole response at once, and the server is done;
# a GET with a slowly uploaded body is answered 400 at once.)
#
#   tests/reliability/sigterm.sh [POSTD]     (default build/postd)
. "$(dirname "$0")/lib.sh"
rel_init sigterm "$@"

"$POSTD_GEN" --count 500 --out "$WORK/posts" >/dev/null || exit 1
setup_ingest "$WORK/postd.db" "$WORK/posts" "$WORK/ingest.log" "ingest failed"
serve_ready serve --db "$WORK/postd.db"

wrk_run "$WORK/wrk.out" 60 32 "$BASE" "/v1/posts?limit=20" "/v1/tags" "/healthz" \
    "/v1/posts?page=3"
sleep 1

slow=()
for n in 1 2 3 4 5; do
    (
        exec 3<>"/dev/tcp/127.0.0.1/$PORT" || exit 1
        printf 'GET /v1/posts?limit=%d HTTP/1.1\r\nHost: 127.0.0.1\r\n' "$n" >&3
        sleep "$((2 + (n + 1) / 2)).$((5 * ((n + 1) % 2)))" # 3, 3.5, 4, 4.5, 5 s
        printf 'Connection: close\r\n\r\n' >&3
        timeout 10 cat <&3
    ) >"$WORK/slow-$n.res" 2>/dev/null &
    slow+=("$!")
    track "$!"
done
sleep 2
t_term=$(now_ms)
kill -TERM "$SERVER_PID"
sleep 0.3
# a new connection while the server finishes: refused, or left waiting?
during=$(curl -s -m 2 -o /dev/null -w '%{http_code} %{time_total}' "$BASE/healthz" || true)
wait_pid "$SERVER_PID" 30
src=$?
stop_ms=$(($(now_ms) - t_term))
after=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$BASE/healthz" || true)
for p in "${slow[@]}"; do wait_pid "$p" 30; done
sleep 1
kill -INT "$WRK_PID" 2>/dev/null
wait_pid "$WRK_PID" 15
cat "$WORK/wrk.out"

slow_ok=0
for n in 1 2 3 4 5; do
    log "slow request $n: $(head -n 1 "$WORK/slow-$n.res" | tr -d '\r'), $(wc -c <"$WORK/slow-$n.res") bytes"
    head -n 1 "$WORK/slow-$n.res" | grep -q '^HTTP/1.1 200' &&
        sed '1,/^\r$/d' "$WORK/slow-$n.res" | jq -e ".data | length == $n" >/dev/null 2>&1 &&
        slow_ok=$((slow_ok + 1))
done
sock=$(wrk_get "$WORK/wrk.out" socket)
badn=$(wrk_get "$WORK/wrk.out" bad)
rw=$(printf %s "$sock" | sed -n 's/.*read \([0-9]*\), write \([0-9]*\).*/\1 \2/p')
read -r rd _ <<<"${rw:-0 0}"
figure "SIGTERM with 32 wrk connections and 5 slow requests under way: $slow_ok of 5" \
    "completed with 200 and their body; exit $src after $stop_ms ms; a new" \
    "connection 0.3 s after SIGTERM: ${during:-?} s (code, time), after the exit: ${after:-000};" \
    "wrk: $(wrk_get "$WORK/wrk.out" requests) requests, non-2xx/304 ${badn:-?}," \
    "socket errors: ${sock:-none}"
check "the slow requests in flight completed with 200 and their body ($slow_ok of 5)" \
    test "$slow_ok" = 5
check "the server exited 0 (exit $src)" test "$src" = 0
check "within the 10 s grace + 2 s ($stop_ms ms)" test "$stop_ms" -le 12000
check "wrk saw only 2xx/304 (${badn:-?} other)" test "${badn:-x}" = 0
check "wrk saw no read errors: every request it sent was answered (${sock:-none})" \
    test "${rd:-0}" = 0
rel_finish
