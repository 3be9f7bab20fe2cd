#!/usr/bin/env bash
# git pantheon checkout: a deploy tag (or any tag) into a new branch, never
# losing uncommitted work.
. "$(dirname "$0")/lib.sh"

new_site() {
  new_repo
  echo "v1" >app.txt
  write_three_env_config
  commit_all "first"
  git pantheon deploy test >/dev/null
  git pantheon deploy live >/dev/null
  echo "v2" >app.txt
  commit_all "second"
  git pantheon deploy test >/dev/null
  git pantheon deploy live >/dev/null
  echo "v3" >app.txt
  commit_all "third"
}

test_checkout_env_into_a_branch() {
  new_site
  expect_code 0 git pantheon checkout live
  assert_eq "$(git symbolic-ref HEAD)" "refs/heads/live-2"
  assert_eq "$(git rev-parse HEAD)" "$(git rev-parse pantheon_live_2^{commit})"
  assert_eq "$(cat app.txt)" "v2"
  assert_eq "$(git status --porcelain)" ""
  [ "$(git log -1 --format=%s main)" = "third" ] || fail "main moved"
}

test_checkout_tag_and_branch_name() {
  new_site
  expect_code 0 git pantheon checkout pantheon_test_1
  assert_eq "$(git symbolic-ref HEAD)" "refs/heads/pantheon_test_1"
  assert_eq "$(cat app.txt)" "v1"
  git checkout -q main
  git tag pantheon/backup/live/2026-11-25T12-00-00 HEAD~1
  expect_code 0 git pantheon checkout pantheon/backup/live/2026-11-25T12-00-00 -b restore-me
  assert_eq "$(git symbolic-ref --short HEAD)" "restore-me"
  assert_eq "$(git rev-parse HEAD)" "$(git rev-parse main~1)"
  expect_code 5 git pantheon checkout no-such-thing
  assert_one_line_error "no environment or tag named 'no-such-thing'"
  expect_code 5 git pantheon checkout dev
}

test_dirty_tree_is_refused_and_nothing_changes() {
  new_site
  echo "my work" >>app.txt
  expect_code 5 git pantheon checkout live
  assert_one_line_error "your local changes to 'app.txt' would be overwritten by checkout"
  assert_eq "$(git symbolic-ref HEAD)" "refs/heads/main"
  assert_eq "$(git branch --list live-2)" ""
  assert_eq "$(cat app.txt)" "v3
my work"
  # --force keeps uncommitted work: a conflicting change still refuses.
  expect_code 5 git pantheon checkout live --force
  assert_eq "$(git symbolic-ref HEAD)" "refs/heads/main"
  assert_eq "$(git branch --list live-2)" ""
  assert_eq "$(cat app.txt)" "v3
my work"
  # A change that does not conflict is carried over with --force.
  git checkout -q -- app.txt
  echo "note" >notes.txt && git add notes.txt
  expect_code 0 git pantheon checkout live --force
  assert_eq "$(git symbolic-ref --short HEAD)" "live-2"
  assert_eq "$(cat app.txt)" "v2"
  assert_eq "$(git status --porcelain)" "A  notes.txt"
}

test_existing_branch_refused_unless_force() {
  new_site
  git branch live-2 main
  expect_code 5 git pantheon checkout live
  assert_one_line_error "already exists"
  assert_eq "$(git rev-parse live-2)" "$(git rev-parse main)"
  assert_eq "$(git symbolic-ref HEAD)" "refs/heads/main"
  expect_code 0 git pantheon checkout live --force
  assert_eq "$(git rev-parse live-2)" "$(git rev-parse pantheon_live_2^{commit})"
  assert_eq "$(git symbolic-ref --short HEAD)" "live-2"
  assert_eq "$(git status --porcelain)" ""
}

test_checkout_a_tag_without_config() {
  new_repo
  echo one >a && commit_all "one"
  git tag -a -m "release" v1.0
  echo two >a && commit_all "two"
  expect_code 0 git pantheon checkout v1.0 -b from-release
  assert_eq "$(git symbolic-ref HEAD)" "refs/heads/from-release"
  assert_eq "$(cat a)" "one"
  expect_code 5 git pantheon checkout v1.0 -b "bad..name"
  assert_eq "$(git symbolic-ref HEAD)" "refs/heads/from-release"
}

run_tests
