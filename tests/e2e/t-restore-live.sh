#!/usr/bin/env bash
# Restore into a live site's database: a session of the site holds a transaction
# open on the tables the restore replaces (the state of every busy site). The
# restore waits for its locks at most GIT_PANTHEON_DB_LOCK_WAIT seconds, so the
# site's own new queries, which queue behind it, wait no longer than that; when it
# gives up it exits 6 with one error line saying nothing was changed and a hint
# naming the blocking connection, and the database is exactly as it was (tables,
# rows, views, triggers; no scratch database or table left). Once the transaction
# ends, the same restore succeeds. MariaDB and PostgreSQL, judged with their clients.
# needs: mariadb postgres
. "$(dirname "$0")/lib.sh"
. "$GP_SERVERS/mariadb/env"
. "$GP_SERVERS/postgres/env"

PASSWORD='Live-Pw-4'
export GIT_PANTHEON_DB_PASSWORD="$PASSWORD"
WAIT=3

my() { mariadb --no-defaults --default-character-set=utf8mb4 -uroot --socket="$MARIADB_SOCKET" --batch --skip-column-names "$@"; }
pg() { psql -X -q -At -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -v ON_ERROR_STOP=1 "$@"; }

site_with_db() {  # site_with_db URL: a site whose dev database is URL, in ./site
  new_repo
  mkdir -p files && echo hello >files/a.txt
  printf 'site = "shop"\n[env.dev]\ndatabase = "%s"\nfiles = "files"\n' "$1" >.pantheon.toml
  commit_all site
}

# Everything a restore may change, and what it may leave behind.
my_state() {
  my -e "SELECT * FROM live1.wp_posts ORDER BY 1; SELECT * FROM live1.wp_titles ORDER BY 1;
         SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'live1' ORDER BY 1;
         SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'live1' ORDER BY 1;
         SHOW DATABASES LIKE 'live1\_\_gp%';"
}
pg_state() {
  pg -d live2 -c "SELECT * FROM node ORDER BY 1" -c "SELECT * FROM titles ORDER BY 1" \
    -c "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
}

# restore_gives_up STATE_FN NEEDLE: with a transaction of the site open, the restore
# fails within the lock wait (plus the load), nothing changed; a query of the site
# started meanwhile is answered within the wait too.
restore_gives_up() {
  local state_fn=$1 site_query=$2 before start took
  before=$($state_fn)
  start=$SECONDS
  GIT_PANTHEON_DB_LOCK_WAIT=$WAIT git pantheon restore dev@latest --element db --yes -q >out.log 2>err.log &
  local pid=$!
  # The site keeps asking for its pages while the restore waits.
  sleep 1
  local q0=$SECONDS
  timeout 60 bash -c "$site_query" >/dev/null || fail "the site's query failed while the restore waited"
  [ $((SECONDS - q0)) -le $((WAIT + 5)) ] || fail "the site's query waited $((SECONDS - q0)) s behind the restore"
  set +e
  wait "$pid"
  local rc=$?
  set -e
  took=$((SECONDS - start))
  ERR=$(cat err.log)
  [ "$rc" -eq 6 ] || fail "restore exited $rc, expected 6: $ERR"
  [ "$took" -le $((WAIT + 20)) ] || fail "restore gave up after $took s (lock wait $WAIT s)"
  assert_one_line_error "cannot load database"
  assert_contains "$ERR" "nothing was changed"
  assert_contains "$ERR" "hint: "
  assert_contains "$ERR" "GIT_PANTHEON_DB_LOCK_WAIT"
  assert_eq "$($state_fn)" "$before" "the database changed though the restore gave up"
}

