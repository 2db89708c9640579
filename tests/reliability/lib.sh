# shellcheck shell=bash
# Shared by the reliability parts (sourced, not run): arguments, the work folder,
# process bookkeeping (every process a part starts is recorded by PID and stopped
# by PID in the EXIT trap, bounded), servers on port 0, bounded waits, check lines,
# the A/B corpora and database fingerprints.
#
# A part script does:  . "$(dirname "$0")/lib.sh"; rel_init NAME "$@"; ...; rel_finish
# and prints "ok   ..." / "FAIL ..." per check, "figure: NAME: ..." lines, and exits 1
# when a check failed (0 otherwise, 77 when skipped as a whole).
# Environment: REL_WORK (a folder to work in; a temporary one otherwise),
# REL_KEEP=1 (keep the work folder).

set -u

REL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REL_ROOT=$(cd "$REL_DIR/../.." && pwd)
rel_pids=()
rel_mounts=()
# start_postd's settings (see there); empty: postd itself, access log to NAME.out
SERVE_AS=()
SERVE_OUT=

# A developer's POSTD_* settings must not leak into the tests; every postd run also
# gets --config /dev/null (built-in defaults only, whatever the working directory).
for _v in $(env | sed -n 's/^\(POSTD_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$_v"; done
unset _v

log() { echo "$REL_NAME: $*"; }
# ok, bad, check and check_finish; each ok/FAIL line names the part
# shellcheck source=tests/lib/check.sh
. "$REL_ROOT/tests/lib/check.sh"
figure() { echo "figure: $REL_NAME: $*"; }
now_ms() { date +%s%3N; }
# le A B: A <= B for decimals.
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }

# rel_init NAME POSTD: checks the binaries, makes the work folder, sets the trap,
# installs the tools a part needs (exit 2 when it cannot).
rel_init() {
    REL_NAME=$1
    CHECK_PREFIX="$REL_NAME: "
    POSTD=$(realpath "${2:-$REL_ROOT/build/postd}" 2>/dev/null || true)
    if [ -z "$POSTD" ] || [ ! -x "$POSTD" ]; then
        echo "$REL_NAME: no postd binary at ${2:-build/postd} (build first, or pass its path)"
        exit 2
    fi
    POSTD_GEN=$(dirname "$POSTD")/postd-gen
    if [ ! -x "$POSTD_GEN" ]; then
        echo "$REL_NAME: no postd-gen next to $POSTD"
        exit 2
    fi
    if [ -n "${REL_WORK:-}" ]; then
        WORK=$REL_WORK/$REL_NAME
        rm -rf "$WORK"
        mkdir -p "$WORK"
    else
        WORK=$(mktemp -d "/tmp/postd-rel-$REL_NAME.XXXXXX")
    fi
    chmod 0755 "$WORK"
    trap rel_cleanup EXIT
    trap 'exit 130' INT TERM
    ensure_tools || exit 2
}

