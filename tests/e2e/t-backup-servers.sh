#!/usr/bin/env bash
# Database backups against real MariaDB and PostgreSQL servers (started by CTest on
# loopback), judged with the real mysql/psql clients; the password never leaks.
# needs: mariadb postgres
. "$(dirname "$0")/lib.sh"
. "$GP_SERVERS/mariadb/env"
. "$GP_SERVERS/postgres/env"

PASSWORD='Pw-$ecret"1 x'   # a password with shell and SQL metacharacters

as_root_mysql() { mariadb --no-defaults --default-character-set=utf8mb4 -uroot --socket="$MARIADB_SOCKET" "$@"; }
as_pg_super() { psql -X -q -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -v ON_ERROR_STOP=1 "$@"; }

# A WordPress-like MariaDB database with a password-protected user.
make_mariadb() {
  local db=$1
  as_root_mysql <<SQL
CREATE DATABASE $db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'wp_$db'@'%' IDENTIFIED BY '${PASSWORD//\'/\'\'}';
GRANT ALL ON $db.* TO 'wp_$db'@'%';
GRANT PROCESS, RELOAD ON *.* TO 'wp_$db'@'%';
USE $db;
CREATE TABLE wp_posts (ID BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, post_title TEXT NOT NULL,
  post_content LONGTEXT, post_date DATETIME, guid VARCHAR(255)) ENGINE=InnoDB;
CREATE TABLE wp_options (option_id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, option_name VARCHAR(191) UNIQUE,
  option_value LONGBLOB) ENGINE=InnoDB;
CREATE TABLE wp_log (id INT AUTO_INCREMENT PRIMARY KEY, post_id BIGINT, note VARCHAR(50));
CREATE VIEW wp_recent AS SELECT ID, post_title FROM wp_posts ORDER BY post_date DESC LIMIT 5;
CREATE TRIGGER wp_posts_ai AFTER INSERT ON wp_posts FOR EACH ROW INSERT INTO wp_log (post_id, note) VALUES (NEW.ID, 'inserted');
SQL
  python3 - "$db" <<'PY' | as_root_mysql "$db"
import sys
rows = []
for i in range(1, 3001):
    title = f"Post {i} \u2014 caf\u00e9 \U0001F600 'quoted' \"double\" back\\\\slash"
    rows.append(f"('{title.replace(chr(39), chr(39)*2)}', REPEAT('lorem ', {i % 50}), '2026-01-01' + INTERVAL {i} MINUTE, 'https://example.invalid/?p={i}')")
for k in range(0, len(rows), 500):
    print("INSERT INTO wp_posts (post_title, post_content, post_date, guid) VALUES " + ",".join(rows[k:k+500]) + ";")
print("INSERT INTO wp_options (option_name, option_value) VALUES ('blob', UNHEX('00FF10AB00')), ('siteurl', 'https://example.invalid');")
PY
}

site_with_db() {  # site_with_db URL
  new_repo
  mkdir -p files && echo hello >files/a.txt
  printf 'site = "shop"\n[env.dev]\ndatabase = "%s"\nfiles = "files"\n' "$1" >.pantheon.toml
  git add -A && git commit -q -m site
}

mysql_table_digest() {  # mysql_table_digest DB: every row of every table, in a stable order
  for t in wp_posts wp_options wp_log; do
    as_root_mysql --batch --skip-column-names -e "SELECT * FROM $1.$t ORDER BY 1" | sha256sum
  done
}

