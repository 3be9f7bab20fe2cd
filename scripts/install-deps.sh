#!/usr/bin/env bash
# Installs what git-pantheon needs to build and to run its tests, from Debian 12's
# packages. Run as root (or through sudo). Safe to run again.
set -euo pipefail
# Usage: scripts/install-deps.sh [--main]
#   --main   only what the main job needs: build the program and run the demo on
#            SQLite (scripts/demo.sh); without it, everything the tests need too.
main_packages=(
  # build
  g++ cmake make pkg-config git
  libgit2-dev libarchive-dev libcurl4-openssl-dev libtomlplusplus-dev libssl-dev
  libsqlite3-dev zlib1g-dev libdeflate-dev
  # run the demo: its SQLite database, its generator
  sqlite3 python3 ca-certificates
)
test_packages=(
  libgtest-dev libgmock-dev
  # the sanitizer and fuzzing build (scripts/test.sh, tests/fuzz): clang 14 with its
  # sanitizer and libFuzzer runtimes (install-recommends is off, so named here)
  clang libclang-rt-14-dev
  # the Debian package (scripts/package-test.sh): CPack's DEB generator runs
  # dpkg-shlibdeps for the Depends line
  dpkg-dev
  # run: database clients and servers, compression, man pages
  mariadb-server mariadb-client postgresql postgresql-client
  pigz zstd bzip2 xz-utils zip mandoc man-db curl
  # tests: the secrets sweep logs every execve of a command's process tree
  strace
  # tests: the generated completions, through git's bash completion and zsh's compinit
  bash-completion zsh
  # tests: systemd-analyze verify judges the units of backup schedule
  systemd
  # tests: every rewritten PHP-serialized value is checked with the real unserialize() (lib/content)
  php-cli
  # tests: WordPress itself reads the rewritten options from MariaDB (t-rewrite-servers)
  php-mysql
  # tests: a real WordPress tree to import (Debian's wordpress package: 2,803 entries, 24 links)
  wordpress
)
packages=("${main_packages[@]}")
[ "${1:-}" = "--main" ] || packages+=("${test_packages[@]}")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Servers are started by the tests in temporary directories; keep the packages'
# own services from starting (there is no init system to run them anyway).
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
