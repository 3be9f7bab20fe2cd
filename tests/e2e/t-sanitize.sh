#!/usr/bin/env bash
# Sanitising non-live copies on SQLite: [env.<name>] sanitize = true or --sanitize
# after a database lands from another environment (clone-content, restore of
# another environment's backup, import db); Drupal's users_field_data and sessions,
# WordPress' users and session tokens (table prefix from the tables), the site's
# sanitize_sql; never on live, never on an environment's own content.
. "$(dirname "$0")/lib.sh"

# sanitize_site FRAMEWORK DEV_EXTRA: dev, test, live on SQLite; live holds real users.
sanitize_site() {
  new_repo
  mkdir -p db files-dev files-test files-live
  if [ "$1" = drupal ]; then
    sqlite3 db/live.sqlite "CREATE TABLE users_field_data (uid INTEGER PRIMARY KEY, name TEXT, mail TEXT, pass TEXT);
      INSERT INTO users_field_data VALUES (0, '', '', NULL), (1, 'admin', 'boss@example.com', '\$S\$hash1'), (7, 'ann', 'ann@example.com', '\$S\$hash7');
      CREATE TABLE sessions (sid TEXT PRIMARY KEY, uid INTEGER); INSERT INTO sessions VALUES ('s1', 1), ('s2', 7);
      CREATE TABLE node (nid INTEGER PRIMARY KEY, title TEXT); INSERT INTO node VALUES (1, 'live article');"
  else
    sqlite3 db/live.sqlite "CREATE TABLE shop_users (ID INTEGER PRIMARY KEY, user_login TEXT, user_email TEXT, user_pass TEXT);
      INSERT INTO shop_users VALUES (1, 'admin', 'boss@example.com', '\$P\$hash1'), (4, 'ann', 'ann@example.com', '\$P\$hash4');
      CREATE TABLE shop_usermeta (umeta_id INTEGER PRIMARY KEY, user_id INTEGER, meta_key TEXT, meta_value TEXT);
      INSERT INTO shop_usermeta VALUES (1, 1, 'session_tokens', 'a:1:{}'), (2, 1, 'nickname', 'admin');"
  fi
  cp db/live.sqlite db/dev.sqlite && cp db/live.sqlite db/test.sqlite
  printf '*.sqlite\n' >.gitignore
  cat >.pantheon.toml <<TOML
site = "san"
framework = "$1"
[env.dev]
database = "sqlite:db/dev.sqlite"
files = "files-dev"
sanitize = true
$2
[env.test]
database = "sqlite:db/test.sqlite"
files = "files-test"
[env.live]
database = "sqlite:db/live.sqlite"
files = "files-live"
TOML
  commit_all site
}

test_drupal_clone_into_dev_is_sanitised_and_live_is_not() {
  sanitize_site drupal 'sanitize_sql = ["UPDATE node SET title = '"'"'sanitised '"'"' || title"]'
  expect_code 0 git pantheon env clone-content live dev --yes --db-only
  assert_contains "$ERR" "sanitised the database of dev (3 statements)"
  assert_eq "$(sqlite3 db/dev.sqlite 'SELECT uid, mail, quote(pass) FROM users_field_data ORDER BY uid')" "0||NULL
1|user+1@localhost|NULL
7|user+7@localhost|NULL"
  assert_eq "$(sqlite3 db/dev.sqlite 'SELECT count(*) FROM sessions')" "0"
  assert_eq "$(sqlite3 db/dev.sqlite 'SELECT title FROM node')" "sanitised live article"
  assert_eq "$(sqlite3 db/live.sqlite 'SELECT mail FROM users_field_data WHERE uid = 7')" "ann@example.com" "live changed"
  # test has no sanitize: copied as it is, unless --sanitize
  expect_code 0 git pantheon env clone-content live test --yes --db-only
  assert_eq "$(sqlite3 db/test.sqlite 'SELECT mail FROM users_field_data WHERE uid = 7')" "ann@example.com"
  expect_code 0 git pantheon env clone-content live test --yes --db-only --sanitize
  assert_eq "$(sqlite3 db/test.sqlite 'SELECT mail FROM users_field_data WHERE uid = 7')" "user+7@localhost"
  assert_eq "$(sqlite3 db/test.sqlite 'SELECT title FROM node')" "live article" "dev's sanitize_sql ran on test"
}

test_wordpress_restore_and_import_are_sanitised_with_the_table_prefix() {
  sanitize_site wordpress ""
  git pantheon -q backup create --env live --element db
  expect_code 0 git pantheon restore live@latest --to-env dev --yes
  assert_eq "$(sqlite3 db/dev.sqlite 'SELECT ID, user_email, quote(user_pass) FROM shop_users ORDER BY ID')" "1|user+1@localhost|''
4|user+4@localhost|''"
  assert_eq "$(sqlite3 db/dev.sqlite 'SELECT meta_key FROM shop_usermeta')" "nickname"
  # dev's own backup restored (--undo) is its own content: not sanitised again, nothing fails
  expect_code 0 git pantheon restore --undo --to-env dev --yes
  assert_not_contains "$ERR" "sanitised"
  assert_eq "$(sqlite3 db/dev.sqlite 'SELECT user_email FROM shop_users WHERE ID = 4')" "ann@example.com"
  sqlite3 db/live.sqlite .dump >live.sql
  expect_code 0 git pantheon import db live.sql --yes
  assert_eq "$(sqlite3 db/dev.sqlite 'SELECT user_email FROM shop_users WHERE ID = 4')" "user+4@localhost"
}

test_never_on_live() {
  sanitize_site drupal ""
  expect_code 2 git pantheon env clone-content dev live --yes --confirm-env live --sanitize
  assert_one_line_error "--sanitize never runs on live, not even with --confirm-env live"
  expect_code 2 git pantheon import db /dev/null --env live --yes --confirm-env live --sanitize
  assert_eq "$(sqlite3 db/live.sqlite 'SELECT mail FROM users_field_data WHERE uid = 7')" "ann@example.com"
  sed -i 's/^\[env.live\]$/[env.live]\nsanitize = true/' .pantheon.toml
  expect_code 4 git pantheon env list
  assert_contains "$ERR" "live is never sanitised"
}

run_tests
