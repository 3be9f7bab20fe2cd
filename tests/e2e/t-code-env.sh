#!/usr/bin/env bash
# Code environments: [env.test] and [env.live] as init writes them (no database,
# no files directory). Code works (deploys, worktrees, checkout, code backups);
# whatever needs a database or files refuses with one line, exit 5, before any change.
. "$(dirname "$0")/lib.sh"

# The demo site, initialised (dev on SQLite with files; test and live code only),
# with one backup of dev in $DEV_BACKUP.
code_env_site() {
  python3 "$GP_SOURCE_DIR/scripts/make-demo-site.py" site >/dev/null
  cd site
  git pantheon init -q
  commit_all "git-pantheon config"
  git pantheon backup create -q
  DEV_BACKUP=$(git tag -l 'pantheon/backup/dev/*')
}

# Refs, the store, dev's database and files, the config: what a refusal must not change.
site_state() {
  git for-each-ref --format='%(refname) %(objectname)'
  git status --porcelain --ignored
  (cd .git/pantheon && find . -path ./lock -prune -o -print | sort)
  sqlite3 sites/default/files/.ht.sqlite .dump | sha256sum
  (cd sites/default/files && find . -print | sort)
  sha256sum .pantheon.toml
  ls -a ..
}

# refused CODE MESSAGE CMD...: CMD exits CODE with one error line holding MESSAGE
# and changes nothing.
refused() {
  local code=$1 msg=$2 before
  shift 2
  before=$(site_state)
  expect_code "$code" "$@" </dev/null
  assert_one_line_error "$msg"
  assert_eq "$(printf '%s\n' "$ERR" | grep -vc '^hint: ')" 1 "'$*' printed more than one error line"
  assert_eq "$(site_state)" "$before" "'$*' changed something"
}

test_env_list_shows_none_for_what_a_code_environment_lacks() {
  code_env_site
  expect_code 0 git pantheon env list
  assert_eq "$(printf '%s\n' "$OUT" | awk '$1=="test" {print $2, $3, $4}')" "(none) (none) -"
  expect_code 0 git pantheon env list --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get '[(e["name"], e["database"], e["files"]) for e in d["environments"] if e["name"] != "dev"]')" \
    "[('test', None, None), ('live', None, None)]"
  assert_eq "$(printf '%s' "$OUT" | json_get '[e for e in d["environments"] if e["name"]=="dev"][0]["database"]["kind"]')" "sqlite"
}

test_backup_of_a_code_environment_holds_its_code_and_says_so() {
  code_env_site
  git pantheon deploy test -q
  expect_code 0 git pantheon backup create --env test
  assert_contains "$OUT" "test is a code environment (no database, no files directory): this backup holds its code only"
  local tag
  tag=$(git tag -l 'pantheon/backup/test/*')
  assert_eq "$(manifest "$tag" 'd["backup"]["elements"]')" "['code']"
  assert_eq "$(manifest "$tag" '[a["element"] for a in d["archive"]]')" "['code']"
  assert_eq "$(git rev-parse "$tag^{commit}")" "$(git rev-parse 'pantheon_test_1^{commit}')"
  # --element all: every element the environment has; JSON stays one valid document.
  expect_code 0 git pantheon backup create --env live --element all --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get '(d["env"], d["elements"], [a["element"] for a in d["archives"]])')" \
    "('live', ['code'], ['code'])"
  expect_code 0 git pantheon backup list --env test --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get '[b["elements"] for b in d]')" "[['code']]"
  # The code archive is a whole repository at test's commit.
  mkdir ../out && tar -xzf ".git/pantheon/archives/$(manifest "$tag" 'd["archive"][0]["file"]')" -C ../out
  assert_eq "$(git -C ../out/code_test rev-parse HEAD)" "$(git rev-parse 'pantheon_test_1^{commit}')"
}

