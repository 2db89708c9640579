#!/bin/sh
# The postd command line, run as a user runs it: help and version, usage errors,
# ingest/check exit statuses and messages on a fixture folder with one broken file,
# --strict leaving the database as it was, check writing nothing, and the config
# layers (file < environment < flags) and their errors through the real binary.
#
# usage: cli_test.sh POSTD FIXTURES   (FIXTURES = tests/server/fixtures)
set -u
POSTD=$1
FIX=$2
T=$(mktemp -d /tmp/postd-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
# A developer's POSTD_* settings must not leak into the test.
for v in $(env | sed -n 's/^\(POSTD_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
: >empty.yaml

fails=0
fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}
# run EXPECTED_STATUS CMD...: runs CMD with stdout/stderr in out/err
run() {
    want=$1
    shift
    "$@" >out 2>err </dev/null
    got=$?
    [ "$got" = "$want" ] || fail "$* → exit $got, expected $want; stderr: $(head -c 600 err)"
}
has() { # has FILE REGEX WHAT
    grep -Eq -- "$2" "$1" || fail "$3: /$2/ not in $1: $(head -c 600 "$1")"
}
hasnt() {
    ! grep -Eq -- "$2" "$1" || fail "$3: /$2/ unexpectedly in $1"
}

# ---- help, version, usage errors ---------------------------------------------
run 0 "$POSTD" --help
has out '^usage: postd' "--help"
has out 'ingest' "--help lists ingest"
run 0 "$POSTD" help
has out '^usage: postd' "help"
run 0 "$POSTD" --version
has out '^postd [0-9]+\.[0-9]+\.[0-9]+$' "--version"
for cmd in ingest check serve config health; do
    run 0 "$POSTD" "$cmd" --help
    has out "^usage: postd $cmd" "$cmd --help"
    run 0 "$POSTD" help "$cmd"
    has out "^usage: postd $cmd" "help $cmd"
done
run 0 "$POSTD" serve --help
has out '--listen' "serve --help lists --listen"
has out 'POSTD_MAX_LIMIT' "serve --help names the environment variables"

run 2 "$POSTD"
has err 'usage' "no command"
run 2 "$POSTD" frobnicate
has err 'unknown command frobnicate' "unknown command"
has err '^usage: postd' "unknown command shows usage"
run 2 "$POSTD" --frobnicate
has err 'unknown flag --frobnicate' "unknown global flag"
run 2 "$POSTD" serve --frobnicate
has err 'unknown flag --frobnicate' "unknown serve flag"
has err '^usage: postd serve' "unknown flag shows the command's usage"
run 2 "$POSTD" serve --listen
has err 'needs a value' "flag without value"
run 2 "$POSTD" serve extra
has err 'unexpected argument extra' "serve with an argument"
run 2 "$POSTD" ingest --config empty.yaml --db x.db
has err 'needs at least one DIR' "ingest without DIR"
run 2 "$POSTD" check --listen 127.0.0.1:1 "$FIX/posts/good"
has err 'unknown flag --listen' "a serve-only flag on check"
run 2 "$POSTD" ingest --prune=yes --db x.db "$FIX/posts/good"
has err 'takes no value' "--prune=yes"

# ---- ingest --------------------------------------------------------------------
run 0 "$POSTD" ingest --config empty.yaml --db db/a.db "$FIX/posts/good"
has out 'added 2' "first ingest summary"
[ -f db/a.db ] || fail "ingest did not create db/a.db (and its folder)"
run 0 "$POSTD" ingest --config empty.yaml --db db/a.db "$FIX/posts/good"
has out 'unchanged 2' "second ingest is idempotent"

# --strict with a broken file: exit 1, nothing written
dump() {
    if command -v sqlite3 >/dev/null 2>&1; then
        sqlite3 "$1" .dump
    else
        cat "$1"
    fi
}
dump db/a.db >before.dump
run 1 "$POSTD" ingest --config empty.yaml --strict --db db/a.db "$FIX/posts/good" "$FIX/posts/broken"
has err '2023-01-04-broken\.md:[0-9]+:[0-9]+: ' "strict: the broken file as path:line:col:"
dump db/a.db >after.dump
cmp -s before.dump after.dump || fail "--strict changed the database"

# without --strict: exit 1, the good files land, the summary on stdout
run 1 "$POSTD" ingest --config empty.yaml --db db/a.db "$FIX/posts/good" "$FIX/posts/broken"
has err '2023-01-04-broken\.md:[0-9]+:[0-9]+: ' "the broken file as path:line:col:"
has out 'added 1' "the third post was added"
has out 'rejected 1' "one file rejected"
hasnt out 'broken\.md' "errors stay off stdout"
dump db/a.db >after2.dump
cmp -s before.dump after2.dump && fail "the good new post was not written"

# I/O and database errors: exit 2
run 2 "$POSTD" ingest --config empty.yaml --db db/a.db "$T/no-such-dir"
has err 'no-such-dir' "a missing folder is named"
run 2 "$POSTD" ingest --config empty.yaml --db db/a.db "$FIX/posts/good/2023-01-01-first.md"
has err 'not a directory' "a file given as DIR"
echo "not a database, just text that is long enough to be read as a header....." >junk.db
run 2 "$POSTD" ingest --config empty.yaml --db junk.db "$FIX/posts/good"
has err 'junk\.db' "a file that is not a database"

# ---- check ---------------------------------------------------------------------
mkdir checkdir && cd checkdir || exit 1
run 1 "$POSTD" check --config ../empty.yaml "$FIX/posts/good" "$FIX/posts/broken"
has err '2023-01-04-broken\.md:[0-9]+:[0-9]+: ' "check reports the broken file"
has out 'rejected 1' "check summary"
written() { ls -A | grep -v -e '^out$' -e '^err$'; }
[ -z "$(written)" ] || fail "check wrote files: $(written | tr '\n' ' ')"
run 0 "$POSTD" check --config ../empty.yaml "$FIX/posts/good"
[ -z "$(written)" ] || fail "check wrote files: $(written | tr '\n' ' ')"
cd .. || exit 1

# ---- configuration through the binary --------------------------------------------
printf 'threads: 3\nmax_limit: 40\n' >file.yaml
run 0 "$POSTD" config --config empty.yaml
has out '^threads: 2  # default$' "default threads"
run 0 "$POSTD" config --config file.yaml
has out '^threads: 3  # file\.yaml:1:' "file threads"
run 0 env POSTD_THREADS=4 "$POSTD" config --config file.yaml
has out '^threads: 4  # POSTD_THREADS$' "env over file"
has out '^max_limit: 40  # file\.yaml:2:' "the file's other keys stay"
run 0 env POSTD_THREADS=4 "$POSTD" config --config file.yaml --threads 5
has out '^threads: 5  # --threads$' "flag over env"
run 0 env POSTD_THREADS=4 POSTD_CONFIG=file.yaml "$POSTD" config --threads=6
has out '^threads: 6  # --threads$' "--flag=value"
has out '^max_limit: 40  # file\.yaml' "POSTD_CONFIG names the file"
run 0 "$POSTD" config --config empty.yaml --no-access-log --future
has out '^access_log: false  # --no-access-log$' "--no-KEY"
has out '^future: true  # --future$' "a bool flag without value"
mkdir -p cwd/config && printf 'threads: 8\n' >cwd/config/postd.yaml
(cd cwd && "$POSTD" config >../out 2>../err)
has out '^threads: 8  # config/postd\.yaml:1:' "./config/postd.yaml is read when nothing else is named"

# bad values: exit 2, the key and the source named
run 2 "$POSTD" config --config no-such.yaml
has err 'no-such\.yaml' "a missing --config file"
run 2 env POSTD_CONFIG=no-such.yaml "$POSTD" serve
has err 'no-such\.yaml' "a missing POSTD_CONFIG file"
printf 'threads: 2\nlisten: 127.0.0.1\n' >bad.yaml
run 2 "$POSTD" serve --config bad.yaml
has err 'bad\.yaml:2:[0-9]+: listen:' "bad listen in the file"
printf 'treads: 2\n' >typo.yaml
run 2 "$POSTD" serve --config typo.yaml
has err 'typo\.yaml:1:[0-9]+: unknown key "treads"' "unknown key in the file"
printf 'threads: two\n' >type.yaml
run 2 "$POSTD" ingest --config type.yaml --db x.db "$FIX/posts/good"
has err 'type\.yaml:1:[0-9]+: threads: expected an integer' "wrong type, even for a key ingest does not use"
[ -f x.db ] && fail "ingest ran despite a bad config"
run 2 env POSTD_THREADS=0 "$POSTD" serve --config empty.yaml
has err 'POSTD_THREADS: threads: .*out of range' "env out of range"
run 2 env POSTD_ACCESS_LOG=perhaps "$POSTD" serve --config empty.yaml
has err 'POSTD_ACCESS_LOG: access_log:' "bad env bool"
run 2 "$POSTD" serve --config empty.yaml --listen 127.0.0.1:99999
has err '\-\-listen: listen: .*port' "bad listen flag"
run 2 "$POSTD" serve --config empty.yaml --max-limit 10 --default-limit 20
has err 'default_limit' "default_limit over max_limit"
run 2 "$POSTD" ingest --config empty.yaml --timezone Mars/Olympus --db x.db "$FIX/posts/good"
has err '\-\-timezone: timezone:' "bad timezone flag"
run 0 env POSTD_THREAD=3 "$POSTD" config --config empty.yaml
has err 'warning: ignoring unknown environment variable POSTD_THREAD' "env typo warned"

# stop_server PID SIG: sends SIG, allows 5 s for exit status 0, else kills it.
stop_server() {
    kill -"$2" "$1"
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    if kill -0 "$1" 2>/dev/null; then
        kill -KILL "$1"
        fail "serve did not stop on SIG$2 within 5 s"
    fi
    wait "$1"
    st=$?
    [ $st = 0 ] || fail "serve exit status after SIG$2: $st"
}

# ---- serve: cannot listen → exit 2 -------------------------------------------
"$POSTD" serve --config empty.yaml --db db/a.db --listen 127.0.0.1:0 >s1.out 2>s1.err &
pid=$!
port=""
i=0
while [ $i -lt 100 ] && [ -z "$port" ]; do
    port=$(sed -n 's/.* on http:\/\/127\.0\.0\.1:\([0-9][0-9]*\) .*/\1/p' s1.err)
    [ -n "$port" ] || sleep 0.05
    i=$((i + 1))
done
if [ -n "$port" ]; then
    has s1.err '^postd: serving db/a\.db on http://127\.0\.0\.1:[0-9]+ \(2 threads\)$' "startup line"
    run 2 "$POSTD" serve --config empty.yaml --db db/a.db --listen "127.0.0.1:$port"
    has err "127\.0\.0\.1:$port" "a port in use is named"
    # postd health: the container HEALTHCHECK probe
    run 0 "$POSTD" health --config empty.yaml --listen "127.0.0.1:$port"
    run 0 env POSTD_LISTEN="0.0.0.0:$port" "$POSTD" health --config empty.yaml /readyz
    run 1 "$POSTD" health --config empty.yaml --listen "127.0.0.1:$port" /no-such-path
    has err 'answered 404' "health names the status it got"
    run 2 "$POSTD" health --config empty.yaml --listen "127.0.0.1:$port" healthz
    stop_server $pid TERM
    run 1 "$POSTD" health --config empty.yaml --listen "127.0.0.1:$port"
    has err 'cannot connect' "health on a stopped server"
else
    kill -KILL $pid 2>/dev/null
    fail "no startup line from serve: $(cat s1.err)"
fi

# ---- serve on IPv6 loopback (skipped where the host has no ::1) ------------------
"$POSTD" serve --config empty.yaml --db db/a.db --listen '[::1]:0' >s6.out 2>s6.err &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q 'serving' s6.err && kill -0 $pid 2>/dev/null; do
    sleep 0.05
    i=$((i + 1))
done
if grep -q 'serving' s6.err; then
    has s6.err '^postd: serving db/a\.db on http://\[::1\]:[0-9]+ \(2 threads\)$' "IPv6 startup line"
    stop_server $pid INT
else
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null
    echo "cli_test: no IPv6 loopback here, [::1] not checked: $(cat s6.err)" >&2
fi

if [ $fails -gt 0 ]; then
    echo "cli_test: $fails failure(s)" >&2
    exit 1
fi
echo "cli_test: all passed"
