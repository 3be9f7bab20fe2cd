# Shared set-up for the end-to-end tests. Each t-*.sh defines test_* functions
# and ends with `run_tests`; every test runs in its own subshell, in a fresh
# trash directory with its own HOME and GIT_CONFIG_NOSYSTEM=1, against the
# installed git-pantheon (GP_PREFIX/bin on PATH) and the real git.
set -uo pipefail

: "${GP_PREFIX:?GP_PREFIX must point at the install prefix}"
export PATH="$GP_PREFIX/bin:$PATH"
export MANPATH="$GP_PREFIX/share/man:"
export GIT_CONFIG_NOSYSTEM=1
export GIT_PANTHEON_LOCK_WAIT=${GIT_PANTHEON_LOCK_WAIT:-60}
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTDATA="$E2E_DIR/../testdata"
. "$E2E_DIR/../servers/common.sh"  # free_port, wait_for

# on_exit CMD: runs CMD when the test ends (each test runs in a subshell of its
# own), after the commands registered before it.
on_exit() {
  E2E_ON_EXIT="${E2E_ON_EXIT:-}{ $1; } || true;"
  # shellcheck disable=SC2064
  trap "$E2E_ON_EXIT" EXIT
}

# silent_server: a listener on a free loopback port (in $SILENT_PORT) that accepts
# every connection and never sends a byte, as a database server that hangs does;
# stopped when the test ends.
silent_server() {
  python3 - "$PWD/silent.port" >"$PWD/silent.log" 2>&1 <<'PY' &
import os, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    held.append(s.accept()[0])
PY
  on_exit "kill $! 2>/dev/null"
  wait_for 10 test -s "$PWD/silent.port" || fail "the silent server did not start: $(cat "$PWD/silent.log")"
  SILENT_PORT=$(cat "$PWD/silent.port")
}

# sql_session NAME CLIENT...: a database client (mariadb --unbuffered, psql) left
# running in the background on a FIFO that stays open, as a site's connection
# that keeps a transaction open; `sql_send NAME SQL` runs SQL in it and waits until
# the client has done so; `sql_end NAME` closes it (it also ends with the test).
# A `sleep` holds the FIFO open, not this shell, so that no other background
# process inherits it and keeps the session alive.
sql_session() {
  local name=$1
  shift
  mkfifo "$PWD/$name.in"
  "$@" <"$PWD/$name.in" >"$PWD/$name.out" 2>&1 &
  local pid=$!
  sleep 100000 >"$PWD/$name.in" &
  eval "SQL_PID_$name=$pid SQL_HOLDER_$name=$! SQL_N_$name=0"
  on_exit "kill $! $pid 2>/dev/null"
}
sql_send() {
  local name=$1 n
  eval "n=\$((SQL_N_$name + 1)); SQL_N_$name=\$n"
  printf "%s\nSELECT 'gp-mark-%s';\n" "$2" "$n" >"$PWD/$name.in"
  wait_for 30 grep -q "gp-mark-$n" "$PWD/$name.out" || fail "session $name did not run '$2': $(cat "$PWD/$name.out")"
}
sql_end() {
  local holder pid
  eval "holder=\$SQL_HOLDER_$1 pid=\$SQL_PID_$1"
  kill "$holder" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# no_process_left PID...: fails when one of these processes still runs.
no_process_left() {
  local p
  for p in "$@"; do
    ! kill -0 "$p" 2>/dev/null || fail "process $p ($(ps -o args= -p "$p")) is still running"
  done
}


# manifest TAG EXPR: EXPR (Python, the manifest of backup tag TAG as `d`) printed.
manifest() {
  git cat-file tag "$1" | sed '1,/^$/d' | sed '1,/^$/d' |
    python3 -c 'import sys,tomllib; d=tomllib.loads(sys.stdin.read()); print(eval(sys.argv[1]))' "$2"
}

# The aws CLI against the S3 test server ($AWS when set), with no user config.
awscli() {
  AWS_CONFIG_FILE="$HOME/.aws-config" AWS_SHARED_CREDENTIALS_FILE="$HOME/.aws-credentials" \
    "${AWS:-aws}" --endpoint-url "$S3_ENDPOINT" "$@"
}

# A bucket of this test's own on the S3 test server (named after the test
# directory), in $BUCKET.
new_bucket() {
  BUCKET=gp-$(basename "$PWD" | tr '_' '-' | cut -c1-40)-$RANDOM
  curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" -X PUT "$S3_ENDPOINT/$BUCKET" >/dev/null ||
    fail "cannot create bucket $BUCKET"
}

# site_with_remote URL [ENDPOINT]: a demo site (initialised: hooks installed) in
# ./site, entered, with a bare repository ../remote.git as origin and
# [storage.origin] = URL.
site_with_remote() {
  git init -q --bare remote.git
  python3 "$GP_SOURCE_DIR/scripts/make-demo-site.py" site >/dev/null
  cd site
  git pantheon init -q
  { printf '\n[storage.origin]\nurl = "%s"\n' "$1"; [ -z "${2:-}" ] || printf 'endpoint = "%s"\n' "$2"; } >>.pantheon.toml
  git add .pantheon.toml && git commit -q -m "git-pantheon config"
  git remote add origin ../remote.git
}

# The backup tags of git repository $1.
remote_backup_tags() { git ls-remote --tags "$1" 'refs/tags/pantheon/backup/*' | grep -v '\^{}$' || true; }

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# expect_code N cmd...: runs cmd, requires exit status N; its stderr is kept in $ERR.
expect_code() {
  local want=$1
  shift
  local errfile
  errfile=$(mktemp)
  set +e
  OUT=$("$@" 2>"$errfile")
  local got=$?
  set -e
  ERR=$(cat "$errfile")
  rm -f "$errfile"
  [ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want; stderr: $ERR"
}

assert_eq() { [ "$1" == "$2" ] || fail "${3:-values differ}: got '$1', expected '$2'"; }
assert_contains() {
  case "$1" in *"$2"*) ;; *) fail "${3:-missing text}: '$2' not in: $1" ;; esac
}
assert_not_contains() {
  case "$1" in *"$2"*) fail "${3:-unexpected text}: '$2' found in: $1" ;; *) ;; esac
}
# One line on stderr that starts as git-pantheon's errors do.
assert_one_line_error() {
  local first
  first=$(printf '%s\n' "$ERR" | head -n1)
  case "$first" in "git-pantheon: error: "*) ;; *) fail "error not in git-pantheon's format: $ERR" ;; esac
  assert_contains "$first" "$1"
}

