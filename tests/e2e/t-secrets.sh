#!/usr/bin/env bash
# Secrets sweep: with a distinctive database password (a MariaDB and a PostgreSQL
# user made here) and a distinctive S3 secret key, run every command that touches
# them (text and JSON output, progress on) and search for the secrets in every tag
# message (so every manifest), the stdout/stderr of every command, every file of
# the repository, the work tree, the bare remote, HOME and the test directory (git
# objects and archives decompressed), the argv of every child process (wrapper
# scripts first on PATH, and strace's execve log when strace is installed), and a
# presigned URL. Zero hits allowed; only the user's own password file may hold one.
# needs: mariadb postgres s3
. "$(dirname "$0")/lib.sh"
. "$GP_SERVERS/mariadb/env"
. "$GP_SERVERS/postgres/env"
. "$GP_SERVERS/s3/env"

DB_SECRET=GpDbSecret-7c41e9a0f2b8
S3_SECRET=GpS3Secret-5e0d2b7a93c6
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET AWS_REGION=us-east-1
AWS=/root/.pyenv/shims/aws
[ -x "$AWS" ] || AWS=aws

as_root_mysql() { mariadb --no-defaults -uroot --socket="$MARIADB_SOCKET" "$@"; }
as_pg_super() { "$PG_BIN/psql" -X -q -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -v ON_ERROR_STOP=1 "$@"; }

# Wrappers that log their argv, first on PATH, for every program git-pantheon or
# git may run with a secret at hand.
install_wrappers() {
  local tool real
  mkdir -p "$TMPDIR/wrap"
  export GP_ARGV_LOG=$TMPDIR/argv.log
  : >"$GP_ARGV_LOG"
  for tool in mysql mysqldump mariadb mariadb-dump psql pg_dump pg_restore pg_dumpall git ssh curl tar gzip pigz zstd; do
    real=$(PATH="$PG_BIN:$PATH" command -v "$tool") || continue
    printf '#!/bin/bash\n{ printf %%s %q; printf " %%q" "$@"; printf "\\n"; } >>"$GP_ARGV_LOG"\nexec %q "$@"\n' \
      "$tool" "$real" >"$TMPDIR/wrap/$tool"
    chmod +x "$TMPDIR/wrap/$tool"
  done
  export PATH="$TMPDIR/wrap:$PATH"
}

LOGS=
STRACE=$(command -v strace || true)
# LeakSanitizer cannot run under ptrace (the sanitizer build, scripts/test.sh):
# leaks are the other tests' business here; this one looks for secrets.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
N=0
# run NAME CMD...: runs CMD (exit 0 required), keeping stdout and stderr, and the
# execve calls of the whole process tree when strace is there.
run() {
  local name=$1
  shift
  N=$((N + 1))
  local base="$LOGS/$(printf %03d $N)-$name"
  local rc=0
  if [ -n "$STRACE" ]; then
    "$STRACE" -f -qq -e trace=execve -s 65536 -o "$base.execve" "$@" >"$base.out" 2>"$base.err" || rc=$?
  else
    "$@" >"$base.out" 2>"$base.err" || rc=$?
  fi
  [ "$rc" -eq "${EXPECT:-0}" ] || fail "'$*' exited $rc, expected ${EXPECT:-0}: $(cat "$base.err")"
}

# hits FILE...: lines of FILEs holding a secret.
hits() { grep -a -n -F -e "$DB_SECRET" -e "$S3_SECRET" "$@" 2>/dev/null || true; }

