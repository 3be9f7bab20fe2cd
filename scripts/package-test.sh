#!/usr/bin/env bash
# Builds the Debian package, installs it with apt-get as a user would, checks the
# installed program from a clean environment, and removes it again.
#
# The package comes from a release build of its own (GP_PACKAGE_BUILD_DIR, default
# build-deb: no tests, no fault points, no sanitizers; CPack refuses those), made
# with `cpack -G DEB` into <build>/git-pantheon_<version>_<arch>.deb. The checks run
# under `env -i` with PATH=/usr/sbin:/usr/bin:/sbin:/bin and a temporary HOME:
# `git pantheon --version`, `git help pantheon` and `man -w`, `dpkg -L` (binary,
# hooks, the bash and zsh completions, every man page), and `init`, a commit, `backup create` and `backup list`
# on a generated demo site, with the hooks `init` installs compared with
# /usr/share/git-pantheon/hooks. Recommended packages are not installed, and the
# list of installed packages must be the same afterwards as before: the machine is
# left as it was. Refuses to run when git-pantheon is already on the system.
# Run as root (or through sudo). Usage: scripts/package-test.sh [extra cmake arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=${GP_PACKAGE_BUILD_DIR:-build-deb}
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
say() { echo "package-test: $*"; }
die() {
  echo "package-test: FAILED: $*" >&2
  exit 1
}

if dpkg-query -W -f='${db:Status-Abbrev}' git-pantheon 2>/dev/null | grep -q '^.i'; then
  die "the git-pantheon package is already installed (apt-get remove git-pantheon first)"
fi
for f in /usr/bin/git-pantheon /usr/share/git-pantheon; do
  [ ! -e "$f" ] || die "$f exists: this test installs and removes the package, and would replace it"
done

version=$(sed -n 's/^project(git-pantheon VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || die "no project version in CMakeLists.txt"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGP_TESTS=OFF -DGP_FAULT_INJECTION=OFF \
  -DGP_SANITIZE=OFF -DGP_FUZZ=OFF -DGP_BENCH=OFF "$@" >/dev/null
cmake --build "$build" -j "$(nproc)"
rm -f "$build"/git-pantheon_*.deb
(cd "$build" && cpack -G DEB) >"$build/cpack.log" 2>&1 || {
  cat "$build/cpack.log"
  die "cpack -G DEB"
}
debs=("$build"/git-pantheon_*.deb)
if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then
  die "expected one $build/git-pantheon_*.deb, found: ${debs[*]}"
fi
deb=$PWD/${debs[0]}
arch=$(dpkg --print-architecture)
[ "$(basename "$deb")" = "git-pantheon_${version}_${arch}.deb" ] || die "package file name $(basename "$deb")"
say "built $(basename "$deb") ($(du -h "$deb" | cut -f1))"
dpkg-deb -f "$deb" Package Version Architecture Section Depends Recommends Suggests | sed 's/^/  /'
depends=$(dpkg-deb -f "$deb" Depends)
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || die "Version is not $version"
[ "$(dpkg-deb -f "$deb" Section)" = vcs ] || die "Section is not vcs"
# dpkg-shlibdeps ran: the C library and libgit2 are there as Debian's packages.
for dep in git libc6 'libgit2-[0-9.]*' libarchive13 libcurl4; do
  grep -Eq "^ *${dep}( |$)" <<<"${depends//,/$'\n'}" || die "Depends has no $dep: $depends"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gp-package-test.XXXXXX")
before=$tmp/packages-before
after=$tmp/packages-after
installed=0
cleanup() {
  local rc=$?
  if [ "$installed" = 1 ]; then
    say "removing the package"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get remove -y -qq git-pantheon >"$tmp/remove.log" 2>&1 || {
      cat "$tmp/remove.log" >&2
      rc=1
    }
  fi
  rm -rf "$tmp"
  exit $rc
}
trap cleanup EXIT
packages() { dpkg-query -W -f='${binary:Package} ${Version} ${db:Status-Abbrev}\n' | sort; }
packages >"$before"

say "apt-get install $deb"
installed=1
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$deb" >"$tmp/install.log" 2>&1 || {
  cat "$tmp/install.log" >&2
  die "apt-get install"
}
dpkg-query -W -f='${db:Status-Abbrev}' git-pantheon | grep -q '^ii' || die "git-pantheon is not installed after apt-get install"

