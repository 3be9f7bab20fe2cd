#!/usr/bin/env bash
# A database that stops answering never hangs git-pantheon: a server that accepts
# the connection and never speaks (tests/e2e/lib.sh silent_server), and a real
# MariaDB/PostgreSQL whose dump waits on a lock a site's session holds. Each fails
# with exit 6 and one error line within the connect timeout
# (GIT_PANTHEON_DB_CONNECT_TIMEOUT) or the progress timeout (GIT_PANTHEON_DB_TIMEOUT);
# SIGTERM ends the run with 130 within seconds, its children gone, the store lock
# free and nothing left in .git/pantheon/tmp.
# needs: mariadb postgres
. "$(dirname "$0")/lib.sh"
. "$GP_SERVERS/mariadb/env"
. "$GP_SERVERS/postgres/env"

PASSWORD='Timeout-Pw-7'
export GIT_PANTHEON_DB_PASSWORD="$PASSWORD"

my() { mariadb --no-defaults -uroot --socket="$MARIADB_SOCKET" --batch --skip-column-names "$@"; }
pg() { psql -X -q -At -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -v ON_ERROR_STOP=1 "$@"; }

site_with_db() {  # site_with_db URL: a site whose dev database is URL, in ./site
  new_repo
  mkdir -p files && echo hello >files/a.txt
  printf 'site = "shop"\n[env.dev]\ndatabase = "%s"\nfiles = "files"\n' "$1" >.pantheon.toml
  commit_all site
}

# Nothing of a failed or interrupted run is left: no archive, no tag, no temporary
# or journal file, and the lock is free (a command that needs it runs at once).
nothing_left() {
  assert_eq "$(ls -A .git/pantheon/tmp)" "" "files left in .git/pantheon/tmp"
  assert_eq "$(ls -A .git/pantheon/pending)" "" "a backup journal left behind"
  assert_eq "$(ls -A .git/pantheon/archives)" "" "an archive left behind"
  assert_eq "$(git tag -l 'pantheon/backup/*')" "" "a tag left behind"
  expect_code 0 env GIT_PANTHEON_LOCK_WAIT=0 git pantheon backup create --element files
  git tag -l 'pantheon/backup/*' | xargs -r git tag -d >/dev/null
  rm -f .git/pantheon/archives/*
}

# timed_fail LIMIT ENV...: `backup create --element db` with ENV must exit 6 within
# LIMIT seconds with one error line about the dev database.
timed_fail() {
  local limit=$1 start=$SECONDS
  shift
  expect_code 6 timeout -s KILL $((limit + 30)) env "$@" git pantheon backup create --element db
  [ $((SECONDS - start)) -le "$limit" ] || fail "gave up after $((SECONDS - start)) s, more than $limit s"
  assert_one_line_error "cannot dump database '$DESCRIBE'"
  [ "$(printf '%s\n' "$ERR" | grep -c '^git-pantheon: error: ')" -eq 1 ] || fail "not one error line: $ERR"
}

# interrupted_run DUMPER: backup create with long timeouts, sent SIGTERM once its
# DUMPER child runs for 2 s: exit 130 within a few seconds, no child left.
interrupted_run() {
  local pid kids start rc
  GIT_PANTHEON_DB_CONNECT_TIMEOUT=300 GIT_PANTHEON_DB_TIMEOUT=300 \
    "$GP_PREFIX/bin/git-pantheon" backup create --element db 2>err.log &
  pid=$!
  wait_for 20 pgrep -P "$pid" -f "$1" || fail "no $1 child started: $(cat err.log)"
  sleep 2
  kids=$(pgrep -P "$pid")
  [ -n "$kids" ] || fail "no child process to check"
  start=$SECONDS
  kill -TERM "$pid"
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    fail "SIGTERM did not end the run in 30 s"
  fi
  set +e
  wait "$pid"
  rc=$?
  set -e
  [ "$rc" -eq 130 ] || fail "exit $rc after SIGTERM, expected 130: $(cat err.log)"
  [ $((SECONDS - start)) -le 5 ] || fail "SIGTERM took $((SECONDS - start)) s"
  assert_eq "$(cat err.log)" "git-pantheon: error: interrupted"
  # shellcheck disable=SC2086
  no_process_left $kids
}

test_a_server_that_never_answers() {
  silent_server
  for scheme in mysql postgres; do
    site_with_db "$scheme://site@127.0.0.1:$SILENT_PORT/shop"
    DESCRIBE="$scheme site@127.0.0.1:$SILENT_PORT/shop"
    # The client's own connect timeout...
    timed_fail 8 GIT_PANTHEON_DB_CONNECT_TIMEOUT=2
    nothing_left
    # ...and, when that is long, the progress timeout.
    timed_fail 8 GIT_PANTHEON_DB_CONNECT_TIMEOUT=300 GIT_PANTHEON_DB_TIMEOUT=2
    assert_contains "$ERR" "stopped answering"
    nothing_left
    interrupted_run "$([ $scheme = mysql ] && echo 'mysql|mariadb' || echo pg_dump)"
    nothing_left
    cd ..
    rm -rf site
  done
}

# mysqldump waits for the metadata lock of a session that holds LOCK TABLES WRITE:
# it prints nothing while it waits, and git-pantheon used to read its output forever.
test_mariadb_dump_stuck_on_a_lock() {
  my -e "CREATE DATABASE t1; CREATE USER 'u_t1'@'%' IDENTIFIED BY '$PASSWORD'; GRANT ALL ON t1.* TO 'u_t1'@'%'; GRANT PROCESS, RELOAD ON *.* TO 'u_t1'@'%';
         CREATE TABLE t1.wp_posts (id INT PRIMARY KEY, title TEXT); INSERT INTO t1.wp_posts VALUES (1, 'hello');"
  site_with_db "mysql://u_t1@127.0.0.1:$MARIADB_PORT/t1"
  DESCRIBE="mysql u_t1@127.0.0.1:$MARIADB_PORT/t1"
  sql_session locker mariadb --no-defaults --unbuffered -uroot --socket="$MARIADB_SOCKET" --batch --skip-column-names
  sql_send locker "LOCK TABLES t1.wp_posts WRITE;"
  timed_fail 10 GIT_PANTHEON_DB_TIMEOUT=3
  assert_contains "$ERR" "the server stopped answering ('mysqldump' made no progress for 3 s)"
  nothing_left
  interrupted_run 'mysqldump|mariadb-dump'
  nothing_left
  sql_end locker
  expect_code 0 git pantheon backup create --element db
}

test_postgres_dump_stuck_on_a_lock() {
  pg -d postgres -c "CREATE ROLE u_t2 LOGIN PASSWORD '$PASSWORD'" -c "CREATE DATABASE t2 OWNER u_t2"
  pg -d t2 -c "CREATE TABLE node (nid INT PRIMARY KEY, title TEXT); INSERT INTO node VALUES (1, 'x'); ALTER TABLE node OWNER TO u_t2"
  site_with_db "postgres://u_t2@127.0.0.1:$PG_PORT/t2"
  DESCRIBE="postgres u_t2@127.0.0.1:$PG_PORT/t2"
  sql_session locker psql -X -At -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -d t2
  sql_send locker "BEGIN; LOCK TABLE node IN ACCESS EXCLUSIVE MODE;"
  timed_fail 10 GIT_PANTHEON_DB_TIMEOUT=3
  assert_contains "$ERR" "the server stopped answering ('pg_dump' made no progress for 3 s)"
  nothing_left
  interrupted_run pg_dump
  nothing_left
  sql_send locker "COMMIT;"
  expect_code 0 git pantheon backup create --element db
}

run_tests