# shellcheck disable=SC2317  # called by the trap
rel_cleanup() {
    local p m
    for p in "${rel_pids[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    for p in "${rel_pids[@]}"; do
        # bounded: a process that ignores SIGTERM for 5 s is killed
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    for m in "${rel_mounts[@]}"; do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
    if [ "${REL_KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}

rel_finish() { check_finish "$REL_NAME"; }

# track PID / forget PID: a process that has been waited for is no longer ours.
track() { rel_pids+=("$1"); }
forget() {
    local p keep=()
    for p in "${rel_pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    rel_pids=("${keep[@]}")
}
track_mount() { rel_mounts+=("$1"); }

# wait_pid PID SECONDS: waits for PID to end; returns its exit status, or 124 (it
# was then killed) when it outlived SECONDS.
wait_pid() {
    local p=$1 rc=0
    for _ in $(seq $(($2 * 10))); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$p" 2>/dev/null; then
        kill -9 "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
        forget "$p"
        return 124
    fi
    wait "$p" 2>/dev/null || rc=$?
    forget "$p"
    return "$rc"
}

# postd_port NAME: the port in NAME.err's startup line (empty until it is there).
postd_port() {
    sed -n 's|.* on http://127\.0\.0\.1:\([0-9]*\) .*|\1|p' "$WORK/$1.err" | head -n 1
}

# start_postd NAME ARGS...: `postd serve ARGS --listen 127.0.0.1:0` in the
# background, access log to NAME.out, stderr to NAME.err. Sets SERVER_PID and PORT
# (read from the startup line); returns 1 when it did not start within 10 s.
# Two settings, for a caller to set with `local` (bash then keeps them to that
# caller and what it calls) or as VAR=value before the call (SERVE_OUT only):
#   SERVE_AS   an array, a command prefix, e.g. (setpriv --reuid=nobody ...)
#   SERVE_OUT  where the access log goes instead of NAME.out, e.g. /dev/null
start_postd() {
    local name=$1
    shift
    # Emptied here, before the fork: the child's own redirection empties it only when
    # the child runs, and a port read before that is the previous server's (seen
    # once in CI: three 000s from a port nobody listened on any more).
    : >"$WORK/$name.err"
    "${SERVE_AS[@]}" "$POSTD" serve --config /dev/null --listen 127.0.0.1:0 "$@" \
        >"${SERVE_OUT:-$WORK/$name.out}" 2>"$WORK/$name.err" &
    SERVER_PID=$!
    track "$SERVER_PID"
    PORT=
    for _ in $(seq 100); do
        PORT=$(postd_port "$name")
        [ -n "$PORT" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$PORT" ]; then
        log "postd serve $* did not start:"
        cat "$WORK/$name.err"
        return 1
    fi
    # shellcheck disable=SC2034  # for the part scripts
    BASE=http://127.0.0.1:$PORT
    return 0
}

# serve_ready NAME ARGS...: start_postd, then /readyz 200 within 10 s; when either
# fails, a failed check and the end of the part.
serve_ready() {
    start_postd "$@" || { bad "server did not start"; rel_finish; }
    wait_http "$BASE/readyz" 10 || { bad "not ready"; rel_finish; }
}

# setup_ingest DB DIR LOG WHAT: a part's setup ingest of DIR into DB, output to LOG;
# when it fails (exit above 1), shows LOG, fails WHAT and ends the part.
setup_ingest() {
    local rc=0
    "$POSTD" ingest --config /dev/null --db "$1" "$2" >"$3" 2>&1 || rc=$?
    [ "$rc" -le 1 ] && return 0
    cat "$3"
    bad "$4 (exit $rc)"
    rel_finish
}

# stop_postd PID: SIGTERM, bounded wait; returns its exit status (124: had to kill).
stop_postd() {
    kill -TERM "$1" 2>/dev/null || true
    wait_pid "$1" 15
}

# wait_http URL SECONDS [STATUS]: until URL answers STATUS (200).
wait_http() {
    local deadline=$(($(date +%s) + $2)) want=${3:-200} got
    while [ "$(date +%s)" -lt "$deadline" ]; do
        got=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$1" 2>/dev/null || true)
        [ "$got" = "$want" ] && return 0
        sleep 0.1
    done
    return 1
}

# rss_kb PID: VmRSS in kB.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# ensure_tools: wrk, sqlite3, curl, jq and cc from Debian when missing (rel_init and
# run.sh, which does it once before the parts).
ensure_tools() {
    local need=""
    command -v wrk >/dev/null || need="$need wrk"
    command -v sqlite3 >/dev/null || need="$need sqlite3"
    command -v curl >/dev/null || need="$need curl"
    command -v jq >/dev/null || need="$need jq"
    command -v cc >/dev/null || need="$need gcc libc6-dev"
    if [ -n "$need" ]; then
        log "installing:$need"
        # shellcheck disable=SC2086
        "$REL_ROOT/scripts/install-deps" $need >&2 || return 1
    fi
    return 0
}

# make_versions COUNT DIR: DIR/A and DIR/B, the same COUNT generated posts whose
# titles all end in " [A]" / " [B]" (postd-gen writes every title as one
# double-quoted line without escapes; checked, so a generator change shows here).
make_versions() {
    local count=$1 dir=$2 v f
    "$POSTD_GEN" --count "$count" --out "$dir/gen" >/dev/null || return 1
    for v in A B; do
        cp -r "$dir/gen" "$dir/$v"
        find "$dir/$v" -type f -exec sed -i "s/^\(title: *\"[^\"]*\)\"\$/\1 [$v]\"/" {} +
    done
    # every file that has a title line now has a marked one
    f=$(grep -rL -E "^title: *\"[^\"]* \[A\]\"\$" "$dir/A" | xargs -r grep -l '^title:' | head -n 3)
    if [ -n "$f" ]; then
        log "titles not marked in: $f"
        return 1
    fi
    rm -rf "$dir/gen"
}

# fingerprint DB: what the database says, ignoring times: every post's id and
# content hash in id order, the number of tag/domain links, and the generation.
fingerprint() {
    sqlite3 "$1" \
        "SELECT (SELECT count(*) FROM posts) || ' ' ||
                (SELECT count(*) FROM post_tags) || ' ' ||
                (SELECT count(*) FROM post_domains) || ' ' ||
                (SELECT value FROM meta WHERE key = 'generation') || ' ' ||
                (SELECT hex(sha3(group_concat(id || ':' || hash, ',')))
                   FROM (SELECT id, hash FROM posts ORDER BY id));" 2>&1
}

# wrk_run OUT SECONDS CONNECTIONS URL ENTRIES...: wrk with count.lua in the
# background (WRK_PID set), output to OUT.
wrk_run() {
    local out=$1 secs=$2 conns=$3 url=$4
    shift 4
    wrk -t2 -c"$conns" -d"${secs}s" --timeout 5s -s "$REL_DIR/count.lua" "$url" -- "$@" \
        >"$out" 2>&1 &
    WRK_PID=$!
    track "$WRK_PID"
}

# wrk_get OUT KEY: a figure from wrk's output: rps, requests, socket (the socket
# error line, empty when none), non2xx (wrk's own count of non-2xx/3xx), or any
# key=value of the lua line.
wrk_get() {
    case $2 in
    rps) sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$1" | head -n 1 ;;
    requests) sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$1" | head -n 1 ;;
    socket) sed -n 's/^ *Socket errors: *\(.*\)/\1/p' "$1" | head -n 1 ;;
    non2xx) sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$1" | head -n 1 ;;
    *) grep -o "^lua:.* $2=[^ ]*" "$1" | sed "s/.* $2=//" | head -n 1 ;;
    esac
}

