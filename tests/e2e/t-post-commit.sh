#!/usr/bin/env bash
# The post-commit hook through the real `git commit` (installed by `git pantheon
# hooks install`): a db backup tied to each commit on configured branches, its own
# retention, nothing elsewhere, and never a failed commit. Judged with git, sqlite3,
# zcat and python3.
. "$(dirname "$0")/lib.sh"

# A site with a SQLite database (table t, one row 'v1') and hooks installed;
# $1 is appended to .pantheon.toml.
hook_site() {
  new_repo site
  mkdir -p db files
  sqlite3 db/dev.sqlite "CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('v1');"
  printf 'db/\nfiles/\n' >.gitignore
  printf 'site = "site"\n[env.dev]\ndatabase = "sqlite:db/dev.sqlite"\nfiles = "files"\n%s' "${1:-}" >.pantheon.toml
  commit_all "config"
  expect_code 0 git pantheon hooks install
}

commit_tags() { git tag -l 'pantheon/backup/dev/*' | sort; }

test_commit_on_configured_branch_backs_up_db_and_restores() {
  hook_site $'[hooks.post-commit]\nbranches = ["main", "feature/*"]\nenv = "dev"\nelements = ["db"]\nkeep = 2\n'
  expect_code 0 git pantheon hooks status
  assert_contains "$OUT" "post-commit	installed"
  echo one >a.txt
  git add a.txt
  expect_code 0 git commit -q -m "first change"
  assert_contains "$ERR" "git-pantheon: post-commit backup pantheon/backup/dev/"
  tag=$(commit_tags)
  [ -n "$tag" ] || fail "no backup tag after the commit"
  assert_eq "$(git rev-parse "$tag^{commit}")" "$(git rev-parse HEAD)" "backup tag points at the new commit"
  assert_eq "$(manifest "$tag" 'd["backup"]["initiator"]')" "commit"
  assert_eq "$(manifest "$tag" 'd["backup"]["elements"]')" "['database']"
  # The archive holds the row (read with zcat, not with git-pantheon).
  f=.git/pantheon/archives/$(manifest "$tag" 'd["archive"][0]["file"]')
  zcat "$f" | grep -q "INSERT INTO t VALUES('v1')" || zcat "$f" | grep -q "'v1'" || fail "db archive lacks the row"
  assert_eq "$(sha256sum "$f" | cut -d' ' -f1)" "$(manifest "$tag" 'd["archive"][0]["sha256"]')" "archive sha256"
  expect_code 0 git pantheon backup list
  assert_contains "$OUT" "commit"
  # Code and content together by tag: change both, then go back.
  sqlite3 db/dev.sqlite "UPDATE t SET v = 'v2';"
  echo two >a.txt
  GIT_PANTHEON_SKIP_POST_COMMIT=1 git commit -q -am "second change"
  assert_eq "$(commit_tags | wc -l)" "1" "GIT_PANTHEON_SKIP_POST_COMMIT=1 made a backup"
  git checkout -q "$tag^{commit}"
  expect_code 0 git pantheon restore "$tag" --element db --yes --no-safety-backup
  assert_eq "$(sqlite3 db/dev.sqlite 'SELECT v FROM t')" "v1" "restored database"
  assert_eq "$(cat a.txt)" "one" "code at the tag"
  git checkout -q main
  # Retention: keep = 2 keeps the two newest commit backups.
  for i in 3 4 5; do
    echo "$i" >a.txt
    expect_code 0 git commit -q -am "change $i"
  done
  assert_eq "$(commit_tags | wc -l | tr -d ' ')" "2" "retention keeps 2"
  assert_eq "$(git rev-parse "$(commit_tags | tail -1)^{commit}")" "$(git rev-parse HEAD)" "newest backup is of HEAD"
  git tag -l "$tag" | grep -q . && fail "the oldest backup was not pruned"
  assert_eq "$(ls .git/pantheon/archives | wc -l | tr -d ' ')" "2" "pruned archives removed"
  # A manual backup is never pruned by the hook's retention.
  git pantheon -q backup create --element db
  manual=$(git for-each-ref --format='%(refname:short)' 'refs/tags/pantheon/backup/dev/*' | while read -r t; do
    [ "$(manifest "$t" 'd["backup"]["initiator"]')" = manual ] && echo "$t"; done)
  [ -n "$manual" ] || fail "no manual backup"
  for i in 6 7; do
    echo "$i" >a.txt
    expect_code 0 git commit -q -am "change $i"
  done
  git tag -l "$manual" | grep -q . || fail "the hook pruned a manual backup"
  assert_eq "$(commit_tags | wc -l | tr -d ' ')" "3" "2 commit backups + 1 manual"
  # A protected commit backup outlives the hook's count too.
  kept=
  for t in $(git tag -l 'pantheon/backup/dev/*'); do
    [ "$(manifest "$t" 'd["backup"]["initiator"]')" = commit ] && { kept=$t; break; }
  done
  [ -n "$kept" ] || fail "no commit backup"
  expect_code 0 git pantheon backup protect "$kept"
  for i in 8 9 10; do
    echo "$i" >a.txt
    expect_code 0 git commit -q -am "change $i"
  done
  git tag -l "$kept" | grep -q . || fail "the hook pruned a protected backup"
  assert_eq "$(commit_tags | wc -l | tr -d ' ')" "4" "2 newest commit backups + 1 protected + 1 manual"
  git fsck >/dev/null 2>&1 || fail "git fsck"
}

