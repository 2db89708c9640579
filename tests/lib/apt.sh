# tests/lib/apt.sh: sourced (POSIX sh) by the ctest scripts that install a missing
# tool from Debian's packages themselves (tests/jekyll/compare.sh,
# tests/openapi/validate.sh). It owns their shared reporting (say, skip, have)
# and apt_install. The caller sets test_name (the prefix of every message)
# before sourcing. skip exits 77, which those tests declare as ctest SKIP.
#
# Unlike scripts/install-deps (a build-time step that may ask for a sudo
# password), apt_install runs under ctest: it never prompts (sudo -n), waits for
# the dpkg lock that a parallel test may hold, and skips instead of failing.

say() { echo "${test_name:?}: $*" >&2; }
skip() {
    say "SKIP: $*"
    exit 77
}
have() { command -v "$1" >/dev/null 2>&1; }

# apt_install WHAT PKG...: installs PKG... with apt-get as root or through sudo -n,
# apt-get's output on stderr. WHAT names the missing tools in the message of the
# skip taken when nothing can be installed (not root and no sudo, or apt-get
# failed). Does not check that the tools work afterwards: the caller does.
apt_install() {
    apt_what=$1
    shift
    apt_sudo=""
    if [ "$(id -u)" != 0 ]; then
        have sudo || skip "$apt_what missing and not root (no sudo): apt-get install $*"
        apt_sudo="sudo -n"
    fi
    say "installing $* from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    { $apt_sudo apt-get -o DPkg::Lock::Timeout=300 update -qq &&
        $apt_sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$@"; } >&2 ||
        skip "apt-get could not install $*"
}