# paths_from_data BASE: mixed API paths taken from the served data, one a line:
# single posts, filtered lists, term lists, a search, a cursor page, and
# "PATH|ETAG" revalidations (304).
paths_from_data() {
    local base=$1 first ids tag domain author cursor etag p
    first=$(curl -fsS -m 5 "$base/v1/posts?limit=20") || return 1
    ids=$(printf %s "$first" | grep -o '"id":"[^"]*"' | sed 's/"id":"//; s/"$//' | head -n 4)
    tag=$(curl -fsS -m 5 "$base/v1/tags?limit=1" | grep -o '"slug":"[^"]*"' | head -n 1 |
        sed 's/"slug":"//; s/"$//')
    domain=$(curl -fsS -m 5 "$base/v1/domains?limit=1" | grep -o '"domain":"[^"]*"' |
        head -n 1 | sed 's/"domain":"//; s/"$//')
    author=$(curl -fsS -m 5 "$base/v1/authors?limit=1" | grep -o '"slug":"[^"]*"' | head -n 1 |
        sed 's/"slug":"//; s/"$//')
    cursor=$(printf %s "$first" | grep -o '"next_cursor":"[^"]*"' | sed 's/.*:"//; s/"$//')
    for p in $ids; do echo "/v1/posts/$p"; done
    echo "/v1/posts?limit=20"
    [ -n "$tag" ] && echo "/v1/posts?tag=$tag&limit=20" && echo "/v1/tags/$tag/posts?sort=title"
    [ -n "$domain" ] && echo "/v1/posts?domain=$domain&after=2024-01-01&limit=10"
    [ -n "$author" ] && echo "/v1/posts?author=$author&tag_not=${tag:-x}&page=2"
    echo "/v1/posts?q=night+train&limit=10"
    echo "/v1/tags"
    echo "/v1/domains?sort=name&limit=50"
    [ -n "$cursor" ] && echo "/v1/posts?limit=20&cursor=$cursor"
    for p in "/v1/posts?limit=20" "/v1/tags" "/v1/posts/$(printf '%s\n' "$ids" | head -n 1)"; do
        etag=$(curl -fsS -m 5 -o /dev/null -D - "$base$p" | sed -n 's/^[Ee][Tt][Aa][Gg]: *\([^\r]*\).*/\1/p')
        [ -n "$etag" ] && echo "$p|$etag"
    done
    return 0
}
