#!/usr/bin/env bash
# The main job on the embedded default: installs what it needs (build tools,
# libraries and SQLite: not the test servers), builds the program, then
# generates a demo Drupal site (git repository + SQLite database + files
# directory) and runs git-pantheon on it: init, backup, list, restore.
# Usage: scripts/demo.sh [DEMO_DIR]   (default: a new temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --main
# The program only: the tests (and their dependencies) are the test command's.
scripts/build.sh -DGP_TESTS=OFF
prefix=${GP_PREFIX:-$PWD/build/stage}
export PATH="$prefix/bin:$PATH" MANPATH="$prefix/share/man:"
demo=${1:-$(mktemp -d "${TMPDIR:-/tmp}/git-pantheon-demo.XXXXXX")}
mkdir -p "$demo"
cd "$demo"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

echo "demo site in $demo"
python3 "$OLDPWD/scripts/make-demo-site.py" "$demo/site"
cd site
step git pantheon init
step git pantheon env list
if git pantheon help backup >/dev/null 2>&1; then
  step git pantheon backup create
  step git pantheon backup list
fi
if git pantheon help restore >/dev/null 2>&1; then
  echo "changing the site: a row deleted, a file removed"
  sqlite3 sites/default/files/.ht.sqlite "DELETE FROM node WHERE nid = 1;"
  rm -f sites/default/files/inline-images/image-1.png
  step git pantheon restore dev@latest --element db --element files --yes
  step sqlite3 sites/default/files/.ht.sqlite "SELECT nid, title FROM node WHERE nid = 1;"
  step ls sites/default/files/inline-images/image-1.png
fi
echo
echo "done: the demo site is in $demo/site"
