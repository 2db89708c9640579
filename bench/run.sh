#!/usr/bin/env bash
# bench/run.sh: the postd benchmark behind `make bench`. In one run it
#  1. generates BENCH_POSTS posts with postd-gen, times BENCH_RUNS rounds of a
#     parse-only pass (`postd check`) and an ingest into a fresh database over the
#     same files (medians; the ratio taken per round);
#  2. serves them with postd and the very same response bytes as static files from
#     a tuned nginx (own prefix and config on loopback, never the system service),
#     and runs wrk against both, alternating, for each case (one post, tag list,
#     domain list, 304 revalidation, cursor page 1 and page BENCH_DEEP_PAGE), taking
#     the median of BENCH_RUNS runs of req/s, p50 and p99;
#  3. reads postd's peak RSS (VmHWM) after the load;
#  4. writes bench/results/results.md (+ results.tsv, runs.tsv) and results.png.
# Scratch files go to bench/work/ (git-ignored). Every server it starts is stopped by
# PID on exit; every load run is bounded by wrk -d plus `timeout`; loopback only.
#
# Environment (defaults): BUILD (build) build dir with postd and postd-gen,
# BENCH_POSTS (100000), BENCH_DURATION (10, seconds per wrk run),
# BENCH_CONNECTIONS (64), BENCH_THREADS (2, wrk threads), BENCH_RUNS (3),
# BENCH_TIMEOUT (5s, wrk --timeout), BENCH_DEEP_PAGE (5000), BENCH_LIMIT (20),
# BENCH_SERVER_THREADS (2, postd --threads), BENCH_WALK_BUDGET (120, seconds of
# curl cursor walk), BENCH_GZIP (0; 1 adds gzip cases),
# BENCH_RESULTS (bench/results).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
POSTS=${BENCH_POSTS:-100000}
DUR=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_THREADS:-2}
RUNS=${BENCH_RUNS:-3}
WRK_TIMEOUT=${BENCH_TIMEOUT:-5s}
DEEP=${BENCH_DEEP_PAGE:-5000}
LIMIT=${BENCH_LIMIT:-20}
SRV_THREADS=${BENCH_SERVER_THREADS:-2}
WALK_BUDGET=${BENCH_WALK_BUDGET:-120}
GZIP=${BENCH_GZIP:-0}
OUT=${BENCH_RESULTS:-$ROOT/bench/results}
WORK=$ROOT/bench/work
NGINX=${NGINX:-/usr/sbin/nginx}
CONFIG=${BENCH_CONFIG:-$ROOT/config/postd.yaml}

START_EPOCH=$(date +%s)
# the command as run, with every knob spelled out so that it can be repeated
COMMAND="BENCH_POSTS=$POSTS BENCH_DURATION=$DUR BENCH_CONNECTIONS=$CONNS BENCH_RUNS=$RUNS BENCH_GZIP=$GZIP"
for v in $(compgen -e | grep '^BENCH_' | sort); do
    case $v in BENCH_POSTS | BENCH_DURATION | BENCH_CONNECTIONS | BENCH_RUNS | BENCH_GZIP) ;;
    *) COMMAND="$COMMAND $v=${!v}" ;; esac
