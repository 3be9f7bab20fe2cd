#!/usr/bin/env bash
# Every hint that names a command leads somewhere: the error is met in a user's
# state, the command the hint names is run word for word (taken from the hint
# line itself), and the first command then gets further.
# needs: s3
. "$(dirname "$0")/lib.sh"
. "$GP_SERVERS/s3/env"
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY AWS_REGION=us-east-1

# Runs the first 'git pantheon ...' command quoted in the hint lines of $ERR and
# expects it to work.
follow_hint() {
  local cmd words
  cmd=$(printf '%s\n' "$ERR" | sed -n "s/^hint: .*'\(git pantheon [^']*\)'.*/\1/p" | head -1)
  [ -n "$cmd" ] || fail "no command in the hint: $ERR"
  read -r -a words <<<"$cmd"
  expect_code 0 "${words[@]}"
}

test_no_configuration_hint_runs_init() {
  python3 "$GP_SOURCE_DIR/scripts/make-demo-site.py" site >/dev/null
  cd site
  expect_code 4 git pantheon env list
  assert_contains "$ERR" "hint: run 'git pantheon init'"
  follow_hint
  expect_code 0 git pantheon env list
}

test_no_backup_hint_makes_one() {
  python3 "$GP_SOURCE_DIR/scripts/make-demo-site.py" site >/dev/null
  cd site
  git pantheon init -q && commit_all "git-pantheon config"
  expect_code 5 git pantheon backup info dev@latest
  follow_hint
  expect_code 0 git pantheon backup info dev@latest
}

# A download URL for an archive not pushed yet: the hint pushes it, then the URL works.
test_presign_before_push_hint_pushes() {
  new_bucket
  site_with_remote "s3://$BUCKET/site" "$S3_ENDPOINT"
  git pantheon -q backup create --element db
  expect_code 5 git pantheon backup get --element db --url
  assert_contains "$ERR" "is not in s3://$BUCKET/site"
  follow_hint
  expect_code 0 git pantheon backup get --element db --url
  curl -sf -o ../db.sql.gz "$OUT" || fail "the presigned URL does not download"
  gzip -t ../db.sql.gz || fail "not the archive"
}

# file:// storage cannot presign: the hint copies the very archive out instead.
test_presign_on_file_storage_hint_copies_it_out() {
  site_with_remote "file://$PWD/store"
  git pantheon -q backup create
  expect_code 5 git pantheon backup get --element files --url
  assert_contains "$ERR" "only s3:// storage can presign URLs"
  follow_hint
  f=$(ls .git/pantheon/archives/*_files.tar.gz)
  cmp "$(basename "$f")" "$f" || fail "the hint's copy is not the archive"
}

# Backups of an environment this clone does not declare: the hint's fetch
# brings the remote's backups, and the backup is then found.
test_unknown_environment_hint_fetches() {
  new_bucket
  site_with_remote "s3://$BUCKET/site" "$S3_ENDPOINT"
  mkdir -p ../test-env/files && sqlite3 ../test-env/db.sqlite "CREATE TABLE t(x); INSERT INTO t VALUES(1);"
  env_content test "sqlite:../test-env/db.sqlite" "../test-env/files"
  commit_all "test environment"
  git pantheon -q backup create --env test --element db
  git pantheon -q push origin --all
  GIT_PANTHEON_SKIP_PUSH=1 git push -q origin main
  cd .. && git clone -q --no-tags remote.git copy && cd copy
  # This clone's .pantheon.toml lost its [env.test] (another branch's config).
  python3 - <<'PY'
import re
t = open(".pantheon.toml").read()
open(".pantheon.toml", "w").write(re.sub(r"\n\[env\.test\][^\[]*", "\n", t))
PY
  expect_code 5 git pantheon backup info test@latest
  assert_contains "$ERR" "there is no environment 'test' in .pantheon.toml"
  follow_hint
  expect_code 0 git pantheon backup info test@latest
  assert_contains "$OUT" "env        test"
}

# An archive that is not local and no storage to fetch it from: the hint says
# what to configure; configured, the same command fetches it.
test_archive_not_local_hint_names_the_storage() {
  new_bucket
  site_with_remote "s3://$BUCKET/site" "$S3_ENDPOINT"
  git pantheon -q backup create --element db
  git pantheon -q push origin --all
  cp .pantheon.toml ../with-storage.toml
  rm .git/pantheon/archives/*
  python3 - <<'PY'
import re
t = open(".pantheon.toml").read()
open(".pantheon.toml", "w").write(re.sub(r"\n\[storage\.origin\][^\[]*", "\n", t))
PY
  expect_code 5 git pantheon backup get --element db --to ../db.sql.gz
  assert_one_line_error "is not in the local store"
  assert_contains "$ERR" "hint: with a storage remote in .pantheon.toml ([storage.origin]"
  cp ../with-storage.toml .pantheon.toml
  expect_code 0 git pantheon backup get --element db --to ../db.sql.gz
  gzip -t ../db.sql.gz || fail "not the archive"
}

run_tests