# json_get 'expr' < json: evaluates a Python expression over the parsed document `d`.
json_get() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# A fresh repository with a first commit, as the current directory.
new_repo() {
  local dir=${1:-site}
  mkdir -p "$dir" && cd "$dir" || exit 1
  git init -q -b main .
  git config user.name "Site Owner"
  git config user.email "owner@example.invalid"
}

commit_all() {
  git add -A && git commit -q -m "${1:-change}"
}

# env_content ENV DATABASE FILES: gives ENV a database and a files directory in
# ./.pantheon.toml, as a user uncomments them: under its [env.ENV] table when
# there is one (init writes test and live as code environments), else in a new
# table at the end.
env_content() {
  python3 - "$@" <<'PY'
import sys
env, db, files = sys.argv[1:4]
text = open(".pantheon.toml").read()
header = "[env.%s]\n" % env
lines = 'database = "%s"\nfiles = "%s"\n' % (db, files)
if header in text:
    text = text.replace(header, header + lines, 1)
else:
    text += "\n" + header + lines
open(".pantheon.toml", "w").write(text)
PY
}

# Writes a .pantheon.toml with dev, test and live on SQLite (test with a worktree
# when $1 is given), for the deploy, checkout and code-log tests.
write_three_env_config() {
  cat >.pantheon.toml <<TOML
site = "shop"
[env.dev]
database = "sqlite:db/dev.sqlite"
files = "files"
[env.test]
database = "sqlite:db/test.sqlite"
files = "../files-test"
${1:+worktree = \"$1\"}
[env.live]
database = "sqlite:db/live.sqlite"
files = "../files-live"
TOML
}

# ----------------------------------------------------------------------------
# Fixtures: the states real sites are in (issue 13). Each makes its repository
# in the current directory and, where it says so, enters it.
# ----------------------------------------------------------------------------

# fixture_envs_apart: dev ahead of test ahead of live. The demo site in ./site
# (entered, initialised: hooks installed), with test and live on SQLite beside
# it (../test-env, ../live-env: db.sqlite with one row naming the environment,
# files/inline-images/<env>.png), deployed so the three run three commits:
# C1 (pantheon_test_1, pantheon_live_1), C2 (pantheon_test_2), C3 (main, dev,
# checked out). Sets C1 C2 C3.
fixture_envs_apart() {
  python3 "$GP_SOURCE_DIR/scripts/make-demo-site.py" site >/dev/null
  cd site || exit 1
  git pantheon init -q
  local env
  for env in test live; do
    mkdir -p "../$env-env/files/inline-images"
    echo "$env upload" >"../$env-env/files/inline-images/$env.png"
    sqlite3 "../$env-env/db.sqlite" "CREATE TABLE node (nid INTEGER PRIMARY KEY, title TEXT); INSERT INTO node VALUES (1, '$env article');"
    env_content "$env" "sqlite:../$env-env/db.sqlite" "../$env-env/files"
  done
  git add .pantheon.toml && git commit -q -m "C1: git-pantheon config"
  C1=$(git rev-parse HEAD)
  git pantheon deploy test --note "first release" >/dev/null 2>&1
  echo "// C2" >>index.php && git commit -q -am "C2: second release"
  C2=$(git rev-parse HEAD)
  git pantheon deploy live >/dev/null 2>&1   # live takes what test has: C1
  git pantheon deploy test >/dev/null 2>&1   # C2
  echo "// C3" >>index.php && git commit -q -am "C3: work in progress"
  C3=$(git rev-parse HEAD)
}

# fixture_husky_repo [DIR]: a repository (entered) whose core.hooksPath is a
# tracked folder, as husky v5-v8 set it: .husky/pre-push, tracked and executable,
# appends its arguments and stdin to ../husky.log; .husky/_/ is husky's own
# (ignored by its .gitignore). Committed: `git status` is clean.
fixture_husky_repo() {
  new_repo "${1:-site}"
  mkdir -p .husky/_
  printf '#!/usr/bin/env sh\n. "$(dirname -- "$0")/_/husky.sh"\n\necho "husky pre-push $*" >>../husky.log\ncat >>../husky.log\n' >.husky/pre-push
  chmod +x .husky/pre-push
  printf '#!/usr/bin/env sh\n# husky.sh stand-in\n' >.husky/_/husky.sh
  printf '*\n' >.husky/_/.gitignore
  echo "<?php // site" >index.php
  git config core.hooksPath .husky
  commit_all "husky hooks"
}

# fixture_shallow_clone SRC DEST: SRC a repository of three commits (tag v1 at the
# first), DEST its `git clone --depth 1` over file:// (one commit, .git/shallow).
# Neither is entered.
fixture_shallow_clone() {
  (new_repo "$1" && for i in 1 2 3; do echo "<?php // v$i" >lib.php && commit_all "v$i"; done &&
    git tag -a -m "one" v1 HEAD~2) >/dev/null
  git clone -q --depth 1 "file://$PWD/$1" "$2"
}

# fixture_links_out DIR: a files directory as real hosts have them: links whose
# targets are absolute (private-files -> /var/private), climb out of it (shared
# -> ../../../shared-uploads) or dangle (gone -> ../outside-target), beside an
# inside link, a hard link, a read-only folder and a name with a newline.
fixture_links_out() {
  mkdir -p "$1/inline-images" "$1/ro"
  echo logo >"$1/inline-images/logo.png"
  ln -s /var/private "$1/private-files"
  ln -s ../../../shared-uploads "$1/shared"
  ln -s ../outside-target "$1/gone"
  ln -s inline-images/logo.png "$1/logo-link.png"
  ln "$1/inline-images/logo.png" "$1/logo-hard.png"
  echo report >"$1/ro/report.pdf"
  printf 'two\nlines' >"$1/$(printf 'new\nline.txt')"
  chmod 555 "$1/ro"
}

# ---------------------------------------------------------------------------- end of fixtures

# A small Drupal tree (code + files) in the current repository.
make_drupal_tree() {
  mkdir -p core/lib sites/default/files/{styles/thumb,css,js,inline-images,private,empty}
  echo '<?php // Drupal' >core/lib/Drupal.php
  echo '<?php $settings = [];' >sites/default/settings.php
  echo '<?php phpinfo();' >index.php
  printf 'sites/default/files\n' >.gitignore
  echo "logo" >sites/default/files/inline-images/logo.png
  echo "thumb" >sites/default/files/styles/thumb/logo.png
  echo "a{}" >sites/default/files/css/css_x.css
  echo "x()" >sites/default/files/js/js_x.js
  echo "secret report" >sites/default/files/private/report.pdf
  ln -s inline-images/logo.png sites/default/files/logo-link.png
}

# A small WordPress tree in the current repository.
make_wordpress_tree() {
  mkdir -p wp-includes wp-content/uploads/2026/11 wp-content/uploads/cache wp-content/themes/t
  echo '<?php $wp_version = "6.4";' >wp-includes/version.php
  echo '<?php // config' >wp-config.php
  echo '<?php require "wp-blog-header.php";' >index.php
  printf 'wp-content/uploads\n' >.gitignore
  echo "photo" >wp-content/uploads/2026/11/photo.jpg
  echo "cached" >wp-content/uploads/cache/page.html
}

run_tests() {
  local passed=0 failed=0 t base
  base=$(mktemp -d "${TMPDIR:-/tmp}/gp-e2e.XXXXXX")
  for t in $(declare -F | awk '{print $3}' | grep '^test_' | grep -E "${GP_TEST_FILTER:-.}"); do
    mkdir -p "$base/$t/home"
    # Not inside `if`: bash ignores `set -e` in a condition, even in a subshell.
    (
      set -e
      cd "$base/$t"
      export HOME="$base/$t/home" XDG_CONFIG_HOME="$base/$t/home/.config" TMPDIR="$base/$t"
      git config --global init.defaultBranch main
      git config --global user.name "Site Owner"
      git config --global user.email "owner@example.invalid"
      "$t"
    )
    if [ $? -eq 0 ]; then
      echo "ok - $t"
      passed=$((passed + 1))
    else
      echo "not ok - $t"
      failed=$((failed + 1))
    fi
  done
  chmod -R u+w "$base" 2>/dev/null
  rm -rf "$base"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
