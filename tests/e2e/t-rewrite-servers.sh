#!/usr/bin/env bash
# URL rewriting on MariaDB (mysqldump's INSERTs, --hex-blob BLOBs) and PostgreSQL
# (pg_dump's COPY blocks, bytea): env clone-content live -> test, the options
# judged by the real PHP (wp_options.php) and, on MariaDB, by WordPress itself
# (Debian's wordpress package: get_option('siteurl'), 'home' and the rest), guid
# left alone, serialized BLOBs (Drupal's config table) rewritten with their lengths.
# needs: mariadb postgres
. "$(dirname "$0")/lib.sh"
. "$GP_SERVERS/mariadb/env"
. "$GP_SERVERS/postgres/env"

PASSWORD='Rewrite-Pw-5'
export GIT_PANTHEON_DB_PASSWORD="$PASSWORD"
LIVE=https://www.example.com
TEST=https://test.example.com
PHPCHECK="$E2E_DIR/wp_options.php"

my() { mariadb --no-defaults --default-character-set=utf8mb4 -uroot --socket="$MARIADB_SOCKET" --batch --skip-column-names "$@"; }
pg() { psql -X -q -At -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -v ON_ERROR_STOP=1 "$@"; }

# The config blob: a serialized array holding a URL, as hex, for a site at $1.
config_hex() { php -r 'echo bin2hex(serialize(["page" => ["front" => $argv[1] . "/node/1", "n" => 2]]));' "$1"; }

