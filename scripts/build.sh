#!/usr/bin/env bash
# Configures, builds and installs git-pantheon into build/stage (or $GP_PREFIX).
# Usage: scripts/build.sh [extra cmake arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${GP_BUILD_DIR:-build}
prefix=${GP_PREFIX:-$PWD/$build/stage}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX="$prefix" "$@" >/dev/null
cmake --build "$build" -j "$(nproc)"
cmake --install "$build" >/dev/null
echo "build: installed into $prefix (put $prefix/bin on PATH, $prefix/share/man on MANPATH)"
