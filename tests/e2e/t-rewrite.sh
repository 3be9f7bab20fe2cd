#!/usr/bin/env bash
# URL rewriting when a database moves between environments (lib/content), on
# SQLite: restore of another environment's backup, env clone-content, deploy
# --sync-content, import db. WordPress-like options made and judged by the real
# PHP (wp_options.php: every value byte for byte as WordPress would store it for
# the target, every serialized one unserialize()s), guid left alone, multisite's
# domain columns rewritten.
. "$(dirname "$0")/lib.sh"

LIVE=https://www.example.com
TEST=https://test.example.com
PHPCHECK="$E2E_DIR/wp_options.php"

# seed_wp FILE BASE: a WordPress-like SQLite database for a site at BASE.
seed_wp() {
  local host=${2#*://}
  {
    echo "CREATE TABLE wp_options (option_id INTEGER PRIMARY KEY, option_name TEXT UNIQUE, option_value TEXT, autoload TEXT);"
    php "$PHPCHECK" gen "$2" | while IFS=$'\t' read -r name hex; do
      echo "INSERT INTO wp_options (option_name, option_value, autoload) VALUES ('$name', CAST(X'$hex' AS TEXT), 'yes');"
    done
    cat <<SQL
CREATE TABLE wp_posts (ID INTEGER PRIMARY KEY, post_content TEXT, guid TEXT);
INSERT INTO wp_posts VALUES (1, '<a href="$2/hello-world/">Hello</a> <img src="$2/wp-content/uploads/a.png">', '$2/?p=1');
CREATE TABLE wp_blogs (blog_id INTEGER PRIMARY KEY, site_id INTEGER, domain TEXT, path TEXT);
INSERT INTO wp_blogs VALUES (1, 1, '$host', '/'), (2, 1, '$host', '/shop/');
CREATE TABLE wp_site (id INTEGER PRIMARY KEY, domain TEXT, path TEXT);
INSERT INTO wp_site VALUES (1, '$host', '/');
SQL
  } | sqlite3 "$1"
}

# check_wp FILE BASE: FILE's options are what WordPress stores for a site at BASE.
check_wp() {
  sqlite3 -separator $'\t' "$1" 'SELECT option_name, hex(option_value) FROM wp_options ORDER BY option_id' >options.hex
  php "$PHPCHECK" check "$2" options.hex || fail "options of $1 are not those of a site at $2"
}

wp_site() {
  new_repo
  mkdir -p live/files test/files dev/files
  echo live >live/files/l.txt
  seed_wp live/db.sqlite "$LIVE"
  sqlite3 test/db.sqlite "CREATE TABLE wp_options (option_id INTEGER PRIMARY KEY, option_name TEXT, option_value TEXT);
    INSERT INTO wp_options VALUES (1, 'siteurl', '$TEST');"
  printf '*.sqlite\nlive/files\ntest/files\ndev/files\n' >.gitignore
  cat >.pantheon.toml <<TOML
site = "wp"
framework = "wordpress"
[env.dev]
database = "sqlite:dev/db.sqlite"
files = "dev/files"
[env.test]
database = "sqlite:test/db.sqlite"
files = "test/files"
url = "$TEST/"
[env.live]
database = "sqlite:live/db.sqlite"
files = "live/files"
urls = ["$LIVE", "https://example.com"]
TOML
  commit_all site
}

test_restore_of_live_into_test_rewrites_every_url() {
  wp_site
  git pantheon backup create -q --env live --element db
  expect_code 0 git pantheon restore live@latest --to-env test --yes --format=json
  printf '%s' "$OUT" >restore.json
  assert_eq "$(json_get 'd["rewrite"]["from_env"]' <restore.json)" "live"
  assert_eq "$(json_get '[p["to"] for p in d["rewrite"]["pairs"]]' <restore.json)" "['$TEST', '$TEST']"
  assert_eq "$(json_get 'd["rewrite"]["tables"]["wp_posts"]["urls"]' <restore.json)" "2"
  assert_eq "$(json_get 'd["rewrite"]["tables"]["wp_blogs"]["urls"]' <restore.json)" "2"
  assert_eq "$(json_get 'd["rewrite"]["tables"]["wp_site"]["urls"]' <restore.json)" "1"
  assert_eq "$(json_get 'd["rewrite"]["tables"]["wp_options"]["unparsable"]' <restore.json)" "1"
  assert_eq "$(json_get 'd["rewrite"]["urls"] == sum(t["urls"] for t in d["rewrite"]["tables"].values())' <restore.json)" "True"
  assert_contains "$ERR" "left 1 value of wp_options unrewritten"
  # WordPress' own view of where it is
  assert_eq "$(sqlite3 test/db.sqlite "SELECT option_value FROM wp_options WHERE option_name IN ('siteurl', 'home')")" "$TEST
$TEST"
  check_wp test/db.sqlite "$TEST"
  assert_eq "$(sqlite3 test/db.sqlite 'SELECT guid FROM wp_posts')" "$LIVE/?p=1" "guid rewritten"
  assert_eq "$(sqlite3 test/db.sqlite 'SELECT post_content FROM wp_posts')" \
    "<a href=\"$TEST/hello-world/\">Hello</a> <img src=\"$TEST/wp-content/uploads/a.png\">"
  assert_eq "$(sqlite3 test/db.sqlite 'SELECT domain, path FROM wp_blogs UNION ALL SELECT domain, path FROM wp_site')" \
    "test.example.com|/
test.example.com|/shop/
test.example.com|/"
  # the source is only read
  check_wp live/db.sqlite "$LIVE"
  # undo: test's own content, as it was (a restore of its own backup rewrites nothing)
  expect_code 0 git pantheon restore --undo --to-env test --yes
  assert_not_contains "$OUT" "rewrote"
  assert_eq "$(sqlite3 test/db.sqlite 'SELECT option_value FROM wp_options')" "$TEST"
}

test_clone_content_prints_counts_and_no_rewrite_keeps_urls() {
  wp_site
  expect_code 0 git pantheon env clone-content live test --db-only --yes
  assert_contains "$OUT" "rewrote "
  assert_contains "$OUT" " URLs in wp_options"
  assert_contains "$OUT" ", 2 in wp_blogs"
  assert_contains "$OUT" "($LIVE -> $TEST, https://example.com -> $TEST)"
  check_wp test/db.sqlite "$TEST"
  expect_code 0 git pantheon env clone-content live test --db-only --yes --no-rewrite
  assert_not_contains "$OUT" "rewrote"
  check_wp test/db.sqlite "$LIVE"
  expect_code 0 git pantheon env clone-content live test --db-only --yes --rewrite-guid --format=json
  assert_eq "$(sqlite3 test/db.sqlite 'SELECT guid FROM wp_posts')" "$TEST/?p=1"
  expect_code 2 git pantheon env clone-content live test --yes --no-rewrite --rewrite a.example=b.example
  expect_code 2 git pantheon env clone-content live test --yes --rewrite nonsense
  assert_contains "$ERR" "--rewrite takes FROM=TO"
}

test_an_environment_without_url_and_explicit_pairs() {
  wp_site
  # dev has no url: nothing is rewritten, and a note says why
  expect_code 0 git pantheon env clone-content live dev --db-only --yes
  assert_contains "$ERR" "URLs are not rewritten from live to dev: dev has no url in .pantheon.toml"
  assert_not_contains "$OUT" "rewrote"
  check_wp dev/db.sqlite "$LIVE"
  # --rewrite pairs apply anyway (a bare host included)
  expect_code 0 git pantheon env clone-content live dev --db-only --yes --rewrite "$LIVE=http://localhost:8080" --format=json
  assert_eq "$(sqlite3 dev/db.sqlite "SELECT option_value FROM wp_options WHERE option_name = 'home'")" "http://localhost:8080"
  assert_eq "$(sqlite3 dev/db.sqlite "SELECT domain FROM wp_site")" "localhost:8080"
  check_wp dev/db.sqlite "http://localhost:8080"
  # test -> dev: test has a url, dev none: the note names dev
  expect_code 0 git pantheon env clone-content test dev --db-only --yes
  assert_contains "$ERR" "dev has no url"
}

test_deploy_sync_content_and_import_db_rewrite() {
  wp_site
  expect_code 0 git pantheon deploy test --sync-content --yes
  assert_contains "$ERR" "rewrote "
  check_wp test/db.sqlite "$TEST"
  # a dump named in Pantheon's scheme says which environment it comes from
  git pantheon backup create -q --env live --element db
  git pantheon backup get live@latest --element db --to wp_live_2024-01-02T03-04-05_UTC_database.sql.gz >/dev/null
  sqlite3 test/db.sqlite "UPDATE wp_options SET option_value = 'x'"
  expect_code 0 git pantheon import db wp_live_2024-01-02T03-04-05_UTC_database.sql.gz --env test --yes
  assert_contains "$OUT" "rewrote "
  check_wp test/db.sqlite "$TEST"
  # any other name: --from-env says it
  cp wp_live_2024-01-02T03-04-05_UTC_database.sql.gz dump.sql.gz
  expect_code 0 git pantheon import db dump.sql.gz --env test --yes
  assert_not_contains "$OUT" "rewrote"
  check_wp test/db.sqlite "$LIVE"
  expect_code 0 git pantheon restore --from-files dump.sql.gz --to-env test --from-env live --yes
  assert_contains "$OUT" "rewrote "
  check_wp test/db.sqlite "$TEST"
}

run_tests
