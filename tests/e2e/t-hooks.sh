#!/usr/bin/env bash
# git pantheon hooks: the hook files of hooks/ are what is installed under
# share/git-pantheon/hooks/ and what `hooks install` writes into a repository.
. "$(dirname "$0")/lib.sh"

: "${GP_SOURCE_DIR:?GP_SOURCE_DIR must point at the source tree}"
HOOKS="pre-push post-commit"
SHARE="$GP_PREFIX/share/git-pantheon/hooks"

# private_prefix DIR [with-share]: DIR/bin/git-pantheon is the installed program
# (a hard link, else a copy); with "with-share", DIR/share/git-pantheon/hooks holds
# copies of the installed hook files.
private_prefix() {
  mkdir -p "$1/bin"
  ln "$GP_PREFIX/bin/git-pantheon" "$1/bin/git-pantheon" 2>/dev/null ||
    cp "$GP_PREFIX/bin/git-pantheon" "$1/bin/git-pantheon"
  if [ "${2:-}" = with-share ]; then
    mkdir -p "$1/share/git-pantheon"
    cp -p -r "$SHARE" "$1/share/git-pantheon/hooks"
  fi
}

test_the_installed_hook_files_are_the_files_of_hooks() {
  local h
  for h in $HOOKS; do
    [ -f "$SHARE/$h" ] || fail "$SHARE/$h is not installed"
    [ -x "$SHARE/$h" ] || fail "$SHARE/$h is not executable"
    cmp "$GP_SOURCE_DIR/hooks/$h" "$SHARE/$h" || fail "installed $h differs from hooks/$h"
  done
  assert_eq "$(cd "$SHARE" && ls | sort | tr '\n' ' ')" "post-commit pre-push " "installed hook files"
}

test_hooks_install_writes_the_installed_files_byte_for_byte() {
  local h
  new_repo
  expect_code 0 git pantheon hooks install
  for h in $HOOKS; do
    cmp "$SHARE/$h" ".git/hooks/$h" || fail ".git/hooks/$h is not the installed $h"
    [ -x ".git/hooks/$h" ] || fail ".git/hooks/$h is not executable"
  done
  expect_code 0 git pantheon hooks status --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get '[(h["hook"], h["state"]) for h in d]')" \
    "[('pre-push', 'installed'), ('post-commit', 'installed')]"
}

test_hooks_install_copies_the_hook_files_beside_the_program() {
  local h
  private_prefix "$PWD/prefix" with-share
  # What a packager's patch would do: the program writes what is installed beside it.
  for h in $HOOKS; do
    printf '# patched by the packager\n' >>"$PWD/prefix/share/git-pantheon/hooks/$h"
  done
  new_repo
  expect_code 0 "$PWD/../prefix/bin/git-pantheon" hooks install
  for h in $HOOKS; do
    cmp "$PWD/../prefix/share/git-pantheon/hooks/$h" ".git/hooks/$h" || fail ".git/hooks/$h is not the file beside the program"
  done
  expect_code 0 "$PWD/../prefix/bin/git-pantheon" hooks status
  assert_contains "$OUT" "pre-push	installed"
  # The stage's program sees the difference and upgrades it back.
  expect_code 0 git pantheon hooks status
  assert_contains "$OUT" "pre-push	outdated"
  expect_code 0 git pantheon hooks install
  assert_contains "$OUT" "upgraded"
  cmp "$SHARE/pre-push" .git/hooks/pre-push || fail "not upgraded to the installed pre-push"
}

test_without_installed_hook_files_the_embedded_copy_of_hooks_is_written() {
  local h
  private_prefix "$PWD/prefix"
  new_repo
  expect_code 0 "$PWD/../prefix/bin/git-pantheon" hooks install
  for h in $HOOKS; do
    cmp "$GP_SOURCE_DIR/hooks/$h" ".git/hooks/$h" || fail ".git/hooks/$h is not hooks/$h"
  done
}

test_an_unreadable_installed_hook_file_is_an_error_naming_it() {
  private_prefix "$PWD/prefix" with-share
  # A directory where the file should be: unreadable, even for root.
  rm "$PWD/prefix/share/git-pantheon/hooks/pre-push"
  mkdir "$PWD/prefix/share/git-pantheon/hooks/pre-push"
  new_repo
  expect_code 5 "$PWD/../prefix/bin/git-pantheon" hooks install
  assert_one_line_error "share/git-pantheon/hooks/pre-push"
  [ ! -e .git/hooks/pre-push ] || fail "a hook was written"
}

test_without_git_pantheon_on_path_push_fails_and_commit_does_not() {
  new_repo
  printf 'site = "site"\n[hooks.post-commit]\nbranches = ["main"]\n' >.pantheon.toml
  commit_all "first"
  expect_code 0 git pantheon hooks install
  git init -q --bare ../remote.git
  git remote add origin ../remote.git
  local path_without
  path_without=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$GP_PREFIX/bin" | paste -sd:)
  ! PATH="$path_without" command -v git-pantheon >/dev/null || return 0  # installed elsewhere too
  echo change >>README && git add README
  expect_code 0 env PATH="$path_without" git commit -q -m "no git-pantheon"
  expect_code 1 env PATH="$path_without" git push -q origin main
  assert_contains "$ERR" "'pantheon' is not a git command"
  assert_eq "$(git ls-remote ../remote.git refs/heads/main)" "" "the push went through"
}

run_tests
