#!/usr/bin/env bash
# Slow clients and connection floods, with small values of the two config keys that
# bound them (connection_timeout, connection_limit), driven by slowloris.c (built
# here with cc; no python needed):
#   A. 200 slowloris connections that send one more header byte every second (under
#      the 2 s timeout, so they stay) for 12 s: a probe on a fresh connection
#      (curl /healthz, 2 s limit) every 0.5 s must succeed throughout;
#   B. 200 connections that send half a request and go quiet: the server closes each
#      of them within connection_timeout + 1.5 s; probes succeed throughout;
#   C. a flood of 200 idle connections against connection_limit 64: a client that
#      was already connected (keep-alive, 4 requests/s) is answered throughout, within
#      2 s each, on its one connection; every flood connection is closed or served
#      within a bounded time (the excess waits in the kernel's accept queue and is
#      taken as the timeout frees slots); once the flood is gone, fresh probes
#      succeed within 2 s. The fresh probes made during the flood are reported.
# Also checks that both keys are config keys (flag, POSTD_* variable, YAML file).
#
#   tests/reliability/slow.sh [POSTD]     (default build/postd)
. "$(dirname "$0")/lib.sh"
rel_init slow "$@"

cc -std=c11 -O2 -Wall -Wextra -o "$WORK/slowloris" "$REL_DIR/slowloris.c" ||
    { bad "cannot compile slowloris.c"; rel_finish; }
"$POSTD_GEN" --count 200 --out "$WORK/posts" >/dev/null || exit 1
setup_ingest "$WORK/postd.db" "$WORK/posts" "$WORK/ingest.log" "ingest failed"

# ---- the keys --------------------------------------------------------------------
printf 'connection_limit: 77\nconnection_timeout: 9s\n' >"$WORK/conn.yaml"
cfg_out=$("$POSTD" config --config "$WORK/conn.yaml" 2>&1)
check "connection_limit and connection_timeout are YAML keys" \
    grep -qx 'connection_limit: 77  # .*conn.yaml.*' <<<"$cfg_out"
check "connection_timeout takes a duration in YAML (9s)" \
    grep -qx 'connection_timeout: 9  # .*conn.yaml.*' <<<"$cfg_out"
cfg_out=$(POSTD_CONNECTION_LIMIT=55 "$POSTD" config --config /dev/null --connection-timeout 4 2>&1)
check "POSTD_CONNECTION_LIMIT and --connection-timeout are read" \
    grep -q 'connection_limit: 55  # POSTD_CONNECTION_LIMIT' <<<"$cfg_out"
check "--connection-timeout sets the key" grep -q 'connection_timeout: 4  # --connection-timeout' \
    <<<"$cfg_out"

# probe_loop OUT SECONDS: a fresh-connection curl /healthz every 0.5 s for SECONDS,
# one line per probe: "HTTP_CODE TIME_TOTAL". Runs in the background (PROBE_PID).
probe_loop() {
    (
        end=$(($(date +%s) + $2))
        while [ "$(date +%s)" -lt "$end" ]; do
            curl -s -m 2 -o /dev/null -w '%{http_code} %{time_total}\n' "$BASE/healthz" || true
            sleep 0.5
        done
    ) >"$1" 2>/dev/null &
    PROBE_PID=$!
    track "$PROBE_PID"
}
# probes OUT: "N ok of M, slowest S s"
probes() {
    awk '{ n++; if ($1 == 200 && $2 <= 2) ok++; if ($2 > max) max = $2 }
         END { printf "%d ok of %d, slowest %.3f s", ok, n, max }' "$1"
}
# shellcheck disable=SC2317  # called through check
probes_all_ok() { awk '$1 != 200 || $2 > 2 { bad = 1 } END { exit bad || NR == 0 }' "$1"; }
kv() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" "$1"; }
# slowloris_probed PROBE_OUT PROBE_SECS OUT MODE ARGS...: probe_loop PROBE_OUT
# PROBE_SECS while 200 slowloris connections in MODE run against the server (output
# to OUT), and waits for both (bounded).
slowloris_probed() {
    local probe_out=$1 probe_secs=$2 out=$3 sl
    shift 3
    probe_loop "$probe_out" "$probe_secs"
    "$WORK/slowloris" 127.0.0.1 "$PORT" 200 "$@" >"$out" 2>&1 &
    sl=$!
    track "$sl"
    wait_pid "$sl" 30
    wait_pid "$PROBE_PID" 30
}

# ---- A and B: slowloris under the limit -------------------------------------------
serve_ready slow-ab --db "$WORK/postd.db" --connection-limit 400 --connection-timeout 2

