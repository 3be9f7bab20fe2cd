#!/usr/bin/env bash
# Steps after a move ([env.<name>.after]): after deploy, restore, env clone-content
# and import, each step an argv run without a shell in the environment's worktree
# (else the repository root), told what happened through GIT_PANTHEON_* variables;
# the first failing step stops the rest with exit 6 and the move stays done;
# --no-after skips them. The steps are small scripts that record their argv, cwd
# and environment, judged from those records.
. "$(dirname "$0")/lib.sh"

# step NAME [STATUS]: ./steps/NAME, a script appending "NAME|<argv as [a][b]>|<cwd>|
# ENV|EVENT|SOURCE|STEP" to $PWD/record and exiting with STATUS (default 0).
step() {
  mkdir -p steps
  cat >"steps/$1" <<SH
#!/bin/sh
args=""
for a in "\$@"; do args="\$args[\$a]"; done
echo "$1|\$args|\$(pwd -P)|\$GIT_PANTHEON_ENV|\$GIT_PANTHEON_EVENT|\$GIT_PANTHEON_SOURCE|\$GIT_PANTHEON_STEP" >>"$PWD/record"
[ -z "\${GIT_PANTHEON_TAG:-}" ] || echo "tag \$GIT_PANTHEON_TAG \$GIT_PANTHEON_COMMIT root \$GIT_PANTHEON_ROOT" >>"$PWD/record.tag"
echo "output of $1"
echo "stderr of $1" >&2
exit ${2:-0}
SH
  chmod +x "steps/$1"
}

# A site of three SQLite environments in ./site (entered): test with a worktree
# ../wt-test, live without; the steps of test and dev written after $1 (TOML).
after_site() {
  new_repo
  for e in dev test live; do
    mkdir -p db ../files-$e
    sqlite3 db/$e.sqlite "CREATE TABLE node (nid INTEGER PRIMARY KEY, title TEXT); INSERT INTO node VALUES (1, '$e content');"
    echo "$e file" >../files-$e/$e.txt
  done
  printf '*.sqlite\nrecord\n' >.gitignore
  echo '<?php // site' >index.php
  cat >.pantheon.toml <<TOML
site = "after"
[env.dev]
database = "sqlite:db/dev.sqlite"
files = "../files-dev"
[env.test]
database = "sqlite:db/test.sqlite"
files = "../files-test"
worktree = "../wt-test"
[env.live]
database = "sqlite:db/live.sqlite"
files = "../files-live"
$1
TOML
  step one && step two && step fails 3
  commit_all site
  ROOT=$(pwd -P)
}

records() { cat record 2>/dev/null || true; }

test_deploy_runs_its_steps_in_the_worktree_with_their_argv_and_environment() {
  after_site '[env.test.after]
deploy = [["steps/one", "a b", "", "$HOME; echo x"], ["two", "--flag"]]'
  # "two" is looked up on PATH: the steps folder is put there
  PATH="$ROOT/steps:$PATH" expect_code 0 git pantheon deploy test
  local wt
  wt=$(cd ../wt-test && pwd -P)
  assert_eq "$(records)" "one|[a b][][\$HOME; echo x]|$wt|test|deploy|dev|1/2
two|[--flag]|$wt|test|deploy|dev|2/2"
  assert_eq "$(head -n1 record.tag)" "tag pantheon_test_1 $(git rev-parse HEAD) root $ROOT"
  assert_contains "$OUT" "output of one"
  assert_contains "$OUT" "output of two"
  assert_contains "$ERR" "stderr of two"
  assert_contains "$ERR" "after-step 1 of 2: steps/one 'a b' '' '\$HOME; echo x'"
  # run after the tag and the worktree move
  git rev-parse -q --verify refs/tags/pantheon_test_1 >/dev/null || fail "no deploy tag"
  [ -f ../wt-test/index.php ] || fail "worktree not made"
  # --no-after: nothing runs
  rm record
  echo "// 2" >>index.php && commit_all two
  PATH="$ROOT/steps:$PATH" expect_code 0 git pantheon deploy test --no-after
  assert_eq "$(records)" ""
  assert_contains "$ERR" "after-steps of test skipped (--no-after)"
  git rev-parse -q --verify refs/tags/pantheon_test_2 >/dev/null || fail "no second deploy tag"
}

