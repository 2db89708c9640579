#!/usr/bin/env bash
# Runs the end-to-end suite (e2e_http) and the hostile requests (hostile_requests)
# with every postd process they start — ingest and serve — under valgrind
# memcheck, and fails when valgrind reports any error or a definite/indirect leak
# in any of them, or when a client fails. The clients run natively; only postd
# is under valgrind (through a wrapper given to them as the postd binary).
#
#   usage: tests/hostile/valgrind-e2e.sh [BUILD_DIR]     (default: build)
#   make memcheck
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
postd="$build/postd"
for f in "$postd" "$build/tests/e2e/e2e_http" "$build/tests/hostile/hostile_requests"; do
  [ -x "$f" ] || { echo "valgrind-e2e: $f is not built" >&2; exit 2; }
done
command -v valgrind >/dev/null || { echo "valgrind-e2e: valgrind is not installed" >&2; exit 2; }

work="$(mktemp -d /tmp/postd-valgrind-XXXXXX)"
trap 'rm -rf "$work"' EXIT
logs="$work/logs"
mkdir -p "$logs"
# The wrapper: each postd process writes its own log, named by PID.
cat > "$work/postd" <<EOF
#!/bin/sh
exec valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \\
  --errors-for-leak-kinds=definite,indirect --track-origins=yes --error-exitcode=99 \\
  --log-file="$logs/vg.%p.log" "$postd" "\$@"
EOF
chmod +x "$work/postd"

status=0
echo "valgrind-e2e: e2e_http under valgrind"
"$build/tests/e2e/e2e_http" "$work/postd" "$root/tests/e2e/fixtures/posts" "$root/samples/posts" \
  > "$work/e2e_http.log" 2>&1 || { status=1; echo "valgrind-e2e: e2e_http FAILED:"; tail -40 "$work/e2e_http.log"; }
echo "valgrind-e2e: hostile_requests under valgrind"
HOSTILE_WATCHDOG=900 "$build/tests/hostile/hostile_requests" "$work/postd" "$root/samples/posts" \
  > "$work/hostile.log" 2>&1 || { status=1; echo "valgrind-e2e: hostile_requests FAILED:"; grep -v '^ok ' "$work/hostile.log" | tail -40; }
tail -1 "$work/hostile.log"

n=0
for log in "$logs"/vg.*.log; do
  [ -e "$log" ] || continue
  n=$((n + 1))
  # --quiet leaves a log empty unless valgrind found something
  if [ -s "$log" ]; then
    status=1
    echo "valgrind-e2e: valgrind report from $(basename "$log"):"
    cat "$log"
  fi
done
echo "valgrind-e2e: $n postd processes ran under valgrind"
[ "$n" -gt 0 ] || status=1
if [ "$status" = 0 ]; then
  echo "valgrind-e2e: no memory errors, no leaks"
fi
exit $status
