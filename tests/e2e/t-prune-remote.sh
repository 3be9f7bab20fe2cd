#!/usr/bin/env bash
# backup prune --remote: retention applied to what a git remote and its S3 storage
# (moto on loopback) hold; judged with git ls-remote and the aws CLI, and by a
# fresh clone whose `backup verify --all` must pass afterwards.
# needs: s3
. "$(dirname "$0")/lib.sh"
. "$GP_SERVERS/s3/env"
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY AWS_REGION=us-east-1
AWS=/root/.pyenv/shims/aws
[ -x "$AWS" ] || AWS=aws

# Ten database backups of dev, one a day from 2026-01-01 12:00 UTC, all pushed.
pushed_history() {
  local i
  for i in $(seq 0 9); do
    GP_TEST_NOW=$(date -u -d "@$((1767268800 + i * 86400))" +%Y-%m-%dT%H:%M:%SZ) \
      git pantheon -q backup create --element db --keep-for 1000d >/dev/null || fail "backup $i"
  done
  expect_code 0 git pantheon push origin --all
}

stored() { awscli s3 ls "s3://$BUCKET/site/" | awk '{print $4}' | sort; }
remote_tags() { remote_backup_tags ../remote.git | awk '{print $2}' | sed 's|refs/tags/||' | sort; }
archive_of() { echo "$1" | sed 's|^pantheon/backup/dev/|site_dev_|; s|$|_UTC_database.sql.gz|'; }

test_remote_prune_by_policy_keeps_remote_protections_and_verifies_after() {
  new_bucket
  site_with_remote "s3://$BUCKET/site" "$S3_ENDPOINT"
  git config user.name "Site Owner" && git config user.email owner@example.invalid
  pushed_history
  old=pantheon/backup/dev/2026-01-02T12-00-00
  expect_code 0 git pantheon backup protect "$old" -m "before the migration"
  expect_code 0 git pantheon push origin "$old"
  git ls-remote ../remote.git 'refs/tags/pantheon/protected/*' | grep -q "pantheon/protected/dev/2026-01-02T12-00-00$" ||
    fail "push did not carry the protection tag"
  # The protection lives on the remote only from now on; locally most backups go.
  git tag -d pantheon/protected/dev/2026-01-02T12-00-00 >/dev/null
  export GP_TEST_NOW=2026-01-20T00:00:00Z
  expect_code 0 git pantheon backup prune --keep-last 2
  local_before=$(git tag -l 'pantheon/*' | sort)
  assert_eq "$(remote_tags | wc -l | tr -d ' ')" "10"
  assert_eq "$(stored | wc -l | tr -d ' ')" "10"

  expect_code 0 git pantheon backup prune --remote origin --keep-daily 3 --dry-run
  assert_contains "$OUT" "keep pantheon/backup/dev/2026-01-10T12-00-00 on origin (keep-daily)"
  assert_contains "$OUT" "keep $old on origin (protected on origin by Site Owner <owner@example.invalid>)"
  assert_contains "$OUT" "would remove pantheon/backup/dev/2026-01-01T12-00-00 on origin (not kept by the policy"
  assert_eq "$(remote_tags | wc -l | tr -d ' ')" "10" "a dry run removed tags"
  assert_eq "$(stored | wc -l | tr -d ' ')" "10" "a dry run removed objects"

  expect_code 0 git pantheon backup prune --remote origin --keep-daily 3 --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get 'len(d["removed"]), len(d["archives"]), d["remote"]')" "(6, 6, 'origin')"
  keep="$old
pantheon/backup/dev/2026-01-08T12-00-00
pantheon/backup/dev/2026-01-09T12-00-00
pantheon/backup/dev/2026-01-10T12-00-00"
  assert_eq "$(remote_tags)" "$keep" "tags on the git remote"
  expected=$(for t in $keep; do archive_of "$t"; done | sort)
  assert_eq "$(stored)" "$expected" "objects in the storage"
  assert_eq "$(git tag -l 'pantheon/*' | sort)" "$local_before" "local tags changed"
  assert_eq "$(git for-each-ref 'refs/pantheon/remotes/' | wc -l | tr -d ' ')" "0" "the remote's refs stayed"
  expect_code 0 git pantheon backup prune --remote origin --keep-daily 3
  assert_eq "$OUT" "nothing to prune on origin"

  GIT_PANTHEON_SKIP_PUSH=1 git push -q origin main
  cd ..
  git clone -q --no-tags remote.git judge
  cd judge
  expect_code 0 git pantheon fetch --archives
  assert_eq "$(git tag -l 'pantheon/backup/*' | sort)" "$keep"
  git tag -l 'pantheon/protected/*' | grep -q . || fail "fetch did not bring the protection tag"
  expect_code 0 git pantheon backup verify --all
  assert_contains "$OUT" "4 archives verified"
  git fsck --strict >/dev/null 2>&1 || fail "git fsck"
}

# The storage fails after the tags are gone: an error naming what stays, tags and
# objects consistent (no tag without its archives), and a later run has nothing
# left to remove from the tags' side.
test_remote_prune_storage_failure_leaves_no_tag_without_archives() {
  new_bucket
  site_with_remote "s3://$BUCKET/site" "$S3_ENDPOINT"
  pushed_history
  export GP_TEST_NOW=2026-01-20T00:00:00Z
  GP_STORAGE_FAULT=fail-every:2 expect_code 6 git pantheon -q backup prune --remote origin --keep-last 4
  assert_one_line_error "cannot remove archive"
  assert_contains "$ERR" "unreferenced"
  assert_eq "$(remote_tags | wc -l | tr -d ' ')" "4"
  for t in $(remote_tags); do
    stored | grep -qx "$(archive_of "$t")" || fail "tag $t on the remote without its archive"
  done
  left=$(stored | wc -l | tr -d ' ')
  [ "$left" -gt 4 ] && [ "$left" -lt 10 ] || fail "expected some objects removed, some left: $left"
  expect_code 0 git pantheon backup prune --remote origin --keep-last 4
  assert_eq "$OUT" "nothing to prune on origin"
}

# An unknown remote, one without storage and an unreachable one: one line each,
# nothing removed anywhere.
test_remote_prune_refusals() {
  new_bucket
  site_with_remote "s3://$BUCKET/site" "$S3_ENDPOINT"
  pushed_history
  export GP_TEST_NOW=2026-01-20T00:00:00Z
  expect_code 4 git pantheon -q backup prune --remote nowhere --keep-last 1
  assert_one_line_error "nowhere"
  git remote add other ../remote.git
  expect_code 4 git pantheon -q backup prune --remote other --keep-last 1
  assert_one_line_error "no storage configured for git remote 'other'"
  git remote set-url origin ../missing.git
  expect_code 6 git pantheon -q backup prune --remote origin --keep-last 1
  assert_one_line_error "cannot fetch backup tags from 'origin'"
  assert_eq "$(remote_tags | wc -l | tr -d ' ')" "10"
  assert_eq "$(stored | wc -l | tr -d ' ')" "10"
  assert_eq "$(git tag -l 'pantheon/backup/*' | wc -l | tr -d ' ')" "10"
}

run_tests
