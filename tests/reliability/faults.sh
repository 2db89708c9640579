#!/usr/bin/env bash
# Faults around the database file. Each must end in a clear one-line error and exit
# status 2 (postd's "I/O or db error"), or a 503 from /readyz, never a crash:
#   - disk full: ingest onto a 2 MiB tmpfs, into an empty place and into a database
#     that already holds posts (which must keep exactly what it had);
#   - read-only directory: ingest as an unprivileged user (setpriv; root ignores
#     permissions) into a new database in a 0555 folder and into an existing one;
#     serve from there;
#   - a file that is not a database: ingest and serve, then rounds of concurrent
#     first requests (every server thread's own first open fails);
#   - missing database: serve answers /healthz 200 and /readyz 503, then an ingest
#     creates the file and /readyz turns 200 without a restart.
# The tmpfs part is skipped with a message when mount is not permitted, the
# read-only part when there is no way to drop privileges.
#
#   tests/reliability/faults.sh [POSTD]     (default build/postd)
. "$(dirname "$0")/lib.sh"
rel_init faults "$@"

"$POSTD_GEN" --count 500 --out "$WORK/posts" >/dev/null || exit 1
mkdir -p "$WORK/few/_posts"
find "$WORK/posts" -name '2023-08-1*.md' | head -n 10 | xargs -r cp -t "$WORK/few/_posts"

# ingest_expect WHAT EXIT_WANTED DB DIR [RUNAS...]: runs an ingest, checks its exit
# status is EXIT_WANTED and that it did not die of a signal, shows its message.
ingest_expect() {
    local what=$1 want=$2 db=$3 dir=$4 rc=0 msg
    shift 4
    "$@" "$POSTD" ingest --config /dev/null --db "$db" "$dir" >"$WORK/out" 2>"$WORK/err" || rc=$?
    msg=$(grep -v '^ *$' "$WORK/err" | tail -n 2 | tr '\n' ' ')
    figure "$what: exit $rc: ${msg:-<no message>}"
    check "$what: exit $want, not a crash (exit $rc)" test "$rc" = "$want"
    check "$what: says why on stderr" grep -q 'postd: ' "$WORK/err"
}

# serve_expect WHAT DB READYZ [RUNAS...]: serve, then /healthz must be 200 and
# /readyz READYZ (a status, or several as "200|503"); the server must still run and
# exit 0 on SIGTERM (serve_stop).
serve_expect() {
    local what=$1 db=$2 want=$3 h r
    shift 3
    # the prefix (RUNAS) start_postd runs postd with, for this call only
    # shellcheck disable=SC2034  # read by start_postd (lib.sh)
    local SERVE_AS=("$@")
    rm -f "$WORK/readyz"
    start_postd serve --db "$db"
    if [ -z "$PORT" ]; then
        bad "$what: serve did not start: $(head -c 400 "$WORK/serve.err")"
        return 1
    fi
    h=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$BASE/healthz")
    r=$(curl -s -m 5 -o "$WORK/readyz" -w '%{http_code}' "$BASE/readyz")
    p=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$BASE/v1/posts")
    figure "$what: /healthz $h, /readyz $r $(head -c 200 "$WORK/readyz" 2>/dev/null), /v1/posts $p;" \
        "stderr: $(grep -v '^ *$' "$WORK/serve.err" | head -n 2 | tr '\n' ' ')"
    check "$what: /healthz 200 ($h)" test "$h" = 200
    check "$what: /readyz $want ($r)" grep -qxE "$want" <<<"$r"
    check "$what: /v1/posts answers, not a dropped connection ($p)" test "$p" != 000
    # the requests went to this server, not to one an earlier check started
    check "$what: the port asked ($PORT) is the one this server printed ($(postd_port serve))" \
        test "$PORT" = "$(postd_port serve)"
    return 0
}
serve_stop() {
    local what=$1 src
    check "$what: server still running" kill -0 "$SERVER_PID"
    stop_postd "$SERVER_PID"
    src=$?
    check "$what: server exits 0 on SIGTERM (exit $src)" test "$src" = 0
}