test_feature_pattern_and_unconfigured_branch() {
  hook_site $'[hooks.post-commit]\nbranches = ["feature/*"]\n'
  echo x >a.txt && git add a.txt
  expect_code 0 git commit -q -m "on main"
  assert_eq "$ERR" "" "no output on an unconfigured branch"
  assert_eq "$(commit_tags)" "" "backup on an unconfigured branch"
  git checkout -q -b feature/login
  echo y >a.txt
  expect_code 0 git commit -q -am "on a feature branch"
  assert_eq "$(commit_tags | wc -l | tr -d ' ')" "1" "backup on feature/login"
}

test_no_hooks_table_costs_nothing() {
  hook_site ""
  echo x >a.txt && git add a.txt
  expect_code 0 git commit -q -m "plain"
  assert_eq "$ERR" ""
  assert_eq "$(commit_tags)" ""
  [ ! -e .git/pantheon ] || fail "the hook touched the store without a [hooks.post-commit]"
}

test_broken_database_never_fails_the_commit() {
  hook_site $'[hooks.post-commit]\nbranches = ["main"]\n'
  echo "this is not a database" >db/dev.sqlite
  echo x >a.txt && git add a.txt
  before=$(git rev-parse HEAD)
  expect_code 0 git commit -q -m "with a broken db"
  [ "$(git rev-parse HEAD)" != "$before" ] || fail "the commit was not made"
  assert_eq "$(printf '%s\n' "$ERR" | wc -l | tr -d ' ')" "1" "one line on stderr: $ERR"
  assert_contains "$ERR" "git-pantheon: warning: post-commit backup not made (the commit is done): "
  assert_contains "$ERR" "dev.sqlite"
  assert_eq "$(commit_tags)" "" "no backup tag"
  assert_eq "$(ls .git/pantheon/archives | wc -l | tr -d ' ')" "0" "no archive left"
  # A bad [hooks.post-commit] is a warning too.
  printf 'site = "site"\n[env.dev]\ndatabase = "sqlite:db/dev.sqlite"\nfiles = "files"\n[hooks.post-commit]\nbranches = ["main"]\nenv = "nope"\n' >.pantheon.toml
  expect_code 0 git commit -q -am "bad config"
  assert_contains "$ERR" "post-commit backup not made"
  assert_contains "$ERR" "names environment 'nope', which is not defined"
}

test_rebase_and_cherry_pick_sequence_take_no_backup() {
  hook_site $'[hooks.post-commit]\nbranches = ["*"]\n'
  git checkout -q -b side
  for i in 1 2; do echo "s$i" >"s$i.txt" && git add "s$i.txt" && GIT_PANTHEON_SKIP_HOOKS=1 git commit -q -m "side $i"; done
  git checkout -q main
  echo m >m.txt && git add m.txt && GIT_PANTHEON_SKIP_HOOKS=1 git commit -q -m "main"
  assert_eq "$(commit_tags)" "" "GIT_PANTHEON_SKIP_HOOKS=1 made a backup"
  git checkout -q side
  expect_code 0 git rebase -q main
  assert_eq "$(commit_tags)" "" "a rebase made backups"
  git checkout -q main
  expect_code 0 git cherry-pick side~1 side
  assert_eq "$(commit_tags)" "" "a cherry-pick sequence made backups"
  # A single cherry-pick is an ordinary new commit on the branch.
  git checkout -q -b other side~2
  expect_code 0 git cherry-pick side
  assert_eq "$(commit_tags | wc -l | tr -d ' ')" "1" "single cherry-pick backup"
}

test_foreign_post_commit_hook_is_chained() {
  new_repo site
  mkdir -p .git/hooks
  printf '#!/bin/sh\necho foreign-ran >>"$(git rev-parse --git-dir)/foreign.log"\n' >.git/hooks/post-commit
  chmod +x .git/hooks/post-commit
  printf 'site = "site"\n[env.dev]\ndatabase = "sqlite:dev.sqlite"\nfiles = "files"\n[hooks.post-commit]\nbranches = ["main"]\n' >.pantheon.toml
  sqlite3 dev.sqlite "CREATE TABLE t(v); INSERT INTO t VALUES (1);"
  printf 'dev.sqlite\n' >.gitignore
  expect_code 0 git pantheon hooks install
  assert_contains "$OUT" "post-commit.pantheon-chained"
  expect_code 0 git add -A
  expect_code 0 git commit -q -m "first"
  assert_eq "$(cat .git/foreign.log)" "foreign-ran"
  assert_eq "$(commit_tags | wc -l | tr -d ' ')" "1"
  expect_code 0 git pantheon hooks uninstall
  assert_contains "$(cat .git/hooks/post-commit)" "foreign-ran"
  [ ! -e .git/hooks/pre-push ] || fail "pre-push left behind"
}

run_tests