test_database_or_files_of_a_code_environment_are_refused() {
  code_env_site
  refused 5 "environment 'test' has no database (add database = ... under [env.test] in .pantheon.toml)" \
    git pantheon backup create --element database --env test
  refused 5 "environment 'test' has no database" git pantheon backup create --element db --env test
  refused 5 "environment 'live' has no files directory (add files = ... under [env.live] in .pantheon.toml)" \
    git pantheon backup create --element code --element files --env live
  refused 5 "cannot import the database into 'test': environment 'test' has no database" \
    git pantheon import db "$PWD/sites/default/files/.ht.sqlite" --env test --yes
  tar -czf ../files.tar.gz -C sites/default/files inline-images
  refused 5 "cannot import the files into 'live': environment 'live' has no files directory" \
    git pantheon import files ../files.tar.gz --env live --yes --confirm-env live
  # A site import refuses before its code is imported, and in a dry run.
  local stamp="${DEV_BACKUP#pantheon/backup/dev/}" a=.git/pantheon/archives/site_dev
  cp "${a}_${stamp}_UTC_code.tar.gz" "${a}_${stamp}_UTC_database.sql.gz" "${a}_${stamp}_UTC_files.tar.gz" ..
  for dry in --dry-run --yes; do
    refused 5 "cannot import the database of a Pantheon backup into test: environment 'test' has no database" \
      git pantheon import site ../site_dev_"${stamp}"_UTC_{code.tar.gz,database.sql.gz,files.tar.gz} --env test $dry
  done
}

test_restore_into_a_code_environment_refuses_unless_code_alone_is_asked() {
  code_env_site
  refused 5 "cannot restore the database of '${DEV_BACKUP#pantheon/backup/}' into test: environment 'test' has no database" \
    git pantheon restore dev@latest --to-env test --yes
  assert_contains "$ERR" "hint: restore only what test has with --element code"
  refused 5 "environment 'test' has no database" git pantheon restore dev@latest --to-env test --element db --yes
  refused 5 "environment 'test' has no files directory" git pantheon restore dev@latest --to-env test --element files --yes
  # Loose archives too, read from disk.
  local dump="${DEV_BACKUP#pantheon/backup/dev/}"
  refused 5 "environment 'test' has no database" \
    git pantheon restore --from-files ".git/pantheon/archives/site_dev_${dump}_UTC_database.sql.gz" --to-env test --yes
  # The code alone goes into a branch, as for any environment.
  expect_code 0 git pantheon restore dev@latest --to-env test --element code --yes
  assert_contains "$OUT" "into test: code"
  assert_eq "$(git rev-parse "restore/${DEV_BACKUP#pantheon/backup/}")" "$(git rev-parse "$DEV_BACKUP^{commit}")"
  assert_eq "$(git tag -l 'pantheon/backup/test/*')" "" "a code restore made a safety backup of test"
}

test_clone_content_with_a_code_environment_is_refused() {
  code_env_site
  refused 5 "cannot clone the database of 'live' into test: environment 'test' has no database" \
    git pantheon env clone-content live test --yes
  refused 5 "cannot clone the database of 'dev' into test: environment 'test' has no database" \
    git pantheon env clone-content dev test --db-only --yes
  refused 5 "cannot clone the files of 'test' into dev: environment 'test' has no files directory" \
    git pantheon env clone-content test dev --files-only --yes
  refused 5 "environment 'test' has no database" git pantheon deploy test --sync-content --yes
  assert_eq "$(git tag -l 'pantheon_test_*')" "" "deploy --sync-content tagged before refusing"
  # test given files but no database: the hint names what would work.
  python3 - <<'PY'
text = open(".pantheon.toml").read()
open(".pantheon.toml", "w").write(text.replace("[env.test]\n", '[env.test]\nfiles = "../test-files"\n', 1))
PY
  refused 5 "environment 'test' has no database" git pantheon env clone-content dev test --yes
  assert_contains "$ERR" "hint: copy the files alone with --files-only"
  expect_code 0 git pantheon env clone-content dev test --files-only --yes
  [ -f ../test-files/inline-images/image-1.png ] || fail "files not cloned into test"
}

test_code_environments_deploy_into_their_worktrees_and_check_out() {
  code_env_site
  # Uncomment test's worktree line only: test stays a code environment.
  sed -i 's|^# worktree = "../site-test"|worktree = "../site-test"|' .pantheon.toml
  commit_all "test worktree"
  expect_code 0 git pantheon deploy test --note "first release"
  [ "$(git -C ../site-test rev-parse HEAD)" = "$(git rev-parse main)" ] || fail "test's worktree not at the deploy"
  [ -f ../site-test/index.php ] || fail "test's worktree has no code"
  echo "// two" >>index.php && commit_all "second"
  expect_code 0 git pantheon deploy live
  expect_code 0 git pantheon deploy test
  expect_code 0 git pantheon env code-log --env test
  assert_contains "$(printf '%s\n' "$OUT" | head -n1)" "[test]"
  assert_contains "$(printf '%s\n' "$OUT" | sed -n 2p)" "[live]"
  expect_code 0 git pantheon checkout live -b hotfix
  assert_eq "$(git rev-parse HEAD)" "$(git rev-parse 'pantheon_live_1^{commit}')"
  expect_code 0 git pantheon env list
  assert_eq "$(printf '%s\n' "$OUT" | awk '$1=="test" {print $2, $3, $4}')" "(none) (none) pantheon_test_2"
}

test_scheduled_backup_of_a_code_environment_is_code_only() {
  code_env_site
  expect_code 0 git pantheon backup schedule run --env live --verify-restore daily
  assert_contains "$OUT" "trial-restore=ok(code:ok)"
  local tag
  tag=$(git tag -l 'pantheon/backup/live/*')
  [ -n "$tag" ] || fail "no automated backup of live: $(cat .git/pantheon/log/schedule.log)"
  assert_eq "$(manifest "$tag" '(d["backup"]["initiator"], d["backup"]["elements"])')" "('automated', ['code'])"
}

test_post_commit_hook_on_a_code_environment_is_a_config_error() {
  code_env_site
  printf '\n[hooks.post-commit]\nbranches = ["main"]\nenv = "test"\n' >>.pantheon.toml
  expect_code 4 git pantheon env list
  assert_one_line_error "[hooks.post-commit] backs up the database of 'test'"
  assert_contains "$ERR" "environment 'test' has no database"
}

# Configurations written before code environments (every env with a database and
# files) keep their meaning: three elements everywhere.
test_environments_with_database_and_files_behave_as_before() {
  new_repo
  echo '<?php' >index.php
  mkdir -p db files && echo a >files/a.txt
  printf 'db/\nfiles/\n' >.gitignore
  write_three_env_config
  mkdir -p ../files-test && echo t >../files-test/t.txt
  sqlite3 db/test.sqlite "CREATE TABLE t(x); INSERT INTO t VALUES (1);"
  commit_all "site"
  expect_code 0 git pantheon backup create --env test
  assert_not_contains "$OUT" "code environment"
  assert_eq "$(manifest "$(git tag -l 'pantheon/backup/test/*')" 'd["backup"]["elements"]')" "['code', 'database', 'files']"
  expect_code 0 git pantheon env list --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get '[e["files"] for e in d["environments"]]')" "['files', '../files-test', '../files-live']"
}