done
if [ -n "${MAKELEVEL:-}" ]; then
    COMMAND="$COMMAND make bench$([ "$BUILD" = "$ROOT/build" ] || echo " BUILD=${BUILD#"$ROOT"/}")"
else
    COMMAND="$COMMAND BUILD=${BUILD#"$ROOT"/} bench/run.sh"
fi

say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

# ---- processes: every PID we start is remembered and stopped on exit ----------
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in "${PIDS[@]}"; do
        # give each up to 5 s, then force it
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL "$p" 2>/dev/null || true
    done
    PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- Debian dependencies --------------------------------------------------------
install_deps() {
    local missing="" sudo=""
    [ -x "$NGINX" ] || missing="$missing nginx-light"
    command -v wrk >/dev/null || missing="$missing wrk"
    command -v gnuplot >/dev/null || missing="$missing gnuplot-nox"
    command -v curl >/dev/null || missing="$missing curl"
    command -v jq >/dev/null || missing="$missing jq"
    command -v timeout >/dev/null || missing="$missing coreutils"
    [ -z "$missing" ] && return 0
    say "installing:$missing"
    [ "$(id -u)" = 0 ] || sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    # Installing nginx would start the system service (on :80) where no systemd
    # holds it back; a policy-rc.d that denies every start, only for the
    # duration of the install and only if none exists, keeps it stopped.
    local policy=""
    if [[ $missing == *nginx* ]] && [ ! -e /usr/sbin/policy-rc.d ]; then
        policy=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
        $sudo chmod 755 "$policy"
    fi
    local rc=0
    # nginx-light is a transitional package on newer Debian; fall back to nginx.
    # shellcheck disable=SC2086
    $sudo apt-get install -y -qq --no-install-recommends $missing ||
        $sudo apt-get install -y -qq --no-install-recommends ${missing/nginx-light/nginx} || rc=$?
    [ -z "$policy" ] || $sudo rm -f "$policy"
    [ "$rc" = 0 ] || die "apt-get install failed"
}
install_deps

[ -x "$BUILD/postd" ] || die "$BUILD/postd not found: build first (make build, or BUILD=dir)"
[ -x "$BUILD/postd-gen" ] || die "$BUILD/postd-gen not found"

now() { date +%s.%N; }
# wait_up NAME PID LOG TRIES URL CURL_FLAG...: polls URL with curl CURL_FLAG...
# every 0.2 s, at most TRIES times, until it answers; dies when the server NAME
# (PID) exits meanwhile, quoting the end of its LOG. Returns 1 if it never answered.
wait_up() {
    local name=$1 pid=$2 log=$3 tries=$4 url=$5
    shift 5
    for _ in $(seq 1 "$tries"); do
        curl "$@" --max-time 2 -o /dev/null "$url" && return 0
        kill -0 "$pid" 2>/dev/null || die "$name exited: $(tail -3 "$log")"
        sleep 0.2
    done
    return 1
}
# port_free PORT: nothing listens on 127.0.0.1:PORT
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
    local p=$1
    while [ "$p" -lt $(($1 + 500)) ]; do
        port_free "$p" && {
            echo "$p"
            return 0
        }
        p=$((p + 1))
    done
    return 1
}
# fmt X DIGITS
fmt() { awk -v x="$1" -v d="$2" 'BEGIN { if (x == "" || x == "nan") print "n/a"; else printf "%.*f\n", d, x }'; }
# ratio A B: A/B with 2 decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b + 0 == 0) print "nan"; else printf "%.2f\n", a / b }'; }
# verdict VALUE OP LIMIT: PASS/MISS
verdict() {
    awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
        if (v == "nan" || v == "") { print "n/a"; exit }
        ok = (op == ">=") ? (v + 0 >= l + 0) : (v + 0 <= l + 0)
        print ok ? "PASS" : "MISS" }'
}
median() {
    printf '%s\n' "$@" | awk '$1 != "nan" && $1 != ""' | sort -g |
        awk '{ a[NR] = $1 } END {
            if (NR == 0) print "nan"
            else if (NR % 2) print a[(NR + 1) / 2]
            else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

mkdir -p "$WORK" "$OUT"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
say "posts=$POSTS duration=${DUR}s connections=$CONNS runs=$RUNS build=$BUILD (load $LOAD_BEFORE)"

# ---- 1. generate, parse-only pass, ingest --------------------------------------
POSTS_DIR=$WORK/posts
DB=$WORK/bench.db
rm -rf "$POSTS_DIR" "$DB" "$DB-wal" "$DB-shm"
say "generating $POSTS posts"
"$BUILD/postd-gen" --count "$POSTS" --out "$POSTS_DIR" >"$WORK/gen.log" 2>&1 ||
    die "postd-gen failed: $(tail -3 "$WORK/gen.log")"
FILES=$(find "$POSTS_DIR" -type f | wc -l)
# warm: reads every post so that no timed pass pays for a cold page cache. Before
# each pass, not once: this machine's kernel pages out file pages not touched for
# a minute or two (DAMON reclaim), and an ingest of evicted files took 18 s
# where a warm one took 10 s.
warm() { find "$POSTS_DIR" -type f -exec cat {} + >/dev/null; }
# write the generated files out so that no pass competes with their writeback
sync

# timed PASS LOG CMD...: runs CMD under a 900 s timeout, prints its seconds; dies on
# an exit status above 1 (1: some files rejected, still a complete pass)
# and, after a space, the CPU seconds (user + system) CMD used: bash's `times` in
# this subshell counts only the children it waited for, i.e. CMD
timed() {
    local pass=$1 log=$2 t0 t1 rc=0 cpu
    shift 2
    t0=$(now)
    timeout 900 "$@" >"$log" 2>&1 || rc=$?
    t1=$(now)
    [ "$rc" -le 1 ] || die "$pass failed ($rc): $(tail -3 "$log")"
    times >"$log.times" # not in a pipe: a forked shell has no children yet
    cpu=$(tail -1 "$log.times" | awk '{ for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } printf "%.2f", s }')
    awk -v a="$t0" -v b="$t1" -v c="$cpu" 'BEGIN { printf "%.3f %s", b - a, c }'
}
# RUNS rounds of a parse-only pass and an ingest into a fresh database, in turn (the
# machine's speed drifts; the ratio is taken in each round, the medians reported).
# Each round ends with postd-floor (bench/floor.c) on the first 20,000 posts: the
# libraries' own CPU per post on one thread, what an ingest cannot go below, taken
# next to the timed passes because this machine's speed changes by the minute. Not
# on all of them: its rows then cost 26-47 us per post, more than postd's whole
# writer (one transaction of 1.4 GB, no writeback hints), no longer a floor
FLOOR_US=()
CHECK_RUNS=()
INGEST_RUNS=()
RATIO_RUNS=()
CHECK_CPU=()
INGEST_CPU=()
for r in $(seq "$RUNS"); do
    say "round $r: parse-only pass (postd check), then ingest into a fresh database"
    warm
    t=$(timed "postd check" "$WORK/check.log" "$BUILD/postd" check --config "$CONFIG" "$POSTS_DIR")
    read -r c cc <<<"$t"
    rm -f "$DB" "$DB-wal" "$DB-shm"
    warm
    t=$(timed "postd ingest" "$WORK/ingest.log" \
        "$BUILD/postd" ingest --config "$CONFIG" --db "$DB" "$POSTS_DIR")
    read -r i ic <<<"$t"
    CHECK_RUNS+=("$c")
    INGEST_RUNS+=("$i")
    CHECK_CPU+=("$cc")
    INGEST_CPU+=("$ic")
    RATIO_RUNS+=("$(ratio "$i" "$c")")
    say "round $r: check ${c}s, ingest ${i}s (${RATIO_RUNS[-1]}x)"
    if [ -x "$BUILD/postd-floor" ]; then
        sync # else the ingest's 1.6 GB is still being written back meanwhile
        "$BUILD/postd-floor" "$POSTS_DIR" 20000 "$WORK" >"$WORK/floor.$r" 2>"$WORK/floor.log" ||
            die "postd-floor failed: $(tail -3 "$WORK/floor.log")"
        FLOOR_US+=("$(awk '$1 == "floor_us" { print $2 }' "$WORK/floor.$r")")
        say "round $r: library floor ${FLOOR_US[-1]} us per post"
    fi
done
CHECK_S=$(median "${CHECK_RUNS[@]}")
INGEST_S=$(median "${INGEST_RUNS[@]}")
ADDED=$(grep -o 'added [0-9]*' "$WORK/ingest.log" | tail -1 | awk '{ print $2 }')
[ -n "$ADDED" ] || die "cannot read the number of added posts from: $(tail -1 "$WORK/ingest.log")"
INGEST_RATE=$(awk -v n="$ADDED" -v s="$INGEST_S" 'BEGIN { printf "%.0f", n / s }')
CHECK_RATE=$(awk -v n="$ADDED" -v s="$CHECK_S" 'BEGIN { printf "%.0f", n / s }')
INGEST_VS_CHECK=$(median "${RATIO_RUNS[@]}")
INGEST_LINE=$(grep 'added' "$WORK/ingest.log" | tail -1)
CHECK_LINE=$(grep 'added' "$WORK/check.log" | tail -1 || true)
DB_BYTES=$(stat -c %s "$DB")
# CPU per post (user + system, all threads), medians: what 2 cores must cover
# at the target rate (1e6 x cores / 20000 = 100 us on 2 cores)
CHECK_CPU_US=$(awk -v s="$(median "${CHECK_CPU[@]}")" -v n="$ADDED" 'BEGIN { printf "%.0f", s * 1e6 / n }')
INGEST_CPU_US=$(awk -v s="$(median "${INGEST_CPU[@]}")" -v n="$ADDED" 'BEGIN { printf "%.0f", s * 1e6 / n }')
say "medians: check ${CHECK_S}s, ingest ${INGEST_S}s: $INGEST_RATE posts/s, ${INGEST_VS_CHECK}x check; CPU per post: check $CHECK_CPU_US us, ingest $INGEST_CPU_US us"

# the floor of the median round, whole
FLOOR=""
if [ ${#FLOOR_US[@]} -gt 0 ]; then
    mid=$(median "${FLOOR_US[@]}")
    for r in $(seq "$RUNS"); do
        [ "${FLOOR_US[r - 1]}" = "$mid" ] && FLOOR=$(cat "$WORK/floor.$r") && break
    done
    [ -n "$FLOOR" ] || FLOOR=$(cat "$WORK/floor.$RUNS") # an even RUNS: no round is the median
fi
floor() { awk -v k="$1" '$1 == k { print $2 }' <<<"$FLOOR"; }

# Both ingest targets at once. With P and S the CPU per post of the parse and of
# everything else (S: the ingest's CPU less the check's), c cores and u the share of
# them the check keeps busy: >= 20,000 posts/s needs P + S <= c/20000 s, and <= 2x
# the check needs (P + S) u / P <= 2, i.e. S <= P (2/u - 1). The largest S both
# allow is c/20000 (1 - u/2): if the libraries' store floor alone is above it, no
# ingest that stores what postd stores meets both targets on this machine.
JOINT=""
if [ -n "$FLOOR" ]; then
    JOINT=$(awk -v c="$(nproc)" -v cc="$(median "${CHECK_CPU[@]}")" -v cs="$CHECK_S" \
        -v ic="$INGEST_CPU_US" -v kc="$CHECK_CPU_US" -v f="$(floor store_us)" \
        -v fts="$(floor fts_us)" -v rows="$(floor rows_us)" -v links="$(floor links_us)" -v idx="$(floor index_us)" 'BEGIN {
        u = cc / (cs * c); smax = c * 1e6 / 20000 * (1 - u / 2)
        printf "Both ingest targets at once: with c = %d cores and the check keeping u = %.2f of them busy, ", c, u
        printf "≥ 20,000 posts/s needs P + S ≤ %.0f µs of CPU per post (P the parse, S the rest) and ≤ 2× the check needs S ≤ P (2/u − 1); ", c * 1e6 / 20000, u
        printf "together **S ≤ %.1f µs**. This ingest spends S = %d µs (its CPU per post less the check'\''s). ", smax, ic - kc
        printf "The libraries alone spend **%.1f µs** on S (FTS5 %.1f + rows %.1f + links %.1f + indexes %.1f): ", f, fts, rows, links, idx
        if (f > smax) printf "%.1f µs above what both targets allow: in this run even an ingest whose store side cost no more than the libraries alone would miss one of the two.", f - smax
        else printf "%.1f µs below what both targets allow: both could hold only for an ingest whose store side costs at most %.1f µs more than the libraries alone.", smax - f, smax - f
    }')
fi

# ---- 2a. postd --------------------------------------------------------------------
PP=$(pick_port 18400) || die "no free port for postd"
"$BUILD/postd" serve --config "$CONFIG" --db "$DB" --listen "127.0.0.1:$PP" \
    --threads "$SRV_THREADS" --no-access-log >"$WORK/serve.log" 2>&1 &
POSTD_PID=$!
PIDS+=("$POSTD_PID")
PBASE=http://127.0.0.1:$PP
wait_up postd "$POSTD_PID" "$WORK/serve.log" 150 "$PBASE/readyz" -sf ||
    die "postd not ready on $PBASE"
say "postd pid $POSTD_PID on $PBASE"

# getj PATH JQ: one value from a postd JSON response
getj() { curl -sf --max-time 30 "$PBASE$1" | jq -r "$2"; }

VISIBLE=$(getj "/v1/posts?limit=1" '.meta.total')
TAG=$(getj "/v1/tags?limit=1" '.data[0].slug')
DOMAIN=$(getj "/v1/domains?limit=1" '.data[0].domain')
MIDPAGE=$(((VISIBLE + 1) / 2))
POST_ID=$(getj "/v1/posts?limit=1&page=$MIDPAGE" '.data[0].id')
for v in TAG DOMAIN POST_ID VISIBLE; do
    case ${!v} in "" | null) die "could not read $v from postd" ;; esac
done

PAGE1_URL="/v1/posts?limit=$LIMIT"
# The deep-page URL comes from walking meta.next_cursor with curl from page 1. One
# curl process costs tens of ms of CPU here, so a walk of 5,000 pages can take
# minutes: past WALK_BUDGET seconds the walk stops and takes the cursor from
# page (DEEP-1)'s meta.next_cursor instead, after checking on the page it reached
# that a page-number response and the walk hand out the very same cursor.
say "walking cursors to page $DEEP (limit $LIMIT) with curl (budget ${WALK_BUDGET}s)"
url=$PAGE1_URL
DEEP_REACHED=1
WALKED=1
walk_start=$SECONDS
while [ "$DEEP_REACHED" -lt "$DEEP" ]; do
    cursor=$(curl -sf --max-time 10 "$PBASE$url" | grep -o '"next_cursor":"[^"]*"' | cut -d'"' -f4 || true)
    [ -n "$cursor" ] || break
    url="/v1/posts?limit=$LIMIT&cursor=$cursor"
    DEEP_REACHED=$((DEEP_REACHED + 1))
    WALKED=$DEEP_REACHED
    [ $((SECONDS - walk_start)) -lt "$WALK_BUDGET" ] && continue
    check=$(getj "/v1/posts?limit=$LIMIT&page=$((DEEP_REACHED - 1))" '.meta.next_cursor')
    [ "$check" = "$cursor" ] ||
        die "page $((DEEP_REACHED - 1)): page-number cursor $check differs from the walked $cursor"
    pages=$(getj "$PAGE1_URL" '.meta.pages')
    target=$((pages < DEEP ? pages : DEEP))
    if [ "$target" -gt "$DEEP_REACHED" ]; then
        cursor=$(getj "/v1/posts?limit=$LIMIT&page=$((target - 1))" '.meta.next_cursor')
        url="/v1/posts?limit=$LIMIT&cursor=$cursor"
        DEEP_REACHED=$target
    fi
    break
done
DEEP_URL=$url
WALK_S=$((SECONDS - walk_start))
if [ "$WALKED" -eq "$DEEP_REACHED" ]; then
    WALK_NOTE="walking \`meta.next_cursor\` with curl from page 1 ($WALKED pages, ${WALK_S} s)"
else
    WALK_NOTE="walking \`meta.next_cursor\` with curl from page 1 to page $WALKED (the ${WALK_BUDGET} s walk budget), then taking \`meta.next_cursor\` of \`page=$((DEEP_REACHED - 1))\` (checked equal to the walked cursor at page $((WALKED - 1)))"
fi
[ "$DEEP_REACHED" -eq "$DEEP" ] || say "note: the list ends at page $DEEP_REACHED (< $DEEP)"
PAGE1_ITEMS=$(getj "$PAGE1_URL" '.data | length')
DEEP_ITEMS=$(getj "$DEEP_URL" '.data | length')
say "deep page $DEEP_REACHED: $WALK_NOTE"

# case table: name | label | postd path | nginx file | wrk mode (plain|304|gzip)
CASES=(
    "one|one post|/v1/posts/$POST_ID|one.json|plain"
    "tag|tag list|/v1/posts?tag=$TAG|tag.json|plain"
    "domain|domain list|/v1/posts?domain=$DOMAIN|domain.json|plain"
    "304|304 revalidation|/v1/posts/$POST_ID|one.json|304"
    "page1|cursor page 1|$PAGE1_URL|page1.json|plain"
    "deep|cursor page $DEEP_REACHED|$DEEP_URL|deep.json|plain"
)
if [ "$GZIP" = 1 ]; then
    CASES+=("one_gz|one post, gzip|/v1/posts/$POST_ID|one.json|gzip"
        "tag_gz|tag list, gzip|/v1/posts?tag=$TAG|tag.json|gzip")
fi

# ---- 2b. the same bytes as static files for nginx ---------------------------------
NGX=$WORK/nginx
rm -rf "$NGX"
mkdir -p "$NGX/root" "$NGX/tmp"
declare -A BYTES
for c in "${CASES[@]}"; do
    IFS='|' read -r name _ path file mode <<<"$c"
    if [ "$mode" = gzip ]; then
        code=$(curl -s --max-time 30 -H 'Accept-Encoding: gzip' -D "$NGX/$name.hdr" \
            -o "$NGX/root/$file.gz" -w '%{http_code}' "$PBASE$path")
        grep -qi '^content-encoding: *gzip' "$NGX/$name.hdr" || die "postd did not gzip $path"
        BYTES[$name]=$(stat -c %s "$NGX/root/$file.gz")
    else
        code=$(curl -s --max-time 30 -D "$NGX/$name.hdr" -o "$NGX/root/$file.tmp" \
            -w '%{http_code}' "$PBASE$path")
        mv "$NGX/root/$file.tmp" "$NGX/root/$file"
        BYTES[$name]=$(stat -c %s "$NGX/root/$file")
    fi
    [ "$code" = 200 ] || die "postd answered $code for $path"
done
chmod -R a+rX "$NGX"

NP=$(pick_port $((PP + 1))) || die "no free port for nginx"
NGINX_USER=""
[ "$(id -u)" = 0 ] && NGINX_USER="user nobody nogroup;"
NGINX_GZIP="gzip off;"
[ "$GZIP" = 1 ] && NGINX_GZIP="gzip off; gzip_static on;"
cat >"$NGX/nginx.conf" <<EOF
# written by bench/run.sh: tuned as /work/shared/PERF.md says
$NGINX_USER
worker_processes 2;
pid $NGX/nginx.pid;
error_log $NGX/error.log warn;
events { worker_connections 4096; }
http {
    types { }
    default_type "application/json; charset=utf-8";
    charset off;
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 10000000;
    keepalive_timeout 75s;
    open_file_cache max=1000 inactive=120s;
    open_file_cache_valid 120s;
    open_file_cache_min_uses 1;
    open_file_cache_errors on;
    etag on;
    server_tokens off;
    $NGINX_GZIP
    client_body_temp_path $NGX/tmp/body;
    proxy_temp_path $NGX/tmp/proxy;
    fastcgi_temp_path $NGX/tmp/fastcgi;
    uwsgi_temp_path $NGX/tmp/uwsgi;
    scgi_temp_path $NGX/tmp/scgi;
    server {
        listen 127.0.0.1:$NP;
        root $NGX/root;
        location / { }
    }
}
EOF
"$NGINX" -t -q -p "$NGX/" -c "$NGX/nginx.conf" -e "$NGX/error.log" ||
    die "nginx config test failed: $(tail -3 "$NGX/error.log")"
"$NGINX" -p "$NGX/" -c "$NGX/nginx.conf" -e "$NGX/error.log" -g 'daemon off;' \
    >"$NGX/stdout.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
NBASE=http://127.0.0.1:$NP
# any HTTP answer will do (no -f: / has no index page); if none ever came, the
# first curl -sf of the byte check below stops the run (set -e)
wait_up nginx "$NGINX_PID" "$NGX/error.log" 50 "$NBASE/" -s || true
say "nginx pid $NGINX_PID on $NBASE"

# identical bytes, and the ETags the 304 case sends
declare -A ETAG_P ETAG_N
for c in "${CASES[@]}"; do
    IFS='|' read -r name _ path file mode <<<"$c"
    hdr=()
    [ "$mode" = gzip ] && hdr=(-H 'Accept-Encoding: gzip')
    curl -sf --max-time 30 "${hdr[@]}" -o "$NGX/$name.postd" "$PBASE$path"
    curl -sf --max-time 30 "${hdr[@]}" -D "$NGX/$name.nhdr" -o "$NGX/$name.nginx" "$NBASE/$file"
    cmp -s "$NGX/$name.postd" "$NGX/$name.nginx" || die "$name: postd and nginx bytes differ"
    ETAG_P[$name]=$(grep -i '^etag:' "$NGX/$name.hdr" | head -1 | cut -d' ' -f2- | tr -d '\r')
    ETAG_N[$name]=$(grep -i '^etag:' "$NGX/$name.nhdr" | head -1 | cut -d' ' -f2- | tr -d '\r')
    if [ "$mode" = 304 ]; then
        if [ -z "${ETAG_P[$name]}" ] || [ -z "${ETAG_N[$name]}" ]; then
            die "no ETag for the 304 case"
        fi
        for u in "$PBASE$path|${ETAG_P[$name]}" "$NBASE/$file|${ETAG_N[$name]}"; do
            code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' \
                -H "If-None-Match: ${u#*|}" "${u%%|*}")
            [ "$code" = 304 ] || die "expected 304 from ${u%%|*}, got $code"
        done
    fi
done
say "bytes identical for every case; 304s verified"

# ---- 2c. wrk, alternating postd / nginx ------------------------------------------
# wrk_once OUTFILE DURATION MODE ETAG URL: one bounded wrk run
wrk_once() {
    local out=$1 d=$2 mode=$3 etag=$4 url=$5 args=()
    case $mode in
    304) args=(-s "$ROOT/bench/if-none-match.lua") ;;
    gzip) args=(-H 'Accept-Encoding: gzip') ;;
    esac
    BENCH_ETAG=$etag timeout -k 5 $((d + 30)) wrk -t"$WRK_THREADS" -c"$CONNS" -d"${d}s" \
        --timeout "$WRK_TIMEOUT" --latency "${args[@]}" "$url" >"$out" 2>&1 || true
    # bad arguments would make every run fail alike: stop; else the run counts as nan
    grep -q '^Usage: wrk' "$out" && die "wrk rejected its arguments (BENCH_* settings?)"
    grep -q '^Requests/sec:' "$out" || say "warning: wrk gave no result for $url: $(head -2 "$out")"
}
# wrk_parse FILE: "rps p50_ms p99_ms bad timeouts" (bad: non-2xx/3xx + connect, read
# and write errors). wrk leaves responses slower than --timeout out of its latency
# histogram: with timeouts the percentiles are understated, with nothing but
# timeouts they read 0 (reported here as nan).
wrk_parse() {
    awk '
    function ms(v) {
        if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
        if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
        if (v ~ /m$/) return substr(v, 1, length(v) - 1) * 60000
        if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
        return v + 0
    }
    BEGIN { rps = "nan"; p50 = "nan"; p99 = "nan"; bad = 0; tmo = 0 }
    /^Requests\/sec:/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { bad += $NF }
    /Socket errors:/ { gsub(/,/, ""); bad += $4 + $6 + $8; tmo += $10 }
    END {
        if (p50 == 0 && p99 == 0) { p50 = "nan"; p99 = "nan" }
        printf "%s %s %s %d %d\n", rps, p50, p99, bad, tmo }' "$1"
}

