#!/usr/bin/env bash
# git pantheon init and env list.
. "$(dirname "$0")/lib.sh"

test_init_detects_drupal() {
  new_repo
  make_drupal_tree
  commit_all "drupal"
  expect_code 0 git pantheon init
  assert_contains "$OUT" "drupal site 'site'"
  grep -q '^framework = "drupal"' .pantheon.toml || fail "framework not drupal"
  grep -q '^files = "sites/default/files"' .pantheon.toml || fail "files dir not the Drupal default"
  [ "$(stat -c %a .git/pantheon)" = 700 ] || fail "store mode $(stat -c %a .git/pantheon)"
  [ "$(stat -c %a .git/pantheon/archives)" = 700 ] || fail "archives mode"
  expect_code 0 git pantheon env list --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get 'd["framework"]')" "drupal"
  assert_eq "$(printf '%s' "$OUT" | json_get 'd["environments"][0]["database"]["kind"]')" "sqlite"
  assert_eq "$(printf '%s' "$OUT" | json_get 'd["environments"][0]["commit"]')" "$(git rev-parse HEAD)"
}

test_init_writes_test_and_live_as_code_environments() {
  new_repo
  make_drupal_tree
  commit_all "drupal"
  expect_code 0 git pantheon init
  assert_contains "$OUT" "test, live: code environments"
  for env in test live; do
    grep -q "^\[env\.$env\]\$" .pantheon.toml || fail "no [env.$env] table"
    grep -q "^# database = \"mysql://wp@127.0.0.1:3306/$env\"" .pantheon.toml || fail "no commented database line for $env"
    grep -q "^# files = \"../site-$env/sites/default/files\"" .pantheon.toml || fail "no commented files line for $env"
  done
  expect_code 0 git pantheon env list --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get '[(e["name"], e["database"], e["files"]) for e in d["environments"]]')" \
    "[('dev', {'kind': 'sqlite', 'path': 'sites/default/files/.ht.sqlite'}, 'sites/default/files'), ('test', None, None), ('live', None, None)]"
  # Uncommenting test's lines gives it a database and files of its own.
  sed -i '/^\[env\.test\]$/,/^$/s/^# //' .pantheon.toml
  expect_code 0 git pantheon env list
  assert_eq "$(printf '%s\n' "$OUT" | awk '$1=="test" {print $2, $3, $4}')" "mysql wp@127.0.0.1:3306/test ../site-test/sites/default/files"
  assert_eq "$(printf '%s\n' "$OUT" | awk '$1=="live" {print $2, $3}')" "(none) (none)"
}

test_init_detects_drupal_with_web_docroot() {
  new_repo
  mkdir -p web/core/lib && echo '<?php' >web/core/lib/Drupal.php
  expect_code 0 git pantheon init
  grep -q '^files = "web/sites/default/files"' .pantheon.toml || fail "files dir: $(grep ^files .pantheon.toml)"
}

test_init_detects_wordpress() {
  new_repo
  make_wordpress_tree
  commit_all "wp"
  expect_code 0 git pantheon init --site my_blog
  grep -q '^framework = "wordpress"' .pantheon.toml || fail "framework not wordpress"
  grep -q '^files = "wp-content/uploads"' .pantheon.toml || fail "files dir not the WordPress default"
  expect_code 0 git pantheon env list --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get 'd["site"]')" "my_blog"
  assert_eq "$(printf '%s' "$OUT" | json_get 'd["environments"][0]["files"]')" "wp-content/uploads"
}

test_init_refuses_to_overwrite() {
  new_repo
  git pantheon init -q
  echo "# mine" >>.pantheon.toml
  local before
  before=$(cat .pantheon.toml)
  expect_code 5 git pantheon init
  assert_one_line_error "refusing to overwrite '.pantheon.toml'"
  assert_eq "$(cat .pantheon.toml)" "$before" "config changed"
  expect_code 0 git pantheon init --force --framework wordpress
  grep -q '^framework = "wordpress"' .pantheon.toml || fail "not replaced"
}

test_init_rejects_bad_options() {
  new_repo
  expect_code 2 git pantheon init --framework joomla
  expect_code 2 git pantheon init --site "bad name"
  [ ! -e .pantheon.toml ] || fail "config written despite the error"
}

# What a tracked hooks folder holds, ignored files included.
husky_state() { (find .husky -print0 | sort -z | xargs -0 sha256sum 2>/dev/null; find .husky | sort) | sha256sum; }