test_mariadb_backup_loads_with_the_real_client() {
  make_mariadb mdb1
  site_with_db "mysql://wp_mdb1@127.0.0.1:$MARIADB_PORT/mdb1"
  export GIT_PANTHEON_DB_PASSWORD_DEV="$PASSWORD"
  expect_code 0 git pantheon backup create --element db
  f=$(ls .git/pantheon/archives/*_database.sql.gz)
  gzip -dc "$f" | grep -q -- "-- Dump completed" || fail "dump not complete"
  as_root_mysql -e "CREATE DATABASE mdb1_copy CHARACTER SET utf8mb4"
  gzip -dc "$f" | as_root_mysql mdb1_copy
  assert_eq "$(mysql_table_digest mdb1_copy)" "$(mysql_table_digest mdb1)" "table contents differ"
  assert_eq "$(as_root_mysql -N -e "SELECT count(*) FROM mdb1_copy.wp_recent")" "5" "view missing"
  assert_eq "$(as_root_mysql -N -e "SELECT count(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='mdb1_copy'")" "1" "trigger missing"
  assert_eq "$(as_root_mysql -N -e "SELECT HEX(option_value) FROM mdb1_copy.wp_options WHERE option_name='blob'")" "00FF10AB00"
  assert_eq "$(as_root_mysql -N -e "SELECT post_title FROM mdb1_copy.wp_posts WHERE ID=7")" \
    "$(as_root_mysql -N -e "SELECT post_title FROM mdb1.wp_posts WHERE ID=7")"
}

test_mariadb_password_never_leaks() {
  make_mariadb mdb2
  site_with_db "mysql://wp_mdb2@127.0.0.1:$MARIADB_PORT/mdb2"
  export GIT_PANTHEON_DB_PASSWORD_DEV="$PASSWORD"
  # A mysqldump shim first on PATH records the argv it was given, then runs the real one.
  mkdir shim
  real=$(command -v mysqldump || command -v mariadb-dump)
  cat >shim/mysqldump <<SH
#!/bin/sh
printf '%s\n' "\$@" >>"$PWD/argv.log"
exec "$real" "\$@"
SH
  chmod +x shim/mysqldump
  PATH="$PWD/shim:$PATH" git pantheon backup create --element db 2>stderr.log >stdout.log || fail "backup failed: $(cat stderr.log)"
  [ -s argv.log ] || fail "the shim did not run"
  for where in argv.log stderr.log stdout.log; do
    ! grep -qF -- "$PASSWORD" "$where" || fail "password found in $where"
  done
  tag=$(git tag -l 'pantheon/backup/*')
  ! git cat-file tag "$tag" | grep -qF -- "$PASSWORD" || fail "password in the tag"
  ! grep -rqF -- "$PASSWORD" .git/pantheon/tmp .pantheon.toml || fail "password left on disk"
  ! gzip -dc .git/pantheon/archives/*_database.sql.gz | grep -qF -- "$PASSWORD" || fail "password in the dump"
}

test_mariadb_wrong_password_fails_cleanly() {
  make_mariadb mdb3
  site_with_db "mysql://wp_mdb3@127.0.0.1:$MARIADB_PORT/mdb3"
  export GIT_PANTHEON_DB_PASSWORD_DEV="not-the-password"
  expect_code 6 git pantheon backup create
  assert_one_line_error "mysql wp_mdb3@127.0.0.1:$MARIADB_PORT/mdb3"
  assert_contains "$ERR" "Access denied"
  assert_not_contains "$ERR" "not-the-password"
  assert_eq "$(git tag -l 'pantheon/backup/*')" "" "tag after a failed dump"
  assert_eq "$(ls -A .git/pantheon/archives)" "" "archive after a failed dump"
}

# A one-letter password is scrubbed as a whole token only: the error stays readable.
test_short_wrong_password_gives_a_readable_error() {
  make_mariadb mdb4
  site_with_db "mysql://wp_mdb4@127.0.0.1:$MARIADB_PORT/mdb4"
  expect_code 6 env GIT_PANTHEON_DB_PASSWORD_DEV=e git pantheon backup create --element db
  assert_one_line_error "cannot dump database 'mysql wp_mdb4@127.0.0.1:$MARIADB_PORT/mdb4': "
  assert_contains "$ERR" "Access denied for user 'wp_mdb4'"
  assert_not_contains "$ERR" "***"
  as_pg_super -d postgres -c "CREATE ROLE drupal_pg4 LOGIN PASSWORD 'right'" -c "CREATE DATABASE pg4 OWNER drupal_pg4"
  printf 'site = "shop"\n[env.dev]\ndatabase = "postgres://drupal_pg4@127.0.0.1:%s/pg4"\nfiles = "files"\n' "$PG_PORT" >.pantheon.toml
  expect_code 6 env GIT_PANTHEON_DB_PASSWORD_DEV=e git pantheon backup create --element db
  assert_one_line_error "cannot dump database 'postgres drupal_pg4@127.0.0.1:$PG_PORT/pg4': "
  assert_contains "$ERR" "password authentication failed for user \"drupal_pg4\""
  assert_not_contains "$ERR" "***"
}

test_mariadb_unreachable_server() {
  site_with_db "mysql://wp@127.0.0.1:1/nothing"
  expect_code 6 git pantheon backup create --element db
  assert_one_line_error "mysql wp@127.0.0.1:1/nothing"
  assert_eq "$(ls -A .git/pantheon/archives)" ""
}

test_postgres_backup_loads_with_the_real_client() {
  as_pg_super -d postgres -c "CREATE ROLE drupal_pg1 LOGIN PASSWORD '${PASSWORD//\'/\'\'}'" -c "CREATE DATABASE pg1 OWNER drupal_pg1"
  PGPASSWORD="$PASSWORD" psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U drupal_pg1 -d pg1 <<'SQL'
CREATE TABLE node (nid SERIAL PRIMARY KEY, title TEXT NOT NULL, body TEXT, data BYTEA, created TIMESTAMPTZ);
CREATE TABLE node_log (id SERIAL PRIMARY KEY, nid INT, note TEXT);
CREATE FUNCTION log_node() RETURNS trigger AS $$ BEGIN INSERT INTO node_log (nid, note) VALUES (NEW.nid, 'inserted'); RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE TRIGGER node_ai AFTER INSERT ON node FOR EACH ROW EXECUTE FUNCTION log_node();
INSERT INTO node (title, body, data, created)
  SELECT 'Node ' || i || ' — café 😀 ''q''', repeat('body ', i % 40), decode('00ff' || lpad(to_hex(i), 4, '0'), 'hex'), '2026-01-01'::timestamptz + i * interval '1 minute'
  FROM generate_series(1, 3000) i;
CREATE VIEW recent AS SELECT nid, title FROM node ORDER BY created DESC LIMIT 5;
SQL
  site_with_db "postgres://drupal_pg1@127.0.0.1:$PG_PORT/pg1"
  export GIT_PANTHEON_DB_PASSWORD_DEV="$PASSWORD"
  expect_code 0 git pantheon backup create --element db
  f=$(ls .git/pantheon/archives/*_database.sql.gz)
  assert_not_contains "$(gzip -dc "$f" | tail -n 5)$(gzip -dc "$f" | head -n 3)" "$PASSWORD"
  as_pg_super -d postgres -c "CREATE DATABASE pg1_copy"
  gzip -dc "$f" | as_pg_super -d pg1_copy >/dev/null
  for q in "SELECT md5(string_agg(nid||title||coalesce(body,'')||encode(data,'hex')||created::text, ',' ORDER BY nid)) FROM node" \
           "SELECT count(*) FROM node_log" "SELECT count(*) FROM recent"; do
    assert_eq "$(as_pg_super -d pg1_copy -Atc "$q")" "$(as_pg_super -d pg1 -Atc "$q")" "$q"
  done
  expect_code 6 env GIT_PANTHEON_DB_PASSWORD_DEV=Wr0ng-Pw-zz git pantheon backup create --element db
  assert_not_contains "$ERR" "Wr0ng-Pw-zz"
  assert_eq "$(git tag -l 'pantheon/backup/*' | wc -l | tr -d ' ')" "1"
}

# backup verify --restore on the servers: the dump goes into a scratch database and
# back out; the site's database keeps every row, no scratch database stays, and a
# PostgreSQL role without CREATEDB is told what it lacks (exit 7, nothing changed).
test_trial_restore_on_mariadb_and_postgres() {
  make_mariadb mdb9
  as_root_mysql -e "GRANT ALL ON \`mdb9\\_\\_gp\\_%\`.* TO 'wp_mdb9'@'%'"
  site_with_db "mysql://wp_mdb9@127.0.0.1:$MARIADB_PORT/mdb9"
  export GIT_PANTHEON_DB_PASSWORD_DEV="$PASSWORD"
  expect_code 0 git pantheon backup create --element db
  before=$(mysql_table_digest mdb9)
  expect_code 0 git pantheon backup verify --restore
  assert_contains "$OUT" "ok      shop_dev_"
  assert_contains "$OUT" "4 tables restored into a scratch MariaDB database, dumped back complete"
  assert_eq "$(mysql_table_digest mdb9)" "$before" "the site's database changed"
  assert_eq "$(as_root_mysql -N -e "SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'mdb9\\_\\_gp%'")" "0" \
    "a scratch database stayed"

  as_pg_super -d postgres -c "CREATE ROLE drupal_pg9 LOGIN PASSWORD '${PASSWORD//\'/\'\'}'" -c "CREATE DATABASE pg9 OWNER drupal_pg9"
  PGPASSWORD="$PASSWORD" psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U drupal_pg9 -d pg9 \
    -c "CREATE TABLE node (nid SERIAL PRIMARY KEY, title TEXT); CREATE VIEW titles AS SELECT title FROM node" \
    -c "INSERT INTO node (title) SELECT 'node ' || i FROM generate_series(1, 500) i"
  site_with_db "postgres://drupal_pg9@127.0.0.1:$PG_PORT/pg9"
  export GIT_PANTHEON_DB_PASSWORD_DEV="$PASSWORD"
  expect_code 0 git pantheon backup create --element db
  pg_digest() { as_pg_super -d pg9 -Atc "SELECT md5(string_agg(nid || title, ',' ORDER BY nid)) FROM node"; }
  pg_trials() { as_pg_super -d postgres -Atc "SELECT count(*) FROM pg_database WHERE datname LIKE 'pg9\\_\\_gp%'"; }
  before=$(pg_digest)
  expect_code 7 git pantheon backup verify --restore
  assert_contains "$OUT" "FAILED  shop_dev_"
  assert_contains "$OUT" "CREATEDB"
  as_pg_super -d postgres -c "ALTER ROLE drupal_pg9 CREATEDB"
  expect_code 0 git pantheon backup verify --restore
  assert_contains "$OUT" "2 tables restored into a scratch PostgreSQL database, dumped back complete"
  assert_eq "$(pg_digest)" "$before" "the site's database changed"
  assert_eq "$(pg_trials)" "0" "a scratch database stayed"
}

run_tests