# peak RSS so far (ingested db opened, cursor walk, bodies fetched), before any load
RSS_SETUP_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$POSTD_PID/status")
RUNS_TSV=$OUT/runs.tsv
printf 'case\tserver\trun\treq_s\tp50_ms\tp99_ms\terrors\ttimeouts\n' >"$RUNS_TSV"
WRK_DIR=$WORK/wrk
rm -rf "$WRK_DIR"
mkdir -p "$WRK_DIR"
for c in "${CASES[@]}"; do
    IFS='|' read -r name label path file mode <<<"$c"
    say "case $label: warm-up"
    wrk_once "$WRK_DIR/$name-postd-warm.txt" 2 "$mode" "${ETAG_P[$name]}" "$PBASE$path"
    wrk_once "$WRK_DIR/$name-nginx-warm.txt" 2 "$mode" "${ETAG_N[$name]}" "$NBASE/$file"
    for r in $(seq 1 "$RUNS"); do
        for srv in postd nginx; do
            f=$WRK_DIR/$name-$srv-$r.txt
            if [ $srv = postd ]; then
                wrk_once "$f" "$DUR" "$mode" "${ETAG_P[$name]}" "$PBASE$path"
            else
                wrk_once "$f" "$DUR" "$mode" "${ETAG_N[$name]}" "$NBASE/$file"
            fi
            kill -0 "$POSTD_PID" 2>/dev/null || die "postd died during $label: $(tail -3 "$WORK/serve.log")"
            read -r rps p50 p99 bad tmo < <(wrk_parse "$f")
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" $srv "$r" "$rps" "$p50" "$p99" "$bad" "$tmo" >>"$RUNS_TSV"
            say "  $label $srv run $r: $rps req/s, p50 ${p50} ms, p99 ${p99} ms, errors $bad, timeouts $tmo"
        done
    done
