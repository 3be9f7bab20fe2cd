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
  expect_code 4 git pantheon env list
  assert_contains "$ERR" "contains a password"
  assert_not_contains "$ERR" "S3cretPw"
}

run_tests