test_init_and_hooks_install_leave_a_tracked_hooks_folder_alone() {
  fixture_husky_repo
  local hook before
  hook=$(sha256sum .husky/pre-push)
  before=$(husky_state)
  expect_code 0 git pantheon init
  assert_contains "$ERR" "warning: hooks not installed"
  assert_contains "$ERR" 'git pantheon hook pre-push "$@"'
  assert_eq "$(git status --porcelain)" "?? .pantheon.toml" "init changed the work tree beyond its config"
  assert_eq "$(sha256sum .husky/pre-push)" "$hook" "init rewrote the tracked hook"
  assert_eq "$(husky_state)" "$before" "init wrote into the tracked hooks folder"
  git add .pantheon.toml && git commit -q -m "git-pantheon config"
  expect_code 5 git pantheon hooks install
  assert_one_line_error ".husky/pre-push"
  assert_contains "$ERR" "hint: "
  assert_contains "$ERR" 'git pantheon hook pre-push "$@"'
  assert_eq "$(sha256sum .husky/pre-push)" "$hook" "hooks install rewrote the tracked hook"
  assert_eq "$(husky_state)" "$before" "hooks install wrote into the tracked hooks folder"
  git add -A
  assert_eq "$(git status --porcelain)" "" "git add -A found something of ours"
  expect_code 0 git pantheon hooks status --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get '[(h["hook"], h["state"], h["in_work_tree"]) for h in d]')" \
    "[('pre-push', 'foreign', True), ('post-commit', 'missing', True)]"
  # The team adds the line to its hook (first, before anything reads stdin): installed.
  sed -i '3i git pantheon hook pre-push "$@"' .husky/pre-push
  commit_all "run git-pantheon's pre-push part"
  hook=$(sha256sum .husky/pre-push)
  before=$(husky_state)
  expect_code 0 git pantheon hooks status
  assert_contains "$OUT" "pre-push	installed"
  expect_code 0 git pantheon hooks install
  assert_contains "$OUT" "calls git pantheon"
  assert_eq "$(git status --porcelain)" "" "hooks install changed the work tree"
  assert_eq "$(sha256sum .husky/pre-push)" "$hook" "hooks install rewrote the team's hook"
  assert_eq "$(husky_state)" "$before" "hooks install wrote into the tracked hooks folder"
  # [hooks.post-commit] configured: its hook is needed too, and refused the same way.
  printf '\n[hooks.post-commit]\nbranches = ["main"]\n' >>.pantheon.toml && commit_all "post-commit backups"
  expect_code 5 git pantheon hooks install
  assert_one_line_error ".husky/post-commit"
  assert_contains "$ERR" "git pantheon hook post-commit"
  assert_eq "$(husky_state)" "$before" "hooks install wrote into the tracked hooks folder"
}

test_hooks_install_force_writes_into_a_tracked_hooks_folder() {
  fixture_husky_repo
  local team
  team=$(cat .husky/pre-push)
  expect_code 0 git pantheon hooks install --force
  grep -q "git-pantheon hook shim" .husky/pre-push || fail "no shim written with --force"
  assert_eq "$(cat .husky/pre-push.pantheon-chained)" "$team" "the team's hook was not chained"
  expect_code 0 git pantheon hooks status
  assert_contains "$OUT" "pre-push	installed"
}

test_git_lfs_pre_push_hook_survives_init_and_runs() {
  new_repo
  mkdir ../bin ../store
  printf '#!/bin/sh\necho "lfs $*" >>"%s/lfs.log"\ncat >>"%s/lfs.log"\n' "$PWD/.." "$PWD/.." >../bin/git-lfs
  chmod +x ../bin/git-lfs
  export PATH="$PWD/../bin:$PATH"
  # the hook `git lfs install` writes
  mkdir -p .git/hooks
  cat >.git/hooks/pre-push <<'HOOK'
#!/bin/sh
command -v git-lfs >/dev/null 2>&1 || { printf >&2 "\n%s\n\n" "This repository is configured for Git LFS but 'git-lfs' was not found on your path. If you no longer wish to use Git LFS, remove this hook by deleting the 'pre-push' file in the hooks directory (set by 'core.hookspath'; usually '.git/hooks')."; exit 2; }
git lfs pre-push "$@"
HOOK
  chmod +x .git/hooks/pre-push
  cp .git/hooks/pre-push ../lfs-hook
  echo "<?php" >index.php && commit_all "site"
  expect_code 0 git pantheon init
  cmp .git/hooks/pre-push.pantheon-chained ../lfs-hook || fail "git-lfs's hook not chained as it was"
  assert_eq "$(git status --porcelain)" "?? .pantheon.toml"
  printf '\n[storage.origin]\nurl = "file://%s"\n' "$PWD/../store" >>.pantheon.toml
  commit_all "git-pantheon config"
  git init -q --bare ../remote.git && git remote add origin ../remote.git
  git pantheon backup create --element code -q
  tag=$(git tag -l 'pantheon/backup/dev/*')
  expect_code 0 git push -q --follow-tags origin main
  assert_contains "$(cat ../lfs.log)" "lfs pre-push origin ../remote.git"
  assert_contains "$(cat ../lfs.log)" "refs/tags/$tag" "git-lfs did not get git's stdin"
  [ -f "../store/$(manifest "$tag" "d['archive'][0]['file']")" ] || fail "archive not uploaded"
  expect_code 0 git pantheon hooks uninstall
  cmp .git/hooks/pre-push ../lfs-hook || fail "git-lfs's hook not put back"
}