# seed_sql DIALECT BASE: the WordPress-like tables of a site at BASE.
seed_sql() {
  local host=${2#*://} hex
  hex=$(config_hex "$2")
  if [ "$1" = mysql ]; then
    cat <<SQL
CREATE TABLE wp_options (option_id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, option_name VARCHAR(191) UNIQUE,
  option_value LONGTEXT NOT NULL, autoload VARCHAR(20) NOT NULL DEFAULT 'yes') DEFAULT CHARSET=utf8mb4;
CREATE TABLE wp_posts (ID BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, post_content LONGTEXT, guid VARCHAR(255) NOT NULL DEFAULT '')
  DEFAULT CHARSET=utf8mb4;
CREATE TABLE config (name VARCHAR(255) PRIMARY KEY, data LONGBLOB);
INSERT INTO config VALUES ('system.site', X'$hex');
SQL
    php "$PHPCHECK" gen "$2" | while IFS=$'\t' read -r name h; do
      echo "INSERT INTO wp_options (option_name, option_value) VALUES ('$name', X'$h');"
    done
  else
    cat <<SQL
CREATE TABLE wp_options (option_id SERIAL PRIMARY KEY, option_name VARCHAR(191) UNIQUE, option_value TEXT NOT NULL,
  autoload VARCHAR(20) NOT NULL DEFAULT 'yes');
CREATE TABLE wp_posts ("ID" SERIAL PRIMARY KEY, post_content TEXT, guid VARCHAR(255) NOT NULL DEFAULT '');
CREATE TABLE config (name VARCHAR(255) PRIMARY KEY, data BYTEA);
INSERT INTO config VALUES ('system.site', decode('$hex', 'hex'));
SQL
    php "$PHPCHECK" gen "$2" | while IFS=$'\t' read -r name h; do
      echo "INSERT INTO wp_options (option_name, option_value) VALUES ('$name', convert_from(decode('$h', 'hex'), 'UTF8'));"
    done
  fi
  echo "INSERT INTO wp_posts (post_content, guid) VALUES ('<a href=\"$2/hello/\">Hi</a> //$host/x.png', '$2/?p=1');"
}

site() {  # site KIND LIVE_URL TEST_URL
  new_repo
  mkdir -p live-files test-files dev-files
  cat >.pantheon.toml <<TOML
site = "wp"
framework = "wordpress"
[env.dev]
database = "sqlite:dev.sqlite"
files = "dev-files"
[env.test]
database = "$2"
files = "test-files"
url = "$TEST"
[env.live]
database = "$1"
files = "live-files"
url = "$LIVE"
TOML
  commit_all site
}

# check_clone JSON: what every engine must show after live -> test.
check_counts() {
  printf '%s' "$1" >clone.json
  assert_eq "$(json_get 'd["rewrite"]["tables"]["wp_posts"]["urls"]' <clone.json)" "2"
  assert_eq "$(json_get 'd["rewrite"]["tables"]["config"]["urls"]' <clone.json)" "1"
  assert_eq "$(json_get 'd["rewrite"]["tables"]["wp_options"]["unparsable"]' <clone.json)" "1"
}

test_mariadb_clone_content_rewrites_urls() {
  my <<SQL
DROP DATABASE IF EXISTS rw_live;
DROP DATABASE IF EXISTS rw_test;
CREATE DATABASE rw_live CHARACTER SET utf8mb4;
CREATE DATABASE rw_test CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS 'rw'@'%' IDENTIFIED BY '$PASSWORD';
GRANT ALL ON \`rw\_%\`.* TO 'rw'@'%';
GRANT CREATE, DROP, PROCESS, RELOAD ON *.* TO 'rw'@'%';
SQL
  seed_sql mysql "$LIVE" | my rw_live || fail "cannot seed rw_live"
  seed_sql mysql "$TEST" | my rw_test
  site "mysql://rw@127.0.0.1:$MARIADB_PORT/rw_live" "mysql://rw@127.0.0.1:$MARIADB_PORT/rw_test"
  expect_code 0 git pantheon env clone-content live test --db-only --yes --format=json
  check_counts "$OUT"
  my -e 'SELECT option_name, HEX(option_value) FROM rw_test.wp_options ORDER BY option_id' >options.hex
  php "$PHPCHECK" check "$TEST" options.hex || fail "test's options are not those of a site at $TEST"
  assert_eq "$(my -e "SELECT option_value FROM rw_test.wp_options WHERE option_name IN ('siteurl','home') ORDER BY 1")" "$TEST
$TEST"
  assert_eq "$(my -e 'SELECT guid FROM rw_test.wp_posts')" "$LIVE/?p=1" "guid rewritten"
  assert_eq "$(my -e 'SELECT post_content FROM rw_test.wp_posts')" "<a href=\"$TEST/hello/\">Hi</a> //test.example.com/x.png"
  assert_eq "$(my -e "SELECT LOWER(HEX(data)) FROM rw_test.config")" "$(config_hex "$TEST")" "serialized BLOB"
  # WordPress' own view: get_option() of siteurl, home and every option
  WP_DB_PASSWORD=$PASSWORD php "$PHPCHECK" wordpress "$TEST" rw_test rw "127.0.0.1:$MARIADB_PORT" ||
    fail "WordPress does not see test's options as those of a site at $TEST"
  WP_DB_PASSWORD=$PASSWORD php "$PHPCHECK" wordpress "$LIVE" rw_live rw "127.0.0.1:$MARIADB_PORT" || fail "live changed"
  my -e 'SELECT option_name, HEX(option_value) FROM rw_live.wp_options ORDER BY option_id' >live.hex
  php "$PHPCHECK" check "$LIVE" live.hex || fail "the source changed"
}

test_postgres_clone_content_rewrites_urls() {
  pg -d postgres -c "DROP DATABASE IF EXISTS rw_live" -c "DROP DATABASE IF EXISTS rw_test" -c "DROP ROLE IF EXISTS rw"
  pg -d postgres -c "CREATE ROLE rw LOGIN PASSWORD '$PASSWORD'" -c "CREATE DATABASE rw_live OWNER rw" -c "CREATE DATABASE rw_test OWNER rw"
  seed_sql pg "$LIVE" | PGPASSWORD=$PASSWORD psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U rw -d rw_live >/dev/null ||
    fail "cannot seed rw_live"
  seed_sql pg "$TEST" | PGPASSWORD=$PASSWORD psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U rw -d rw_test >/dev/null
  site "postgres://rw@127.0.0.1:$PG_PORT/rw_live" "postgres://rw@127.0.0.1:$PG_PORT/rw_test"
  expect_code 0 git pantheon env clone-content live test --db-only --yes --format=json
  check_counts "$OUT"
  pg -d rw_test -F $'\t' -c "SELECT option_name, encode(convert_to(option_value, 'UTF8'), 'hex') FROM wp_options ORDER BY option_id" >options.hex
  php "$PHPCHECK" check "$TEST" options.hex || fail "test's options are not those of a site at $TEST"
  assert_eq "$(pg -d rw_test -c "SELECT option_value FROM wp_options WHERE option_name IN ('siteurl','home') ORDER BY 1")" "$TEST
$TEST"
  assert_eq "$(pg -d rw_test -c 'SELECT guid FROM wp_posts')" "$LIVE/?p=1" "guid rewritten"
  assert_eq "$(pg -d rw_test -c 'SELECT post_content FROM wp_posts')" "<a href=\"$TEST/hello/\">Hi</a> //test.example.com/x.png"
  assert_eq "$(pg -d rw_test -c "SELECT encode(data, 'hex') FROM config")" "$(config_hex "$TEST")" "serialized bytea"
}

run_tests
