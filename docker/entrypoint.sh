#!/bin/sh
# The container's entrypoint (POSIX sh). It decides what postd runs, then execs it so
# that postd is PID 1 and gets the stop signal (SIGTERM) itself.
#
#   (no args) | serve [FLAGS]   optionally ingest /posts first, then `postd serve FLAGS`
#   ingest|check|--help|...     `postd ARGS` as given
#
# Settings are postd's own POSTD_* variables (POSTD_DB, POSTD_LISTEN, ...), read by
# postd. The two below are the entrypoint's; it removes them before exec so that
# postd does not warn about unknown POSTD_* names:
#   POSTD_INGEST_ON_START  1/true/yes/on: run `postd ingest` before serving when the
#                          posts folder has files. A run that rejected some files
#                          (exit 1) still serves the good ones; any other failure stops.
#   POSTD_POSTS_DIR        the posts folder (default /posts, the image's volume).
set -eu

posts=${POSTD_POSTS_DIR:-/posts}
on_start=${POSTD_INGEST_ON_START:-0}
unset POSTD_POSTS_DIR POSTD_INGEST_ON_START

log() { echo "entrypoint: $*" >&2; }

if [ $# -eq 0 ]; then
    set -- serve
fi
if [ "$1" != serve ]; then
    exec postd "$@"
fi
shift

case $(printf %s "$on_start" | tr '[:upper:]' '[:lower:]') in
1 | true | yes | on)
    # Any file at all (posts may sit in subfolders such as _posts/).
    if [ -d "$posts" ] && [ -n "$(find "$posts" -type f -print 2>/dev/null | head -n 1)" ]; then
        log "ingesting $posts into ${POSTD_DB:-the configured database}"
        rc=0
        postd ingest "$posts" || rc=$?
        case $rc in
        0) ;;
        1) log "some files were rejected (listed above); serving the good ones" ;;
        *)
            log "ingest failed (exit $rc)"
            exit "$rc"
            ;;
        esac
    else
        log "POSTD_INGEST_ON_START is set but $posts has no files; not ingesting"
    fi
    ;;
0 | false | no | off | '') ;;
*)
    log "POSTD_INGEST_ON_START=$on_start: expected 1/true/yes/on or 0/false/no/off"
    exit 2
    ;;
esac

exec postd serve "$@"
