#!/bin/sh
# ctest openapi_valid: validates api/openapi.json with a validator from npm.
# Usage: validate.sh DOCUMENT WORKDIR
# The document's JSON syntax is checked first with whatever is at hand (node,
# python3 or jq). Then Node.js and npm are installed from Debian's packages when
# missing (as root, or through sudo -n), the pinned packages of package-lock.json
# are installed with `npm ci` into WORKDIR (the build dir, never the source tree)
# and validate.mjs runs there. Exit codes: 0 valid, 1 invalid or broken,
# 77 (ctest SKIP) when Node.js/npm cannot be installed or the registry cannot be
# reached, so that an offline machine skips instead of failing.
set -u

doc=${1:?usage: validate.sh DOCUMENT WORKDIR}
work=${2:?usage: validate.sh DOCUMENT WORKDIR}
here=$(cd "$(dirname "$0")" && pwd)
test_name=openapi_valid
# say, skip, have, apt_install
# shellcheck source-path=SCRIPTDIR source=../lib/apt.sh
. "$here/../lib/apt.sh"

[ -r "$doc" ] || {
    say "cannot read $doc"
    exit 1
}
case $doc in /*) ;; *) doc=$(pwd)/$doc ;; esac

# (a) Plain JSON syntax, so a broken document fails even where npm is out of reach.
if have node; then
    node -e 'try { JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); }
             catch (e) { console.error(e.message); process.exit(1); }' "$doc" ||
        { say "$doc is not valid JSON"; exit 1; }
elif have python3; then
    python3 -c 'import json, sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$doc" ||
        { say "$doc is not valid JSON"; exit 1; }
elif have jq; then
    jq empty "$doc" || { say "$doc is not valid JSON"; exit 1; }
fi

# (b) Node.js >= 18 and npm, from Debian when missing.
if ! have node || ! have npm; then
    pkgs=""
    have node || pkgs=" nodejs"
    have npm || pkgs="$pkgs npm"
    # shellcheck disable=SC2086 # one word a package
    apt_install node/npm $pkgs
    if ! have node || ! have npm; then
        skip "node/npm still missing after apt-get"
    fi
fi
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$major" -ge 18 ] || skip "node $(node --version 2>/dev/null) is older than 18"

# (c) The pinned validator, installed once per lockfile into the build dir.
mkdir -p "$work" || exit 1
cp "$here/package.json" "$here/package-lock.json" "$here/validate.mjs" "$work/" || exit 1
cd "$work" || exit 1
export npm_config_cache="$work/.npm-cache" npm_config_update_notifier=false \
    npm_config_fund=false npm_config_audit=false
stamp=node_modules/.postd-package-lock.json
if ! cmp -s package-lock.json "$stamp"; then
    timeout 60 npm ping >/dev/null 2>&1 || skip "the npm registry cannot be reached"
    rm -rf node_modules
    timeout 600 npm ci --no-audit --no-fund --loglevel=error >&2 || {
        say "npm ci failed"
        exit 1
    }
    cp package-lock.json "$stamp" || exit 1
fi

# (d) Validate.
exec node validate.mjs "$doc"