# The checks, run by a shell with nothing of this one's environment (below).
cat >"$tmp/checks.sh" <<'CHECKS'
version=$1 src=$2 tmp=$3
check() { echo "package-test: ok: $*"; }
fail() {
  echo "package-test: $*" >&2
  exit 1
}
[ "$(command -v git-pantheon)" = /usr/bin/git-pantheon ] || fail "git-pantheon on PATH is '$(command -v git-pantheon)'"
out=$(git pantheon --version)
[ "${out%%$'\n'*}" = "git-pantheon version $version" ] || fail "git pantheon --version: $out"
check "git pantheon --version: ${out%%$'\n'*}"

out=$(MANPAGER=cat PAGER=cat MANWIDTH=80 git help pantheon 2>&1) || fail "git help pantheon: $out"
grep -q 'GIT-PANTHEON(1)' <<<"$out" || fail "git help pantheon shows no GIT-PANTHEON(1): $out"
grep -q 'EXIT STATUS' <<<"$out" || fail "git help pantheon: no EXIT STATUS section"
[ "$(man -w git-pantheon)" = /usr/share/man/man1/git-pantheon.1.gz ] || fail "man -w git-pantheon: $(man -w git-pantheon 2>&1)"
man -w git-pantheon-init >/dev/null || fail "man -w git-pantheon-init"
check "git help pantheon shows git-pantheon(1): $(man -w git-pantheon)"

files=$(dpkg -L git-pantheon)
expect=(/usr/bin/git-pantheon /usr/share/git-pantheon/hooks/pre-push /usr/share/git-pantheon/hooks/post-commit
        /usr/share/bash-completion/completions/git-pantheon /usr/share/zsh/vendor-completions/_git-pantheon)
for page in "$src"/man/*.1; do expect+=("/usr/share/man/man1/$(basename "$page").gz"); done
for f in "${expect[@]}"; do
  grep -qx "$f" <<<"$files" || fail "dpkg -L git-pantheon does not list $f"
  [ -f "$f" ] || fail "$f is listed but not on disk"
done
for hook in pre-push post-commit; do
  [ -x /usr/share/git-pantheon/hooks/$hook ] || fail "/usr/share/git-pantheon/hooks/$hook is not executable"
  cmp -s /usr/share/git-pantheon/hooks/$hook "$src/hooks/$hook" || fail "installed $hook differs from hooks/$hook"
done
check "dpkg -L lists the binary, 2 hooks, the bash and zsh completions and $((${#expect[@]} - 5)) man pages"

git config --global user.name "package test"
git config --global user.email "package-test@example.invalid"
git config --global init.defaultBranch main
python3 "$src/scripts/make-demo-site.py" "$tmp/site" >/dev/null
cd "$tmp/site"
git pantheon init -q || fail "git pantheon init"
for hook in pre-push post-commit; do
  cmp -s ".git/hooks/$hook" "/usr/share/git-pantheon/hooks/$hook" || fail "init installed a $hook that is not the package's"
done
git pantheon hooks status >/dev/null || fail "git pantheon hooks status"
git add .pantheon.toml && git commit -q -m "pantheon config" || fail "a commit with the post-commit hook installed"
git pantheon backup create -q >/dev/null || fail "git pantheon backup create"
out=$(git pantheon backup list --format=json) || fail "git pantheon backup list"
[ "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$out")" = 1 ] || fail "backup list: $out"
check "git pantheon init (hooks from /usr/share/git-pantheon/hooks), commit, backup create, backup list"
CHECKS
mkdir -p "$tmp/home"
env -i HOME="$tmp/home" PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb TMPDIR="$tmp" \
  GIT_CONFIG_NOSYSTEM=1 bash -euo pipefail "$tmp/checks.sh" "$version" "$src" "$tmp" </dev/null ||
  die "checks of the installed package"

say "removing the package"
installed=0
DEBIAN_FRONTEND=noninteractive $SUDO apt-get remove -y -qq git-pantheon >"$tmp/remove.log" 2>&1 || {
  cat "$tmp/remove.log" >&2
  die "apt-get remove"
}
if [ -e /usr/bin/git-pantheon ] || [ -e /usr/share/git-pantheon ]; then
  die "files left after apt-get remove"
fi
packages >"$after"
diff -u "$before" "$after" >&2 || die "the installed packages differ from before the test"
say "ok: $(basename "$deb") installs, runs and removes cleanly"