test_mariadb_restore_waits_for_the_site_at_most_the_lock_wait() {
  my <<SQL
CREATE DATABASE live1 CHARACTER SET utf8mb4;
CREATE USER 'u_live1'@'%' IDENTIFIED BY '$PASSWORD';
GRANT ALL ON \`live1\`.* TO 'u_live1'@'%';
GRANT ALL ON \`live1\_\_gp%\`.* TO 'u_live1'@'%';
GRANT PROCESS, RELOAD ON *.* TO 'u_live1'@'%';
USE live1;
CREATE TABLE wp_posts (ID INT PRIMARY KEY, post_title TEXT) ENGINE=InnoDB;
CREATE TABLE wp_log (id INT AUTO_INCREMENT PRIMARY KEY, note TEXT) ENGINE=InnoDB;
CREATE VIEW wp_titles AS SELECT post_title FROM wp_posts;
CREATE TRIGGER wp_ai AFTER INSERT ON wp_posts FOR EACH ROW INSERT INTO wp_log (note) VALUES (NEW.post_title);
INSERT INTO wp_posts VALUES (1, 'backed up');
SQL
  site_with_db "mysql://u_live1@127.0.0.1:$MARIADB_PORT/live1"
  git pantheon backup create -q --element db
  my -e "INSERT INTO live1.wp_posts VALUES (2, 'written after the backup')"

  # The site: a request that read a post and has not committed yet.
  sql_session site mariadb --no-defaults --unbuffered -uroot --socket="$MARIADB_SOCKET" --batch --skip-column-names live1
  sql_send site "BEGIN; SELECT CONCAT('conn-', CONNECTION_ID()); SELECT post_title FROM wp_posts WHERE ID = 1;"
  local conn
  conn=$(grep -o 'conn-[0-9]*' site.out | head -n1 | cut -d- -f2)
  restore_gives_up my_state "mariadb --no-defaults -uroot --socket='$MARIADB_SOCKET' -e 'SELECT COUNT(*) FROM live1.wp_posts'"
  assert_contains "$ERR" "connection $conn (root@localhost, transaction open for "
  assert_contains "$ERR" "KILL $conn"

  sql_send site "COMMIT;"
  expect_code 0 git pantheon restore dev@latest --element db --yes -q
  assert_eq "$(my -e 'SELECT ID, post_title FROM live1.wp_posts')" "$(printf '1\tbacked up')" "content not restored"
  assert_eq "$(my -e 'SELECT COUNT(*) FROM live1.wp_titles')" "1" "view not restored"
  assert_eq "$(my -e "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'live1'")" "1" "trigger not restored"
  assert_eq "$(my -e "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'live1' AND TABLE_NAME LIKE '\_\_gp%'")" "" \
    "previous tables left in the database"
  assert_eq "$(my -e "SHOW DATABASES LIKE 'live1\_\_gp%'")" "" "scratch database left"
  # The restored trigger works on the restored table.
  my -e "INSERT INTO live1.wp_posts VALUES (3, 'after restore')"
  assert_eq "$(my -e 'SELECT note FROM live1.wp_log ORDER BY id')" "$(printf 'backed up\nafter restore')" "trigger not attached to the restored table"
  sql_end site
}

test_postgres_restore_waits_for_the_site_at_most_the_lock_wait() {
  pg -d postgres -c "CREATE ROLE u_live2 LOGIN PASSWORD '$PASSWORD'" -c "CREATE DATABASE live2 OWNER u_live2"
  PGPASSWORD=$PASSWORD psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U u_live2 -d live2 -v ON_ERROR_STOP=1 \
    -c "CREATE TABLE node (nid INT PRIMARY KEY, title TEXT)" -c "CREATE VIEW titles AS SELECT title FROM node" \
    -c "INSERT INTO node VALUES (1, 'backed up')"
  site_with_db "postgres://u_live2@127.0.0.1:$PG_PORT/live2"
  git pantheon backup create -q --element db
  pg -d live2 -c "INSERT INTO node VALUES (2, 'written after the backup')"

  # The site connects with the role of the environment's URL, as sites do.
  PGPASSWORD=$PASSWORD sql_session site psql -X -At -h 127.0.0.1 -p "$PG_PORT" -U u_live2 -d live2
  sql_send site "BEGIN; SELECT 'pid-' || pg_backend_pid(); SELECT title FROM node WHERE nid = 1;"
  local pid
  pid=$(grep -o 'pid-[0-9]*' site.out | head -n1 | cut -d- -f2)
  # The site's reads queue behind the waiting DROP SCHEMA, as in MariaDB: for the wait at most.
  restore_gives_up pg_state "psql -X -At -h '$PG_SOCKET_DIR' -p '$PG_PORT' -U '$PG_SUPERUSER' -d live2 -c 'SELECT COUNT(*) FROM node'"
  assert_contains "$ERR" "session $pid (u_live2@127.0.0.1, idle in transaction, transaction open for "
  assert_contains "$ERR" "pg_terminate_backend($pid)"

  sql_send site "COMMIT;"
  expect_code 0 git pantheon restore dev@latest --element db --yes -q
  assert_eq "$(pg -d live2 -c 'SELECT nid, title FROM node')" "1|backed up" "content not restored"
  assert_eq "$(pg -d live2 -c 'SELECT COUNT(*) FROM titles')" "1" "view not restored"
  sql_end site
}

run_tests