done

# ---- 3. peak RSS after the load ---------------------------------------------------
RSS_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$POSTD_PID/status")
RSS_NOW_KB=$(awk '/^VmRSS:/ { print $2 }' "/proc/$POSTD_PID/status")
# anonymous (heap, caches) vs file-backed (binary, libraries, an mmap'ed database)
RSS_PARTS=$(awk '/^Rss(Anon|File|Shmem):/ { sub(/:$/, "", $1); printf "%s%s %d MiB", sep, $1, $2 / 1024; sep = ", " }' "/proc/$POSTD_PID/status")
RSS_MB=$(awk -v k="$RSS_KB" 'BEGIN { printf "%.1f", k / 1024 }')
NGINX_RSS_KB=0
for p in $(pgrep -P "$NGINX_PID" 2>/dev/null) "$NGINX_PID"; do
    k=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)
    NGINX_RSS_KB=$((NGINX_RSS_KB + ${k:-0}))
done

# versions, read while the servers still run
V_POSTD=$("$BUILD/postd" --version 2>&1 | head -1 || true)
V_GIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$ROOT" status --porcelain -- . ':!bench' 2>/dev/null)" ] && V_GIT="$V_GIT + uncommitted changes"
V_BTYPE=$(grep -m1 '^CMAKE_BUILD_TYPE:' "$BUILD/CMakeCache.txt" 2>/dev/null | cut -d= -f2 || true)
V_NGINX=$("$NGINX" -v 2>&1 | sed 's/^nginx version: //' || true)
V_WRK=$( (wrk -v 2>&1 || true) | head -1 | awk '{ print $1, $2 }')
V_CURL=$(curl --version | head -1 | awk '{ print $1, $2 }' || true)
V_GNUPLOT=$(gnuplot --version 2>&1 | head -1 || true)
dpkgv() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo '?'; }
V_MHD=$(dpkgv libmicrohttpd12)
V_SQLITE=$(dpkgv libsqlite3-0)

