#!/usr/bin/env bash
# Container smoke test: builds the image from docker/Dockerfile, runs it on a free
# loopback port with samples/posts ingested on start, and checks over HTTP what a user
# of the image relies on: health, readiness, list, get, tag filter, ETag/304, 404, the
# HEALTHCHECK, a non-root user and a clean exit (code 0) on SIGTERM.
#
#   docker/smoke-test.sh                      (docker)
#   eval "$(../shared/tools/podman-env.sh)"; docker/smoke-test.sh   (podman)
#
# Environment: CONTAINER_ENGINE (docker), CONTAINER_BUILD_FLAGS (extra build flags;
# podman needs --format docker for HEALTHCHECK), SMOKE_IMAGE (postd:smoke),
# SMOKE_SKIP_BUILD=1 to test an image already built. Needs curl on the host.
# Loopback only; every wait is bounded; the container and its anonymous volumes are
# removed on exit (the image is kept, for inspection). Ends with
# "smoke: N passed, M failed"; exits 1 on any failure.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
engine=${CONTAINER_ENGINE:-docker}
image=${SMOKE_IMAGE:-postd:smoke}
name=postd-smoke-$$
tmp=$(mktemp -d)

# shellcheck disable=SC2317  # called by the trap
cleanup() {
    "$engine" rm -f -v "$name" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# shellcheck source=tests/lib/check.sh
. tests/lib/check.sh
finish() { check_finish smoke; }

command -v curl >/dev/null || { echo "smoke: curl is needed on the host" >&2; exit 1; }

# ---- build -------------------------------------------------------------------------
if [ "${SMOKE_SKIP_BUILD:-0}" != 1 ]; then
    t0=$(date +%s)
    # shellcheck disable=SC2086  # the flags are a list of words
    if "$engine" build ${CONTAINER_BUILD_FLAGS:-} -t "$image" -f docker/Dockerfile .; then
        ok "image builds (and its unit tests pass) in $(($(date +%s) - t0)) s"
    else
        bad "image build"
        finish
    fi
fi
size=$("$engine" image inspect --format '{{.Size}}' "$image")
echo "info image $image: $size bytes ($((size / 1024 / 1024)) MiB)"

# ---- run ---------------------------------------------------------------------------
# A port nothing listens on; `run` is retried on another one if it was taken meanwhile.
free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}
started=0
for _ in 1 2 3; do
    port=$(free_port)
    if "$engine" run -d --name "$name" -p "127.0.0.1:$port:8080" \
        -v "$root/samples/posts:/posts:ro" -e POSTD_INGEST_ON_START=1 "$image" >/dev/null; then
        started=1
        break
    fi
    "$engine" rm -f -v "$name" >/dev/null 2>&1 || true
done
if [ "$started" != 1 ]; then
    bad "container starts"
    finish
fi
base=http://127.0.0.1:$port
echo "info container $name on $base"

# Health within 60 s; stop early when the container has exited.
healthy=0
deadline=$(($(date +%s) + 60))
while [ "$(date +%s)" -lt "$deadline" ]; do
    if curl -fsS -m 2 -o "$tmp/healthz" "$base/healthz" 2>/dev/null; then
        healthy=1
        break
    fi
    running=$("$engine" inspect --format '{{.State.Running}}' "$name" 2>/dev/null || echo false)
    [ "$running" = true ] || break
    sleep 0.5
done
if [ "$healthy" != 1 ]; then
    bad "GET /healthz answers 200 within 60 s"
    "$engine" logs "$name" 2>&1 | tail -n 40
    finish
fi
ok "GET /healthz answers 200 within 60 s"
check "/healthz says ok" grep -q '"status": *"ok"' "$tmp/healthz"

# ---- HTTP --------------------------------------------------------------------------
# get PATH [CURL ARGS...]: body to $tmp/body, headers to $tmp/head, status echoed.
get() {
    local path=$1
    rm -f "$tmp/body" "$tmp/head"
    shift
    curl -sS -m 10 -o "$tmp/body" -D "$tmp/head" -w '%{http_code}' "$@" "$base$path" ||
        echo 000
}
# json_int KEY: the first integer value of "KEY" in $tmp/body.
json_int() {
    grep -o "\"$1\": *[0-9]*" "$tmp/body" | head -n 1 | grep -o '[0-9]*$' || true
}
# json_str KEY: the first string value of "KEY" in $tmp/body.
json_str() {
    grep -o "\"$1\": *\"[^\"]*\"" "$tmp/body" | head -n 1 | sed 's/.*: *"//; s/"$//' || true
}
header() {
    tr -d '\r' <"$tmp/head" | grep -i "^$1:" | head -n 1 | sed 's/^[^:]*: *//' || true
}