test_no_secret_anywhere() {
  local top=$PWD r=$RANDOM
  LOGS=$top/logs
  mkdir -p "$LOGS"
  local user=gpsec$r
  # Users and databases with the known password.
  as_root_mysql <<SQL
CREATE USER '$user'@'%' IDENTIFIED BY '$DB_SECRET';
CREATE DATABASE ${user}_dev; CREATE DATABASE ${user}_test; CREATE DATABASE ${user}_live;
GRANT ALL ON \`${user}\\_%\`.* TO '$user'@'%';
GRANT PROCESS, RELOAD ON *.* TO '$user'@'%';
CREATE TABLE ${user}_dev.posts (id INT PRIMARY KEY, title TEXT);
INSERT INTO ${user}_dev.posts VALUES (1, 'hello'), (2, 'world');
CREATE TABLE ${user}_live.posts (id INT PRIMARY KEY, title TEXT);
INSERT INTO ${user}_live.posts VALUES (1, 'live');
SQL
  as_pg_super -d postgres <<SQL
CREATE ROLE $user LOGIN PASSWORD '$DB_SECRET';
CREATE DATABASE ${user}_pg OWNER $user;
SQL
  PGPASSWORD=$DB_SECRET "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U "$user" -d "${user}_pg" \
    -c "CREATE TABLE notes (id int primary key, body text); INSERT INTO notes VALUES (1, 'pg');"
  BUCKET=gp-secrets-$r
  curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET" -X PUT "$S3_ENDPOINT/$BUCKET" >/dev/null ||
    fail "cannot create bucket"

  install_wrappers
  git init -q --bare remote.git
  new_repo site
  mkdir -p code files-dev/img files-test files-live files-pg
  echo '<?php // site' >index.php
  echo 'picture' >files-dev/img/a.png
  printf 'files-*/\n' >.gitignore
  git add -A && git commit -q -m "site"
  git remote add origin ../remote.git
  run init git pantheon init --framework other --site sec --files files-dev \
    --database "mysql://$user@127.0.0.1:$MARIADB_PORT/${user}_dev"
  env_content test "mysql://$user@127.0.0.1:$MARIADB_PORT/${user}_test" files-test
  env_content live "mysql://$user@127.0.0.1:$MARIADB_PORT/${user}_live" files-live
  env_content pg "postgres://$user@127.0.0.1:$PG_PORT/${user}_pg" files-pg
  cat >>.pantheon.toml <<TOML

[storage.origin]
url = "s3://$BUCKET/sec"
endpoint = "$S3_ENDPOINT"
TOML
  git add -A && git commit -q -m "git-pantheon config"
  # The password of dev lives in the store's secrets file, the others in the environment.
  mkdir -p .git/pantheon/secrets
  (umask 077 && printf '%s\n' "$DB_SECRET" >.git/pantheon/secrets/dev.password)
  export GIT_PANTHEON_DB_PASSWORD_TEST=$DB_SECRET GIT_PANTHEON_DB_PASSWORD_LIVE=$DB_SECRET GIT_PANTHEON_DB_PASSWORD_PG=$DB_SECRET

  run hooks-install git pantheon hooks install
  run hooks-status git pantheon hooks status
  run env-list git pantheon env list
  run env-list-json git pantheon env list --format=json
  for env in dev test live pg; do
    run "create-$env" git pantheon --progress backup create --env "$env"
  done
  run create-json git pantheon --progress backup create --env pg --format=json
  run list git pantheon backup list
  run list-json git pantheon backup list --format=json
  run info git pantheon backup info dev@latest
  run info-json git pantheon backup info pg@latest --format=json
  run verify git pantheon --progress backup verify --all
  run push git pantheon --progress push --format=json
  run push-text git pantheon --progress push
  run get-url git pantheon backup get dev@latest --element db --url --expires 5m
  local url
  url=$(cat "$LOGS"/*-get-url.out)
  assert_contains "$url" "X-Amz-Signature="
  curl -sf -o "$top/dl.sql.gz" "$url" || fail "presigned URL does not download"
  run get git pantheon --progress backup get dev@latest --element db --to "$top/got.sql.gz"
  run restore-dev git pantheon --progress restore dev@latest --element db --element files --yes
  run restore-pg git pantheon --progress restore pg@latest --element db --yes
  run restore-undo git pantheon restore --undo --to-env pg --yes
  run clone-content git pantheon --progress env clone-content live test --yes
  run deploy-test git pantheon deploy test --note "first"
  echo '<?php // more' >>index.php && git commit -q -am "more"
  run deploy-sync git pantheon --progress deploy test --sync-content --yes
  run import-db git pantheon --progress import db "$top/got.sql.gz" --env dev --yes
  tar -C files-dev -czf "$top/files.tar.gz" .
  run import-files git pantheon --progress import files "$top/files.tar.gz" --env dev --yes
  local code db files
  code=$(ls .git/pantheon/archives/*dev*_code.tar.gz | head -n1)
  db=$(ls .git/pantheon/archives/*dev*_database.sql.gz | head -n1)
  files=$(ls .git/pantheon/archives/*dev*_files.tar.gz | head -n1)
  mkdir "$top/parts" && cp "$code" "$db" "$files" "$top/parts/"
  run import-site git pantheon --progress import site "$top/parts" --env dev --yes
  run prune git pantheon backup prune --format=json
  run prune-dry git pantheon backup prune --dry-run
  # The pre-push hook through a real git push.
  run create-hook git pantheon backup create --env live
  run git-push git push --follow-tags origin main
  run fetch git pantheon --progress fetch --archives --format=json
  # A second clone fetches and restores from the storage.
  cd "$top"
  run clone git clone -q remote.git copy
  cd copy
  run fetch-copy git pantheon --progress fetch --archives
  run verify-copy git pantheon backup verify --all
  # Failures must not show the password either: a wrong one, for each engine.
  GIT_PANTHEON_DB_PASSWORD_PG=$DB_SECRET-wrong EXPECT=6 run wrong-password git pantheon backup create --env pg
  GIT_PANTHEON_DB_PASSWORD_DEV=$DB_SECRET-wrong EXPECT=6 run wrong-password-mysql git pantheon backup create --env dev

  # ---- the sweep ----
  cd "$top"
  local found=""
  found+=$(cd site && git for-each-ref refs/tags --format='%(refname)%0a%(contents)' | hits -)
  found+=$(git --git-dir=remote.git for-each-ref refs/tags --format='%(contents)' | hits -)
  found+=$(hits "$LOGS"/*.out "$LOGS"/*.err)
  found+=$(hits "$GP_ARGV_LOG" | sed 's/^/argv: /')
  [ -z "$STRACE" ] || found+=$(hits "$LOGS"/*.execve | sed 's/^/execve: /')
  # Every file (the user's own password file aside), git objects decompressed.
  found+=$(grep -a -r -l -F -e "$DB_SECRET" -e "$S3_SECRET" "$top" 2>/dev/null |
    grep -v -x -F -e "$top/site/.git/pantheon/secrets/dev.password" -e "$GP_ARGV_LOG" | grep -v "^$LOGS/" || true)
  for repo in site/.git copy/.git remote.git; do
    found+=$(git --git-dir="$repo" cat-file --batch-all-objects --batch 2>/dev/null | hits - | sed "s|^|$repo object: |")
  done
  for f in site/.git/pantheon/archives/*.gz copy/.git/pantheon/archives/*.gz; do
    [ -f "$f" ] || continue
    found+=$(zcat "$f" | hits - | sed "s|^|$f: |")
  done
  assert_not_contains "$url" "$S3_SECRET" "the presigned URL holds the secret key"
  local nlogs nargv
  nlogs=$(ls "$LOGS"/*.out | wc -l)
  nargv=$(wc -l <"$GP_ARGV_LOG")
  echo "# secrets: $N commands, $nargv wrapped child processes, $( [ -z "$STRACE" ] || cat "$LOGS"/*.execve | grep -c execve) execve calls searched; hits: $(printf '%s' "$found" | grep -c . || true)" >&2
  grep -q "mysqldump\|mariadb-dump" "$GP_ARGV_LOG" || fail "the dump tool was not seen by its wrapper: $(cat "$GP_ARGV_LOG")"
  grep -q "pg_dump" "$GP_ARGV_LOG" || fail "pg_dump was not seen by its wrapper"
  [ -z "$found" ] || fail "secrets found: $found"
}

run_tests