# ---- disk full ---------------------------------------------------------------------
full=$WORK/full
mkdir -p "$full"
if mount -t tmpfs -o size=2m tmpfs "$full" 2>"$WORK/mount.err"; then
    track_mount "$full"
    ingest_expect "disk full, new database" 2 "$full/new/postd.db" "$WORK/posts"
    check "disk full: the message says the disk is full" grep -qiE 'full|space' "$WORK/err"
    # a first ingest builds beside the path (store.h, STORE_NEW) and cleans up
    check "disk full, new database: no database and no side files left" \
        test ! -e "$full/new/postd.db" -a ! -e "$full/new/postd.db-new" -a ! -e "$full/new/postd.db-fts"
    rm -rf "$full/new"
    # an existing database with a few posts keeps them exactly
    "$POSTD" ingest --config /dev/null --db "$full/db/postd.db" "$WORK/few" >/dev/null 2>&1
    if [ -s "$full/db/postd.db" ]; then
        before=$(fingerprint "$full/db/postd.db")
        ingest_expect "disk full, existing database" 2 "$full/db/postd.db" "$WORK/posts"
        after=$(fingerprint "$full/db/postd.db")
        integ=$(sqlite3 "$full/db/postd.db" 'PRAGMA integrity_check;' 2>&1 | head -n 3)
        check "disk full: the existing database is intact (integrity: $integ)" test "$integ" = ok
        check "disk full: and holds exactly what it held ($before)" test "$before" = "$after"
        serve_expect "serve after a disk-full ingest" "$full/db/postd.db" 200 && serve_stop "disk full"
    else
        bad "disk full: the 10-post database did not fit in 2 MiB"
    fi
    umount "$full" 2>/dev/null || umount -l "$full"
else
    log "SKIP disk full: cannot mount a tmpfs ($(head -c 200 "$WORK/mount.err"))"
    figure "disk full: skipped (mount not permitted)"
fi

# ---- read-only directory ----------------------------------------------------------
runas=()
if [ "$(id -u)" = 0 ]; then
    if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
        runas=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
    else
        runas=(skip)
    fi
fi
if [ "${runas[0]:-}" = skip ]; then
    log "SKIP read-only directory: running as root without setpriv/nobody"
    figure "read-only directory: skipped"
elif ! "${runas[@]}" test -r "$POSTD" -a -x "$POSTD"; then
    log "SKIP read-only directory: ${runas[*]} cannot run $POSTD"
    figure "read-only directory: skipped (binary not reachable for nobody)"
else
    chmod -R a+rX "$WORK/posts"
    mkdir -p "$WORK/ro" "$WORK/ro2"
    chmod 0555 "$WORK/ro"
    ingest_expect "read-only directory, new database" 2 "$WORK/ro/sub/postd.db" "$WORK/posts" \
        "${runas[@]}"
    "$POSTD" ingest --config /dev/null --db "$WORK/ro2/postd.db" "$WORK/few" >/dev/null 2>&1
    before=$(fingerprint "$WORK/ro2/postd.db")
    chmod 0444 "$WORK/ro2/postd.db"
    chmod 0555 "$WORK/ro2"
    ingest_expect "read-only directory, existing database" 2 "$WORK/ro2/postd.db" "$WORK/posts" \
        "${runas[@]}"
    check "read-only directory: the database kept what it held" \
        test "$before" = "$(fingerprint "$WORK/ro2/postd.db")"
    # serving needs no write access to the file, but SQLite's WAL mode wants its
    # -shm file next to it: 200 or 503 are both answers; a crash or hang is not
    if serve_expect "serve from a read-only directory" "$WORK/ro2/postd.db" '200|503' \
        "${runas[@]}"; then
        serve_stop "read-only directory"
    fi
    chmod 0755 "$WORK/ro" "$WORK/ro2"
fi

