#!/usr/bin/env bash
# Restore into real MariaDB and PostgreSQL databases, judged with mysql/psql.
# needs: mariadb postgres
. "$(dirname "$0")/lib.sh"
. "$GP_SERVERS/mariadb/env"
. "$GP_SERVERS/postgres/env"

PASSWORD='Restore-Pw-9'
export GIT_PANTHEON_DB_PASSWORD="$PASSWORD"

my() { mariadb --no-defaults --default-character-set=utf8mb4 -uroot --socket="$MARIADB_SOCKET" --batch --skip-column-names "$@"; }
pg() { psql -X -q -At -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -v ON_ERROR_STOP=1 "$@"; }

make_my() {  # make_my DB USER: a database owned by USER, its objects created by USER (as a site does)
  my <<SQL
CREATE DATABASE $1 CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS '$2'@'%' IDENTIFIED BY '$PASSWORD';
GRANT ALL ON \`$1\`.* TO '$2'@'%';
GRANT ALL ON \`$1\_\_gp%\`.* TO '$2'@'%';
GRANT CREATE, DROP, PROCESS, RELOAD ON *.* TO '$2'@'%';
SQL
  mariadb --no-defaults --default-character-set=utf8mb4 -u"$2" -p"$PASSWORD" -h127.0.0.1 -P"$MARIADB_PORT" "$1" <<'SQL'
CREATE TABLE wp_posts (ID INT AUTO_INCREMENT PRIMARY KEY, post_title TEXT, body BLOB);
CREATE TABLE wp_log (id INT AUTO_INCREMENT PRIMARY KEY, note TEXT);
CREATE VIEW wp_titles AS SELECT post_title FROM wp_posts;
CREATE TRIGGER wp_ai AFTER INSERT ON wp_posts FOR EACH ROW INSERT INTO wp_log (note) VALUES (NEW.post_title);
INSERT INTO wp_posts (post_title, body) VALUES ('Hello 😀', UNHEX('00FF')), ('Second ''post''', NULL);
SQL
}
my_state() { for t in wp_posts wp_log; do my -e "SELECT * FROM $1.$t ORDER BY 1"; done | sha256sum; }

site() {  # site: dev on mariadb db "$1", test on mariadb db "$2"
  new_repo
  mkdir files test-files
  cat >.pantheon.toml <<TOML
site = "shop"
[env.dev]
database = "mysql://u_$1@127.0.0.1:$MARIADB_PORT/$1"
files = "files"
[env.test]
database = "mysql://u_$2@127.0.0.1:$MARIADB_PORT/$2"
files = "test-files"
TOML
  commit_all site
}

test_mariadb_restore_replaces_content_exactly() {
  make_my r1 u_r1
  make_my r1t u_r1t
  site r1 r1t
  want=$(my_state r1)
  git pantheon backup create -q --element db
  my r1 -e "DELETE FROM wp_posts WHERE ID=1; INSERT INTO wp_posts (post_title) VALUES ('later'); CREATE TABLE extra (x INT);"
  expect_code 0 git pantheon restore dev@latest --yes
  assert_eq "$(my_state r1)" "$want" "content not restored"
  assert_eq "$(my -e "SHOW TABLES FROM r1 LIKE 'extra'")" "" "a table created after the backup survived"
  assert_eq "$(my -e "SELECT count(*) FROM r1.wp_titles")" "2" "view not restored"
  assert_eq "$(my -e "SELECT count(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='r1'")" "1" "trigger not restored"
  assert_eq "$(my -e "SHOW DATABASES LIKE 'r1\_\_gp%'")" "" "scratch database left behind"
  # into another environment: test gets dev's content, dev untouched
  expect_code 0 git pantheon restore dev@latest --to-env test --yes
  assert_eq "$(my_state r1t)" "$want"
  assert_eq "$(my_state r1)" "$want"
}

test_mariadb_failed_load_leaves_the_target_unchanged() {
  make_my r2 u_r2
  make_my r2t u_r2t
  site r2 r2t
  git pantheon backup create -q --element db
  git pantheon backup get --element db --to good.sql.gz >/dev/null
  # a dump that breaks half-way: valid gzip, invalid SQL after some statements
  # (its trailer kept, so that only the load can find out)
  { gzip -dc good.sql.gz | head -n 40; echo "THIS IS NOT SQL;"; gzip -dc good.sql.gz | tail -n 2; } | gzip >bad.sql.gz
  my r2 -e "INSERT INTO wp_posts (post_title) VALUES ('after backup')"
  before=$(my_state r2)
  expect_code 6 git pantheon restore --from-files bad.sql.gz --yes --no-safety-backup
  assert_one_line_error "mysql u_r2@127.0.0.1:$MARIADB_PORT/r2"
  assert_eq "$(my_state r2)" "$before" "a failed load changed the database"
  assert_eq "$(my -e "SHOW DATABASES LIKE 'r2\_\_gp%'")" "" "scratch database left behind"
}

test_postgres_restore_replaces_content_exactly() {
  pg -d postgres -c "CREATE ROLE u_p1 LOGIN PASSWORD '$PASSWORD'" -c "CREATE DATABASE p1 OWNER u_p1"
  PGPASSWORD=$PASSWORD psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U u_p1 -d p1 <<'SQL'
CREATE TABLE node (nid SERIAL PRIMARY KEY, title TEXT, data BYTEA);
INSERT INTO node (title, data) SELECT 'Node ' || i || ' 😀', decode('00ff', 'hex') FROM generate_series(1, 500) i;
CREATE VIEW titles AS SELECT title FROM node;
SQL
  new_repo
  mkdir files
  printf 'site = "pg"\n[env.dev]\ndatabase = "postgres://u_p1@127.0.0.1:%s/p1"\nfiles = "files"\n' "$PG_PORT" >.pantheon.toml
  commit_all site
  q="SELECT md5(string_agg(nid || title || encode(data, 'hex'), ',' ORDER BY nid)) FROM node"
  want=$(pg -d p1 -c "$q")
  git pantheon backup create -q --element db
  PGPASSWORD=$PASSWORD psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U u_p1 -d p1 \
    -c "DELETE FROM node WHERE nid < 250" -c "CREATE TABLE extra (x int)"
  expect_code 0 git pantheon restore dev@latest --yes
  assert_eq "$(pg -d p1 -c "$q")" "$want" "content not restored"
  assert_eq "$(pg -d p1 -c "SELECT count(*) FROM titles")" "500"
  assert_eq "$(pg -d p1 -c "SELECT to_regclass('public.extra') IS NULL")" "t" "a table created after the backup survived"
  # a failed load rolls back
  git pantheon backup get --element db --to good.sql.gz >/dev/null
  { gzip -dc good.sql.gz | head -n 60; echo "THIS IS NOT SQL;"; gzip -dc good.sql.gz | tail -n 8; } | gzip >bad.sql.gz
  pg -d p1 -c "DELETE FROM node WHERE nid = 3"
  before=$(pg -d p1 -c "$q")
  expect_code 6 git pantheon restore --from-files bad.sql.gz --yes --no-safety-backup
  assert_eq "$(pg -d p1 -c "$q")" "$before" "a failed load changed the database"
  # a dump cut short (valid gzip, no trailer): refused before the safety backup
  gzip -dc good.sql.gz >good.sql && head -n 60 good.sql | gzip >cut.sql.gz
  backups=$(git pantheon backup list --format=json | json_get 'len(d)')
  expect_code 7 git pantheon restore --from-files cut.sql.gz --yes
  assert_one_line_error "cut.sql.gz"
  assert_contains "$ERR" "PostgreSQL database dump complete"
  assert_eq "$(pg -d p1 -c "$q")" "$before" "a dump cut short changed the database"
  assert_eq "$(git pantheon backup list --format=json | json_get 'len(d)')" "$backups" "a safety backup was made"
}

test_mariadb_dump_cut_short_is_refused_before_the_safety_backup() {
  make_my r3 u_r3
  make_my r3t u_r3t
  site r3 r3t
  git pantheon backup create -q --element db
  git pantheon backup get --element db --to good.sql.gz >/dev/null
  gzip -dc good.sql.gz >good.sql
  grep -q -- '-- Dump completed' good.sql || fail "no trailer in a whole dump"
  head -n 40 good.sql | gzip >cut.sql.gz
  my r3 -e "INSERT INTO wp_posts (post_title) VALUES ('after backup')"
  before=$(my_state r3)
  expect_code 7 git pantheon restore --from-files cut.sql.gz --yes
  assert_one_line_error "cut.sql.gz"
  assert_contains "$ERR" "-- Dump completed"
  assert_eq "$(my_state r3)" "$before" "a dump cut short changed the database"
  assert_eq "$(git pantheon backup list --format=json | json_get 'len(d)')" "1" "a safety backup was made"
  assert_eq "$(my -e "SHOW DATABASES LIKE 'r3\_\_gp%'")" "" "scratch database made"
}

run_tests
