#!/usr/bin/env bash
# git pantheon env clone-content and deploy --sync-content: content copied between
# environments through a snapshot and a safe restore, on SQLite and MariaDB.
# needs: mariadb
. "$(dirname "$0")/lib.sh"
. "$GP_SERVERS/mariadb/env"

my() { mariadb --no-defaults --default-character-set=utf8mb4 -uroot --socket="$MARIADB_SOCKET" --batch --skip-column-names "$@"; }

sqlite_site() {
  new_repo
  mkdir -p live/files dev/files
  for e in dev live test; do
    mkdir -p $e/files
    sqlite3 $e/db.sqlite "CREATE TABLE node (nid INTEGER PRIMARY KEY, title TEXT); INSERT INTO node VALUES (1, '$e content');"
    echo "$e file" >$e/files/$e.txt
  done
  printf '*.sqlite\ndev/files\nlive/files\ntest/files\n' >.gitignore
  cat >.pantheon.toml <<'TOML'
site = "cc"
[env.dev]
database = "sqlite:dev/db.sqlite"
files = "dev/files"
[env.test]
database = "sqlite:test/db.sqlite"
files = "test/files"
[env.live]
database = "sqlite:live/db.sqlite"
files = "live/files"
TOML
  commit_all site
}

test_clone_content_copies_db_and_files_and_leaves_the_source() {
  sqlite_site
  expect_code 0 git pantheon env clone-content live test --yes
  assert_contains "$OUT" "of live into test"
  assert_eq "$(sqlite3 test/db.sqlite 'SELECT title FROM node')" "live content"
  [ -f test/files/live.txt ] && [ ! -e test/files/test.txt ] || fail "test files are not live's: $(ls test/files)"
  assert_eq "$(sqlite3 live/db.sqlite 'SELECT title FROM node')" "live content" "source changed"
  [ -f live/files/live.txt ] || fail "source files changed"
  # the previous test content is one undo away
  expect_code 0 git pantheon restore --undo --to-env test --yes
  assert_eq "$(sqlite3 test/db.sqlite 'SELECT title FROM node')" "test content"
  [ -f test/files/test.txt ] || fail "undo did not bring back test's files"
}

test_clone_content_db_only_and_refusals() {
  sqlite_site
  expect_code 0 git pantheon env clone-content dev test --db-only --yes
  assert_eq "$(sqlite3 test/db.sqlite 'SELECT title FROM node')" "dev content"
  [ -f test/files/test.txt ] || fail "--db-only touched files"
  expect_code 5 git pantheon env clone-content dev dev --yes
  assert_one_line_error "into itself"
  expect_code 5 git pantheon env clone-content dev stage --yes
  assert_one_line_error "unknown environment 'stage'"
  expect_code 2 git pantheon env clone-content dev test </dev/null
  expect_code 2 git pantheon env clone-content dev live --yes
  assert_contains "$ERR" "--confirm-env live"
  assert_eq "$(sqlite3 live/db.sqlite 'SELECT title FROM node')" "live content"
}

test_deploy_sync_content_brings_live_content_to_test() {
  sqlite_site
  expect_code 0 git pantheon deploy test --sync-content --yes
  assert_contains "$OUT" "pantheon_test_1"
  assert_eq "$(sqlite3 test/db.sqlite 'SELECT title FROM node')" "live content"
  [ -f test/files/live.txt ] || fail "files not synced from live"
  assert_eq "$(git cat-file -t pantheon_test_1)" "tag"
}

test_clone_content_on_mariadb() {
  my <<'SQL'
CREATE DATABASE cc_live CHARACTER SET utf8mb4;
CREATE DATABASE cc_test CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS 'cc'@'%' IDENTIFIED BY 'Clone-Pw-3';
GRANT ALL ON `cc\_%`.* TO 'cc'@'%';
GRANT CREATE, DROP, PROCESS, RELOAD ON *.* TO 'cc'@'%';
CREATE TABLE cc_live.wp_posts (ID INT PRIMARY KEY, post_title TEXT);
INSERT INTO cc_live.wp_posts VALUES (1, 'live 😀'), (2, 'second');
CREATE TABLE cc_test.wp_posts (ID INT PRIMARY KEY, post_title TEXT);
INSERT INTO cc_test.wp_posts VALUES (1, 'old test');
CREATE TABLE cc_test.only_in_test (x INT);
SQL
  new_repo
  mkdir -p live-files test-files && echo live >live-files/l.txt
  cat >.pantheon.toml <<TOML
site = "cc"
[env.dev]
database = "sqlite:dev.sqlite"
files = "dev-files"
[env.test]
database = "mysql://cc@127.0.0.1:$MARIADB_PORT/cc_test"
files = "test-files"
[env.live]
database = "mysql://cc@127.0.0.1:$MARIADB_PORT/cc_live"
files = "live-files"
TOML
  commit_all site
  export GIT_PANTHEON_DB_PASSWORD=Clone-Pw-3
  expect_code 0 git pantheon env clone-content live test --yes
  assert_eq "$(my -e 'SELECT ID, post_title FROM cc_test.wp_posts ORDER BY ID')" "$(my -e 'SELECT ID, post_title FROM cc_live.wp_posts ORDER BY ID')"
  assert_eq "$(my -e "SHOW TABLES FROM cc_test LIKE 'only_in_test'")" "" "target table not replaced"
  assert_eq "$(my -e 'SELECT count(*) FROM cc_live.wp_posts')" "2" "source changed"
  [ -f test-files/l.txt ] || fail "files not cloned"
}

run_tests