test_push_through_the_line_in_a_tracked_hook() {
  fixture_husky_repo
  mkdir ../store
  git pantheon init -q 2>/dev/null
  printf '\n[storage.origin]\nurl = "file://%s"\n' "$PWD/../store" >>.pantheon.toml
  sed -i '3i git pantheon hook pre-push "$@"' .husky/pre-push
  commit_all "git-pantheon config and its line in the team's pre-push"
  git init -q --bare ../remote.git && git remote add origin ../remote.git
  git pantheon backup create --element code -q
  tag=$(git tag -l 'pantheon/backup/dev/*')
  expect_code 0 git push -q --follow-tags origin main
  assert_contains "$ERR" "uploaded"
  assert_contains "$(cat ../husky.log)" "husky pre-push origin ../remote.git" "the team's hook did not run"
  [ -f "../store/$(manifest "$tag" "d['archive'][0]['file']")" ] || fail "archive not uploaded"
  assert_contains "$(remote_backup_tags ../remote.git)" "refs/tags/$tag"
}

test_env_list_text_and_json() {
  new_repo
  commit_all init 2>/dev/null || git commit -q --allow-empty -m init
  cat >.pantheon.toml <<'TOML'
site = "shop"
framework = "wordpress"
[env.dev]
database = "sqlite:db/dev.sqlite"
[env.live]
database = "mysql://wp@127.0.0.1:3306/live"
files = "../live/uploads"
TOML
  expect_code 0 git pantheon env list
  assert_contains "$OUT" "mysql wp@127.0.0.1:3306/live"
  assert_contains "$OUT" "../live/uploads"
  expect_code 0 git pantheon env list --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get 'len(d["environments"])')" "2"
  assert_eq "$(printf '%s' "$OUT" | json_get '[e for e in d["environments"] if e["name"]=="live"][0]["database"]["port"]')" "3306"
  assert_eq "$(printf '%s' "$OUT" | json_get '[e for e in d["environments"] if e["name"]=="live"][0]["deploy_tag"]')" "None"
}

test_malformed_config_names_line_and_column() {
  new_repo
  printf 'site = "x"\n[env.dev]\ndatabase = "sqlite:x"\nfles = "typo"\n' >.pantheon.toml
  expect_code 4 git pantheon env list
  assert_one_line_error ".pantheon.toml:4:"
  assert_contains "$ERR" "unknown key 'fles'"
  printf 'site = "x"\n[env.dev\n' >.pantheon.toml
  expect_code 4 git pantheon env list
  assert_one_line_error ".pantheon.toml:2:"
  rm .pantheon.toml
  expect_code 4 git pantheon env list
  assert_contains "$ERR" "hint: run 'git pantheon init'"
}

test_password_in_config_is_refused_and_not_echoed() {
  new_repo
  printf 'site = "x"\n[env.dev]\ndatabase = "mysql://wp:S3cretPw@localhost/wp"\n' >.pantheon.toml
  # Listed as unusable (a warning), refused wherever it would be used, never echoed.
  expect_code 0 git pantheon env list
  assert_contains "$ERR" "contains a password"
  assert_not_contains "$ERR$OUT" "S3cretPw"
  expect_code 4 git pantheon env list --check
  assert_contains "$ERR" "contains a password"
  expect_code 4 git pantheon backup create
  assert_contains "$ERR" "contains a password"
  assert_not_contains "$ERR" "S3cretPw"
}

run_tests