# ---- not a database -----------------------------------------------------------------
mkdir -p "$WORK/junk"
head -c 65536 /dev/urandom >"$WORK/junk/postd.db"
ingest_expect "not a database" 2 "$WORK/junk/postd.db" "$WORK/posts"
if serve_expect "serve a file that is not a database" "$WORK/junk/postd.db" 503; then
    serve_stop "not a database"
fi
# Each server thread opens the database on its first request, and an open that
# fails is retried on the next: 24 requests at once, the first any thread sees,
# on a fresh non-database, every 5th time after a refused ingest. All answered,
# the server still runs; 10 rounds.
concurrent_first() {
    local round=$1 i k u pids=() codes bad src
    rm -f "$WORK/junk/postd.db"*
    head -c 65536 /dev/urandom >"$WORK/junk/postd.db"
    [ $((round % 5)) = 0 ] &&
        "$POSTD" ingest --config /dev/null --db "$WORK/junk/postd.db" "$WORK/few" >/dev/null 2>&1
    if ! start_postd serve --db "$WORK/junk/postd.db"; then
        FIRST_RES="serve did not start: $(head -c 200 "$WORK/serve.err")"
        stop_postd "$SERVER_PID"
        return 1
    fi
    for i in $(seq 24); do
        case $((i % 3)) in 0) u=healthz ;; 1) u=readyz ;; *) u=v1/posts ;; esac
        curl -s -m 5 -o /dev/null -w "$u %{http_code}\n" "$BASE/$u" >"$WORK/first.$i" &
        pids+=($!)
    done
    for k in "${pids[@]}"; do wait "$k"; done
    codes=$(cat "$WORK"/first.* | sort | uniq -c | tr -s ' \n' ' ')
    bad=$(cat "$WORK"/first.* | grep -cvxE 'healthz 200|readyz 503|v1/posts 503')
    rm -f "$WORK"/first.*
    FIRST_RES="answers:$codes"
    kill -0 "$SERVER_PID" 2>/dev/null || { bad=$((bad + 1)) && FIRST_RES="$FIRST_RES, died"; }
    stop_postd "$SERVER_PID"
    src=$?
    [ "$src" = 0 ] || { bad=$((bad + 1)) && FIRST_RES="$FIRST_RES, exit $src"; }
    [ "$bad" = 0 ]
}
first_bad=0
first_seen=
for round in $(seq 10); do
    if ! concurrent_first "$round"; then
        first_bad=$((first_bad + 1))
        first_seen=${first_seen:-"round $round: $FIRST_RES"}
    fi
done
figure "not a database, 24 concurrent first requests x 10 rounds: $first_bad bad rounds" \
    "${first_seen:+(first: $first_seen)}"
check "not a database: concurrent first requests all answered, exit 0 ($first_bad of 10 rounds bad)" \
    test "$first_bad" = 0

# ---- missing database, created while serving ------------------------------------------
later=$WORK/later/postd.db
if serve_expect "serve a missing database" "$later" 503; then
    check "missing database: serve warns about it" grep -q 'readyz answers 503' "$WORK/serve.err"
    pid_before=$SERVER_PID
    "$POSTD" ingest --config /dev/null --db "$later" "$WORK/posts" >"$WORK/later.log" 2>&1
    t0=$(now_ms)
    if wait_http "$BASE/readyz" 10 200; then
        figure "missing database: /readyz 200 $(($(now_ms) - t0)) ms after the ingest ended:" \
            "$(curl -s -m 2 "$BASE/readyz")"
        ok "missing database: /readyz 200 after the ingest, same process ($pid_before)"
    else
        bad "missing database: /readyz still $(curl -s -m 5 -o /dev/null -w '%{http_code}' \
            "$BASE/readyz") 10 s after the ingest"
    fi
    n=$(curl -s -m 2 "$BASE/v1/posts?limit=1" | grep -o '"total":[0-9]*' | grep -o '[0-9]*$')
    check "missing database: the posts are served (total ${n:-?})" test "${n:-0}" -gt 400
    check "missing database: no restart" test "$SERVER_PID" = "$pid_before"
    serve_stop "missing database"
fi
rel_finish