test_a_failing_step_stops_the_rest_and_the_deploy_stays_done() {
  after_site '[env.test.after]
deploy = [["steps/one"], ["steps/fails", "x"], ["steps/two"]]'
  expect_code 6 git pantheon deploy test
  assert_contains "$ERR" "git-pantheon: error: after-step 2 of 3 ('steps/fails x') failed with exit status 3: the deploy itself is done"
  assert_eq "$(records | cut -d'|' -f1 | tr '\n' ' ')" "one fails "
  git rev-parse -q --verify refs/tags/pantheon_test_1 >/dev/null || fail "the deploy was undone"
  assert_eq "$(git -C ../wt-test rev-parse HEAD)" "$(git rev-parse HEAD)" "worktree not moved"
  assert_contains "$OUT" "pantheon_test_1"
}

test_a_missing_program_is_reported_as_a_failing_step() {
  after_site '[env.dev.after]
import = [["steps/one"], ["no-such-program-gp", "arg"]]'
  sqlite3 other.sqlite "CREATE TABLE node (nid INTEGER PRIMARY KEY, title TEXT); INSERT INTO node VALUES (1, 'imported');"
  sqlite3 other.sqlite .dump >dump.sql
  expect_code 6 git pantheon import db dump.sql --yes
  assert_contains "$ERR" "git-pantheon: error: after-step 2 of 2 ('no-such-program-gp arg') failed: 'no-such-program-gp' is not installed"
  assert_contains "$ERR" "the import itself is done"
  assert_eq "$(sqlite3 db/dev.sqlite 'SELECT title FROM node')" "imported"
  assert_eq "$(records)" "one||$ROOT|dev|import|dump.sql|1/2"
}

test_restore_runs_the_target_steps_in_the_repository_root() {
  after_site '[env.dev.after]
restore = [["steps/one", "r"]]
deploy = [["steps/fails"]]'
  git pantheon -q backup create --env live --element db
  expect_code 0 git pantheon restore live@latest --to-env dev --yes --element db
  assert_eq "$(sqlite3 db/dev.sqlite 'SELECT title FROM node')" "live content"
  assert_eq "$(records)" "one|[r]|$ROOT|dev|restore|live|1/1"
  # --format=json: our stdout stays one document, the step's output goes to stderr
  rm record
  expect_code 0 git pantheon restore live@latest --to-env dev --yes --element db --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get 'd["env"]')" "dev"
  assert_contains "$ERR" "output of one"
  # the undo is a restore too; --no-after skips
  expect_code 0 git pantheon restore --undo --to-env dev --yes --no-after
  assert_eq "$(records | wc -l)" "1"
  # the confirmation lists the steps
  local prompt
  prompt=$(printf 'n\n' | script -qec "git pantheon restore live@latest --to-env dev --element db" /dev/null 2>&1 || true)
  assert_contains "$prompt" "then the after-steps of dev (restore): steps/one r"
}

test_clone_content_and_import_run_their_own_steps() {
  after_site '[env.dev.after]
clone-content = [["steps/one", "c"]]
import = [["steps/two", "i"]]
restore = [["steps/fails"]]'
  expect_code 0 git pantheon env clone-content live dev --yes --db-only
  assert_eq "$(records)" "one|[c]|$ROOT|dev|clone-content|live|1/1"
  rm record
  mkdir -p up && echo new >up/new.txt && tar -czf up.tar.gz -C up .
  expect_code 0 git pantheon import files up.tar.gz --yes
  [ -f ../files-dev/new.txt ] || fail "files not imported"
  assert_eq "$(records)" "two|[i]|$ROOT|dev|import|up.tar.gz|1/1"
  rm record
  expect_code 0 git pantheon env clone-content live dev --yes --db-only --no-after
  expect_code 0 git pantheon import files up.tar.gz --yes --no-after
  assert_eq "$(records)" ""
}

test_a_worktree_that_does_not_exist_runs_no_step() {
  after_site '[env.test.after]
restore = [["steps/one"]]'
  git pantheon -q backup create --env live --element db
  expect_code 6 git pantheon restore live@latest --to-env test --yes --element db
  assert_one_line_error "the after-steps of test were not run: its worktree"
  assert_contains "$ERR" "the restore itself is done"
  assert_eq "$(sqlite3 db/test.sqlite 'SELECT title FROM node')" "live content"
  assert_eq "$(records)" ""
}

test_steps_that_are_not_argv_lists_are_refused() {
  after_site '[env.test.after]
deploy = "drush cr"'
  expect_code 4 git pantheon deploy test
  assert_one_line_error "'deploy' in [env.test.after] must be a list of steps"
  git rev-parse -q --verify refs/tags/pantheon_test_1 >/dev/null && fail "deployed with a bad config"
  true
}

run_tests
