#!/bin/sh
# ctest jekyll_diff_*: Jekyll 4.3's reader against postd over one posts folder.
# Usage: compare.sh DUMP_POSTD folder DIR [--tz-offset S] [--permalink P]
#        compare.sh DUMP_POSTD fixtures DIR     (tests/fixtures/posts)
# Ruby and Jekyll come from Debian's `jekyll` package (4.3.1 in bookworm; it pulls
# in ruby). When `require "jekyll"` fails, the package is installed (as root, or
# through sudo -n). Exit codes: 0 all equal (modulo compare.rb's expected
# differences), 1 a difference or a broken run, 77 (ctest SKIP) when DIR is
# absent (../shared on a machine without it) or Jekyll cannot be installed.
set -u

postd=${1:?usage: compare.sh DUMP_POSTD folder|fixtures DIR [options]}
mode=${2:?usage: compare.sh DUMP_POSTD folder|fixtures DIR [options]}
dir=${3:?usage: compare.sh DUMP_POSTD folder|fixtures DIR [options]}
shift 3
here=$(cd "$(dirname "$0")" && pwd)
test_name=jekyll_diff
# say, skip, have, apt_install
# shellcheck source-path=SCRIPTDIR source=../lib/apt.sh
. "$here/../lib/apt.sh"

jekyll_ok() { have ruby && ruby -e 'require "jekyll"' >/dev/null 2>&1; }

[ -d "$dir" ] || skip "$dir is absent"
[ -x "$postd" ] || {
    say "$postd is not built"
    exit 1
}

install_jekyll() {
    jekyll_ok && return 0 # another jekyll_diff test installed it meanwhile
    apt_install ruby/jekyll jekyll
    jekyll_ok || skip "require \"jekyll\" still fails after apt-get"
}

if ! jekyll_ok; then
    # ctest -j runs the jekyll_diff tests together: one installs, the others wait.
    lock=${TMPDIR:-/tmp}/postd-jekyll-install.lock
    if have flock; then
        { exec 9>"$lock" && flock -w 900 9; } || skip "cannot take $lock"
    fi
    install_jekyll
fi

case $mode in
folder) exec ruby "$here/compare.rb" --postd "$postd" --folder "$dir" "$@" ;;
fixtures) exec ruby "$here/compare.rb" --postd "$postd" --fixtures "$dir" "$@" ;;
*)
    say "unknown mode $mode (folder or fixtures)"
    exit 1
    ;;
esac