# A malformed database URL in one environment: env list shows it and its error,
# the healthy environments keep working, the broken one fails with that error
# (exit 4, nothing changed), and env list --check refuses.
test_a_broken_environment_does_not_stop_the_others() {
  code_env_site
  printf '\n[env.stage]\ndatabase = "mysql://wp@db.example:notaport/wp"\nfiles = "../stage-files"\n' >>.pantheon.toml
  expect_code 0 git pantheon env list
  assert_contains "$(printf '%s\n' "$OUT" | grep '^stage ')" "(invalid)"
  assert_contains "$ERR" ".pantheon.toml:"
  assert_contains "$ERR" "[env.stage]"
  expect_code 0 git pantheon env list --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get '[e["name"] for e in d["environments"] if e["error"]]')" "['stage']"
  assert_eq "$(printf '%s' "$OUT" | json_get '[e["error"] for e in d["environments"] if e["name"] == "dev"]')" "[None]"
  expect_code 0 git pantheon backup create --element db -q
  expect_code 0 git pantheon deploy test
  refused 4 "[env.stage]" git pantheon backup create --env stage
  assert_contains "$ERR" "hint: fix the database URL of [env.stage]"
  refused 4 "[env.stage]" git pantheon restore "$DEV_BACKUP" --to-env stage --yes
  refused 4 "[env.stage]" git pantheon env list --check
}

run_tests
