#!/usr/bin/env bash
# The executable as a git subcommand: help, usage, typos, version, exit codes, man pages.
. "$(dirname "$0")/lib.sh"

test_help_lists_every_command() {
  expect_code 0 git pantheon -h
  for c in init backup restore import env deploy checkout help version; do assert_contains "$OUT" "   $c "; done
  expect_code 0 git pantheon help
  assert_contains "$OUT" "usage: git pantheon"
}

test_dash_h_on_a_command_prints_its_usage() {
  expect_code 0 git pantheon init -h
  assert_contains "$OUT" "usage: git pantheon init"
  expect_code 0 git pantheon help env
  assert_contains "$OUT" "git pantheon env list"
  assert_contains "$OUT" "man git-pantheon-env"
}

test_no_command_is_a_usage_error() {
  expect_code 2 git pantheon
}

test_typo_gets_a_did_you_mean_hint() {
  expect_code 2 git pantheon ivnit
  assert_one_line_error "'ivnit' is not a git-pantheon command"
  assert_contains "$ERR" "hint: the most similar command is 'init'"
  expect_code 2 git pantheon enx
  assert_contains "$ERR" "'env'"
  expect_code 2 git pantheon zzzzzzzz
  assert_not_contains "$ERR" "most similar"
}

test_unknown_option_is_a_usage_error() {
  new_repo
  expect_code 2 git pantheon init --no-such-option
  assert_one_line_error "unknown option '--no-such-option'"
  expect_code 2 git pantheon --bogus
}

test_version_names_the_libraries() {
  expect_code 0 git pantheon --version
  assert_contains "$OUT" "git-pantheon version "
  assert_contains "$OUT" "libgit2 1."
  assert_contains "$OUT" "libarchive 3."
  assert_contains "$OUT" "libcurl/7."
}

test_outside_a_repository() {
  mkdir norepo && cd norepo
  export GIT_CEILING_DIRECTORIES=$PWD/..
  expect_code 3 git pantheon env list
  assert_one_line_error "not a git repository"
}

test_dash_C_runs_elsewhere() {
  (new_repo site && git pantheon init -q)
  expect_code 0 git pantheon -C site env list --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get 'd["site"]')" "site"
  expect_code 2 git pantheon -C does-not-exist env list
}

test_git_help_opens_the_manual() {
  command -v man >/dev/null || fail "man is not installed"
  OUT=$(MANPAGER=cat PAGER=cat MANWIDTH=80 git help pantheon 2>&1) || fail "git help pantheon failed: $OUT"
  assert_contains "$OUT" "GIT-PANTHEON(1)"
  assert_contains "$OUT" "EXIT STATUS"
  OUT=$(MANPAGER=cat PAGER=cat man git-pantheon-init 2>&1) || fail "man git-pantheon-init failed: $OUT"
  assert_contains "$OUT" "set up git"
}

test_man_pages_are_clean() {
  command -v mandoc >/dev/null || fail "mandoc is not installed"
  local n=0
  for page in "$GP_PREFIX"/share/man/man1/git-pantheon*.1; do
    mandoc -T lint -W warning "$page" || fail "mandoc lint: $page"
    n=$((n + 1))
  done
  [ "$n" -ge 3 ] || fail "only $n man pages installed"
}

run_tests