cleanup # stop the servers before writing: nothing below needs them
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- 4. medians, targets, results.md, chart ---------------------------------------
# med CASE SERVER COLUMN: median over the runs
med() {
    local col
    case $3 in rps) col=4 ;; p50) col=5 ;; p99) col=6 ;; esac
    # shellcheck disable=SC2046
    median $(awk -F'\t' -v c="$1" -v s="$2" -v k="$col" 'NR > 1 && $1 == c && $2 == s { print $k }' "$RUNS_TSV")
}
# tsum CASE SERVER COLUMN: sum over the runs
tsum() { awk -F'\t' -v c="$1" -v s="$2" -v k="$3" '$1 == c && $2 == s { t += $k } END { print t + 0 }' "$RUNS_TSV"; }
TIMEOUT_MS=$(awk -v t="$WRK_TIMEOUT" 'BEGIN {
    if (t ~ /ms$/) print t + 0; else if (t ~ /m$/) print t * 60000; else print t * 1000 }')
target_ratio() {
    case $1 in
    one | one_gz) echo 0.9 ;;
    tag | domain | tag_gz) echo 0.8 ;;
    304) echo 1.0 ;;
    *) echo "" ;;
    esac
}

TSV=$OUT/results.tsv
printf 'case\tpostd_req_s\tnginx_req_s\n' >"$TSV"
HTTP_ROWS=""
declare -A RPS P50
for c in "${CASES[@]}"; do
    IFS='|' read -r name label path file mode <<<"$c"
    pr=$(med "$name" postd rps)
    nr=$(med "$name" nginx rps)
    pp50=$(med "$name" postd p50)
    np50=$(med "$name" nginx p50)
    pp99=$(med "$name" postd p99)
    np99=$(med "$name" nginx p99)
    perr=$(tsum "$name" postd 7)
    nerr=$(tsum "$name" nginx 7)
    ptmo=$(tsum "$name" postd 8)
    ntmo=$(tsum "$name" nginx 8)
    # timeouts: wrk's p99 is only a lower bound (the timeout itself when no sample)
    ge=""
    if [ "$ptmo" -gt 0 ]; then
        ge="≥ "
        [ "$pp99" = nan ] && pp99=$TIMEOUT_MS
    fi
    rr=$(ratio "$pr" "$nr")
    t=$(target_ratio "$name")
    if [ -n "$t" ]; then
        rt="≥ ${t}× $(verdict "$rr" '>=' "$t")"
    else
        rt="(none)"
    fi
    r99=$(ratio "$pp99" "$np99")
    RPS[$name]=$pr
    P50[$name]=$pp50
    printf '%s\t%s\t%s\n' "$label" "$(fmt "$pr" 0)" "$(fmt "$nr" 0)" >>"$TSV"
    body=${BYTES[$name]}
    [ "$mode" = 304 ] && body="0 (304)"
    shown=$path
    # a cursor is ~100 characters of base64: keep the table readable
    if [[ $path == *cursor=* ]]; then
        cur=${path#*cursor=}
        shown="${path%%cursor=*}cursor=${cur:0:12}…"
    fi
    HTTP_ROWS+="| $label | \`$shown\` | $body | $(fmt "$pr" 0) | $(fmt "$nr" 0) | **$rr** | $rt "
    HTTP_ROWS+="| $(fmt "$pp50" 2) / $(fmt "$np50" 2) | $ge$(fmt "$pp99" 2) / $(fmt "$np99" 2) "
    HTTP_ROWS+="| **$ge$r99** | ≤ 1.5× $(verdict "$r99" '<=' 1.5) | $perr / $nerr | $ptmo / $ntmo |"$'\n'
done
DEEP_COST=$(ratio "${RPS[page1]}" "${RPS[deep]}")
DEEP_P50=$(ratio "${P50[deep]}" "${P50[page1]}")
INGEST_V=$(verdict "$INGEST_RATE" '>=' 20000)
INGEST_R_V=$(verdict "$INGEST_VS_CHECK" '<=' 2)
RSS_V=$(verdict "$RSS_MB" '<=' 64)
DEEP_V=$(verdict "$DEEP_COST" '<=' 1.5)
RUNTIME=$(($(date +%s) - START_EPOCH))

cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem_total=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
RES=$OUT/results.md
{
    echo "# postd benchmark"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(nproc) CPUs ($cpu_model), $mem_total, $(uname -sr); load average $LOAD_BEFORE before, $LOAD_AFTER after"
    echo "- **the machine was shared** with other work (builds, tests) during the run: read the numbers as bands, not points"
    echo "- postd: $V_POSTD, git $V_GIT, build type ${V_BTYPE:-?}, \`--threads $SRV_THREADS\`, access log off; libmicrohttpd $V_MHD, SQLite $V_SQLITE"
    echo "- nginx $V_NGINX (own prefix, loopback, worker_processes 2, sendfile, tcp_nopush, open_file_cache, keepalive_requests 10M, access_log off, gzip off$([ "$GZIP" = 1 ] && echo ', gzip_static on'))"
    echo "- $V_WRK, $V_CURL, $V_GNUPLOT"
    echo "- command: \`$COMMAND\` (runtime ${RUNTIME} s)"
    echo "- wrk: $WRK_THREADS threads, $CONNS connections, ${DUR} s per run, --timeout $WRK_TIMEOUT, --latency, keep-alive, no Accept-Encoding (except gzip cases); wrk and the server share the same cores; median of $RUNS runs per case, postd and nginx alternating"
    echo
    echo "## Ingest ($ADDED posts, $FILES files, database $((DB_BYTES / 1048576)) MiB)"
    echo
    echo "Medians of $RUNS rounds, each a \`postd check\` then a \`postd ingest\` into a fresh database (the ratio is taken per round)."
    echo
    echo "| pass | seconds | posts/s | target | result | every round |"
    echo "|---|---|---|---|---|---|"
    echo "| \`postd check\` (parse only) | $CHECK_S | $CHECK_RATE | | | ${CHECK_RUNS[*]} s |"
    echo "| \`postd ingest\` (fresh db) | $INGEST_S | $INGEST_RATE | ≥ 20000 posts/s | $INGEST_V | ${INGEST_RUNS[*]} s |"
    echo "| ingest / check | **${INGEST_VS_CHECK}×** | | ≤ 2× | $INGEST_R_V | ${RATIO_RUNS[*]} |"
    echo
    echo "postd's own lines (last round): ingest \`$INGEST_LINE\`; check \`${CHECK_LINE:-?}\`"
    echo
    echo "CPU per post (user + system, every thread; medians): check **$CHECK_CPU_US µs**, ingest **$INGEST_CPU_US µs**. At 20,000 posts/s, $(nproc) cores give $((1000000 * $(nproc) / 20000)) µs per post."
    echo
    if [ -n "$FLOOR" ]; then
        echo "The libraries' own CPU per post (\`postd-floor\`, bench/floor.c: one thread, files in memory, $(floor posts) posts, one timed run of each part; the round with the median floor of ${FLOOR_US[*]} µs): read $(floor read_us) µs, libyaml events $(floor yaml_us), md4c body once $(floor md4c_us), FTS5 row $(floor fts_us), plain SQLite rows $(floor rows_us), the filters' link rows $(floor links_us), their indexes $(floor index_us); **floor $(floor floor_us) µs**: at most $(floor max_posts_per_s) posts/s on $(floor cores) cores. The parts are measured one at a time on one thread; an ingest runs them side by side (2 parsers; the writer's rows; the search index on a connection of its own, storage/store_fts.c) on the same cores, so the floor bounds the posts/s of any ingest that writes what postd writes here, and the writer alone ($(floor rows_us) µs of rows) bounds it at $(awk -v r="$(floor rows_us)" 'BEGIN { if (r > 0) printf "%.0f", 1e6 / r }') posts/s."
        echo
        echo "$JOINT"
        echo
    fi
    echo "## HTTP: postd vs nginx serving the same bytes (medians of $RUNS)"
    echo
    echo "| case | postd URL | body bytes | postd req/s | nginx req/s | postd/nginx | target | p50 ms postd / nginx | p99 ms postd / nginx | p99 ratio | target | errors postd / nginx | timeouts postd / nginx |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    printf '%s' "$HTTP_ROWS"
    echo
    echo "errors: non-2xx/3xx responses plus connect/read/write errors; timeouts: responses slower than wrk's \`--timeout $WRK_TIMEOUT\` (counted in req/s, left out of wrk's latency percentiles, hence \`≥\`); both summed over the runs."
    echo
    echo "## Deep paging (postd vs postd, limit $LIMIT)"
    echo
    echo "| | value | target | result |"
    echo "|---|---|---|---|"
    echo "| cost of page $DEEP_REACHED / page 1 (req/s page 1 ÷ req/s page $DEEP_REACHED) | **${DEEP_COST}×** | ≤ 1.5× | $DEEP_V |"
    echo "| p50 latency page $DEEP_REACHED / page 1 | ${DEEP_P50}× | | |"
    echo
    echo "The page-$DEEP_REACHED URL (\`$DEEP_URL\`) was found by $WALK_NOTE."
    [ "$DEEP_REACHED" -eq "$DEEP" ] || echo "The list ends at page $DEEP_REACHED, before page $DEEP."
    echo "$VISIBLE posts are listed; page 1 holds $PAGE1_ITEMS of them, page $DEEP_REACHED holds $DEEP_ITEMS."
    echo
    echo "## Memory"
    echo
    echo "| | value | target | result |"
    echo "|---|---|---|---|"
    echo "| postd peak RSS (VmHWM after the load) | **$RSS_MB MiB** ($RSS_KB kB; VmRSS then $RSS_NOW_KB kB: $RSS_PARTS) | ≤ 64 MB | $RSS_V |"
    echo "| postd peak RSS before the wrk load (after the cursor walk) | $(awk -v k="$RSS_SETUP_KB" 'BEGIN { printf "%.1f MiB", k / 1024 }') | | |"
    echo "| nginx peak RSS, master + workers (VmHWM) | $(awk -v k="$NGINX_RSS_KB" 'BEGIN { printf "%.1f MiB", k / 1024 }') | | |"
    echo
    echo "![postd vs nginx req/s](results.png)"
    echo
    echo "Every run: \`runs.tsv\`; the chart's data: \`results.tsv\`."
} >"$RES"

# grouped bars: postd vs nginx req/s per case (gnuplot reads the rows without header)
tail -n +2 "$TSV" >"$WORK/chart.tsv"
gnuplot <<EOF 2>"$WORK/gnuplot.log" || say "gnuplot failed: $(tail -3 "$WORK/gnuplot.log")"
set terminal pngcairo size 1100,600 font "sans,10"
set output "$OUT/results.png"
set title "postd vs nginx (same bytes), req/s, median of $RUNS × ${DUR}s, $CONNS connections, $ADDED posts"
set datafile separator "\t"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key top right
set ylabel "requests / s"
set yrange [0:*]
set grid ytics
set xtics noenhanced
plot "$WORK/chart.tsv" using 2:xtic(1) title "postd" lc rgb "#1f77b4", \
     "" using 3 title "nginx" lc rgb "#ff7f0e", \
     "" using (\$0 - 1.0 / 6):2:2 with labels offset 0,0.7 font "sans,8" notitle, \
     "" using (\$0 + 1.0 / 6):3:3 with labels offset 0,0.7 font "sans,8" notitle
EOF

cat "$RES"
say "done in ${RUNTIME} s: $RES, $OUT/results.png"