slowloris_probed "$WORK/probe-a" 12 "$WORK/trickle" trickle 12 1
log "A (trickle): $(cat "$WORK/trickle")"
figure "A: 200 slowloris connections, 1 header byte/s for 12 s, timeout 2 s:" \
    "$(kv "$WORK/trickle" opened) opened, $(kv "$WORK/trickle" open) still open at the end," \
    "$(kv "$WORK/trickle" closed) closed by the server; fresh probes: $(probes "$WORK/probe-a")"
check "A: all 200 slowloris connections opened" test "$(kv "$WORK/trickle" opened)" = 200
check "A: every probe answered 200 within 2 s ($(probes "$WORK/probe-a"))" \
    probes_all_ok "$WORK/probe-a"

slowloris_probed "$WORK/probe-b" 7 "$WORK/idle" idle 6
log "B (idle): $(cat "$WORK/idle")"
figure "B: 200 half-requests then silence, timeout 2 s: $(kv "$WORK/idle" closed) closed by the" \
    "server $(kv "$WORK/idle" close_min)-$(kv "$WORK/idle" close_max) s after their last byte," \
    "$(kv "$WORK/idle" open) left open; fresh probes: $(probes "$WORK/probe-b")"
check "B: the server closed all 200 quiet connections" test "$(kv "$WORK/idle" closed)" = 200
check "B: each within timeout + 1.5 s (max $(kv "$WORK/idle" close_max) s)" \
    le "$(kv "$WORK/idle" close_max)" 3.5
check "B: every probe answered 200 within 2 s ($(probes "$WORK/probe-b"))" \
    probes_all_ok "$WORK/probe-b"
stop_postd "$SERVER_PID"
src=$?
check "A/B: server exits 0 on SIGTERM after the slow clients (exit $src)" test "$src" = 0

# ---- C: a flood past the limit ------------------------------------------------------
serve_ready slow-c --db "$WORK/postd.db" --connection-limit 64 --connection-timeout 3
# the client that was there first: one keep-alive connection, 4 requests/s, 15 s
ka_args=()
for _ in $(seq 60); do ka_args+=(-o /dev/null "$BASE/healthz"); done
curl -s -m 2 --rate 4/s -w '%{http_code} %{time_total} %{num_connects}\n' "${ka_args[@]}" \
    >"$WORK/keepalive" 2>/dev/null &
ka=$!
track "$ka"
sleep 1
slowloris_probed "$WORK/probe-c" 10 "$WORK/flood" flood 14
wait_pid "$ka" 30
log "C (flood): $(cat "$WORK/flood")"
# after the flood: fresh connections answered again within 2 s
after_ok=0
for _ in 1 2 3; do
    code=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$BASE/healthz" || true)
    [ "$code" = 200 ] && after_ok=$((after_ok + 1))
    sleep 0.3
done
ka_n=$(wc -l <"$WORK/keepalive")
ka_ok=$(awk '$1 == 200 && $2 <= 2' "$WORK/keepalive" | wc -l)
ka_conns=$(awk '{ s += $3 } END { print s + 0 }' "$WORK/keepalive")
ka_max=$(awk '$2 > m { m = $2 } END { printf "%.3f", m }' "$WORK/keepalive")
figure "C: 200 idle connections against connection_limit 64, timeout 3 s:" \
    "$(kv "$WORK/flood" refused) refused at once, $(kv "$WORK/flood" closed) closed by the server" \
    "after $(kv "$WORK/flood" close_min)-$(kv "$WORK/flood" close_max) s," \
    "$(kv "$WORK/flood" open) still open after 14 s; the keep-alive client: $ka_ok of $ka_n" \
    "answered within 2 s (slowest $ka_max s) on $ka_conns connection(s); fresh probes during" \
    "the flood: $(probes "$WORK/probe-c"); after it: $after_ok of 3"
check "C: the connected keep-alive client was answered throughout ($ka_ok of $ka_n)" \
    test "$ka_n" -ge 40 -a "$ka_ok" = "$ka_n"
check "C: on its one connection ($ka_conns)" test "$ka_conns" = 1
check "C: every flood connection was refused, closed or served within 14 s" \
    test "$(kv "$WORK/flood" open)" = 0
check "C: fresh connections answered within 2 s once the flood is gone ($after_ok of 3)" \
    test "$after_ok" = 3
check "C: server still running" kill -0 "$SERVER_PID"
stop_postd "$SERVER_PID"
src=$?
check "C: server exits 0 on SIGTERM after the flood (exit $src)" test "$src" = 0
if grep -qiE 'assert|abort|segmentation' "$WORK"/slow-*.err; then
    bad "server stderr mentions a crash: $(grep -iE 'assert|abort|segmentation' "$WORK"/slow-*.err | head -n 3)"
fi
rel_finish