code=$(get /readyz)
check "GET /readyz is 200 after the ingest (got $code)" test "$code" = 200

code=$(get '/v1/posts?limit=5')
total=$(json_int total)
id=$(json_str id)
check "GET /v1/posts is 200 (got $code)" test "$code" = 200
check "the list has total > 0 (total=${total:-none})" test "${total:-0}" -gt 0
check "the list has an item with an id (${id:-none})" test -n "$id"

code=$(get "/v1/posts/$id")
check "GET /v1/posts/$id is 200 (got $code)" test "$code" = 200
check "it returns that post" grep -q "\"id\": *\"$id\"" "$tmp/body"

code=$(get '/v1/tags?limit=1')
tag=$(json_str slug)
[ -n "$tag" ] || tag=$(json_str name)
tag_count=$(json_int count)
check "GET /v1/tags is 200 with a tag (${tag:-none}, count ${tag_count:-none})" \
    test "$code" = 200 -a -n "$tag"
code=$(get "/v1/posts?tag=$tag&limit=100")
tag_total=$(json_int total)
check "GET /v1/posts?tag=$tag is 200 (got $code)" test "$code" = 200
check "the tag filter gives 0 < ${tag_total:-none} <= $total posts" \
    test "${tag_total:-0}" -gt 0 -a "${tag_total:-0}" -le "${total:-0}"

get '/v1/posts?limit=5' >/dev/null
etag=$(header etag)
check "the list has an ETag (${etag:-none})" test -n "$etag"
code=$(get '/v1/posts?limit=5' -H "If-None-Match: $etag")
check "If-None-Match with that ETag gives 304 (got $code)" test "$code" = 304
check "the 304 has no body" test ! -s "$tmp/body"

code=$(get /v1/posts/no-such-post-smoke)
check "an unknown post is 404 (got $code)" test "$code" = 404
check "as problem+json" grep -qi '^content-type: *application/problem+json' "$tmp/head"

# ---- container properties ----------------------------------------------------------
if [ "$engine" = podman ] || [ "${engine##*/}" = podman ]; then
    # No systemd here: health checks only run when asked.
    check "podman healthcheck run says healthy (needs a --format docker build)" \
        "$engine" healthcheck run "$name"
else
    hs=
    for _ in $(seq 40); do
        hs=$("$engine" inspect --format '{{.State.Health.Status}}' "$name" 2>/dev/null || true)
        [ "$hs" = healthy ] && break
        sleep 1
    done
    check "HEALTHCHECK reports healthy (got ${hs:-none})" test "$hs" = healthy
fi
check "postd health fails on a wrong port" \
    test "$("$engine" exec "$name" postd health --listen 127.0.0.1:1 >/dev/null 2>&1; echo $?)" = 1

"$engine" logs "$name" >"$tmp/log" 2>&1 || true
check "postd warned about no setting (the entrypoint consumes its own)" \
    test -z "$(grep -i 'warning' "$tmp/log" | grep -iv 'systemd' || true)"
check "the entrypoint ingested /posts" grep -q '^entrypoint: ingesting /posts' "$tmp/log"

uid=$("$engine" exec "$name" id -u | tr -d '\r')
check "the server runs as non-root (uid ${uid:-none})" test -n "$uid" -a "$uid" != 0

t0=$(date +%s)
"$engine" stop -t 15 "$name" >/dev/null
secs=$(($(date +%s) - t0))
exit_code=$("$engine" inspect --format '{{.State.ExitCode}}' "$name")
check "SIGTERM stops it with exit code 0 (got $exit_code, in ${secs} s)" test "$exit_code" = 0
if [ "$failed" -gt 0 ]; then
    echo "---- container log (last 40 lines)"
    "$engine" logs "$name" 2>&1 | tail -n 40
fi

finish
