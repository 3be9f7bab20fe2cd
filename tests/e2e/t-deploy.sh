#!/usr/bin/env bash
# git pantheon deploy: annotated deploy tags as git makes them, numbering,
# "nothing to deploy", live follows test, hotfixes, worktrees, concurrency.
. "$(dirname "$0")/lib.sh"

# A site with dev, test and live (test with a worktree when $1 is given).
new_site() {
  new_repo
  echo "<?php // v1" >index.php
  write_three_env_config "${1:-}"
  commit_all "first commit"
  echo "<?php // v2" >index.php
  commit_all "second commit"
}

# The tag object with its name and tagger time blanked, to compare structures.
# Byte-exact, trailing newline included (written to a file, not through $(...)).
tag_shape() { git cat-file tag "$1" | sed -e "s/^tag $1\$/tag NAME/" -e 's/^\(tagger .*>\) [0-9]* [-+][0-9]*$/\1 TIME/'; }

test_deploy_test_writes_an_annotated_tag_like_git() {
  new_site
  expect_code 0 git pantheon deploy test
  assert_contains "$OUT" "pantheon_test_1 $(git rev-parse HEAD)"
  assert_eq "$(git cat-file -t pantheon_test_1)" "tag"
  assert_eq "$(git rev-parse pantheon_test_1^{commit})" "$(git rev-parse HEAD)"
  local body
  body=$(git cat-file -p pantheon_test_1)
  assert_contains "$body" "tagger Site Owner <owner@example.invalid>"
  assert_eq "$(git for-each-ref --format='%(contents)' refs/tags/pantheon_test_1)" "Deploy to test: second commit"
  # The same tag made by hand has exactly the same bytes but for name and time.
  git tag -a -m "Deploy to test: second commit" by_hand HEAD
  tag_shape pantheon_test_1 >ours
  tag_shape by_hand >theirs
  cmp -s ours theirs || fail "tag differs from git tag -a: $(diff ours theirs)"
  assert_eq "$(tail -c1 ours | od -An -c | tr -d ' ')" '\n' "message without final newline"
  # pantheon.initialize at the first commit of dev's first-parent history.
  assert_eq "$(git cat-file -t pantheon.initialize)" "tag"
  assert_eq "$(git rev-parse pantheon.initialize^{commit})" "$(git rev-list --first-parent --max-parents=0 main)"
  git fsck --strict --no-progress >/dev/null 2>&1 || fail "git fsck failed"
}

test_tags_work_with_describe_sort_and_push_follow_tags() {
  new_site
  git tag -d by_hand >/dev/null 2>&1 || true
  expect_code 0 git pantheon deploy test --note "Release 1"
  echo "<?php // v3" >index.php
  commit_all "third"
  assert_eq "$(git describe)" "pantheon_test_1-1-g$(git rev-parse --short HEAD)"
  git tag -a -m "by hand" pantheon_test_2
  assert_eq "$(git describe)" "pantheon_test_2"
  git tag -d pantheon_test_2 >/dev/null
  git init -q --bare ../origin.git
  git remote add origin ../origin.git
  git push -q --follow-tags origin main 2>/dev/null || fail "push failed"
  assert_eq "$(git -C ../origin.git cat-file -t pantheon_test_1)" "tag"
  assert_eq "$(git -C ../origin.git cat-file -t pantheon.initialize)" "tag"
  assert_eq "$(git -C ../origin.git for-each-ref --format='%(contents:subject)' refs/tags/pantheon_test_1)" "Release 1"
}

test_numbering_past_nine_and_with_gaps() {
  new_site
  git tag -a -m "by hand" pantheon_test_9 HEAD~1
  expect_code 0 git pantheon deploy test
  assert_contains "$OUT" "pantheon_test_10"
  assert_eq "$(git tag --sort=v:refname -l 'pantheon_test_*' | tr '\n' ' ')" "pantheon_test_9 pantheon_test_10 "
  git tag -a -m x pantheon_live_3 HEAD~1
  git tag -a -m x pantheon_live_7 HEAD~1
  expect_code 0 git pantheon deploy live
  assert_contains "$OUT" "pantheon_live_8"
  assert_eq "$(git rev-parse pantheon_live_8^{commit})" "$(git rev-parse pantheon_test_10^{commit})"
}

test_nothing_to_deploy_exits_9() {
  new_site
  expect_code 0 git pantheon deploy test
  local before
  before=$(git tag | sort)
  expect_code 9 git pantheon deploy test
  assert_one_line_error "nothing to deploy to 'test'"
  assert_eq "$(git tag | sort)" "$before" "tags changed"
}

test_live_follows_test_and_needs_it() {
  new_site
  expect_code 5 git pantheon deploy live
  assert_one_line_error "nothing has been deployed to test yet"
  assert_eq "$(git tag)" "" "a refused deploy left tags"
  expect_code 0 git pantheon deploy test
  local test_commit
  test_commit=$(git rev-parse HEAD)
  echo "<?php // v3" >index.php
  commit_all "not on test"
  expect_code 0 git pantheon deploy live
  assert_eq "$(git rev-parse pantheon_live_1^{commit})" "$test_commit" "live did not deploy test's commit"
  expect_code 9 git pantheon deploy live
  expect_code 0 git pantheon deploy test
  assert_eq "$(git rev-parse pantheon_test_2^{commit})" "$(git rev-parse HEAD)"
}

test_hotfix_from_a_branch() {
  new_site
  git pantheon deploy test >/dev/null
  git pantheon deploy live >/dev/null
  echo "<?php // unfinished" >index.php
  commit_all "unfinished work"
  expect_code 0 git pantheon checkout live -b hotfix
  echo "<?php // v2 fixed" >index.php
  commit_all "hotfix"
  local fix
  fix=$(git rev-parse HEAD)
  git checkout -q main
  expect_code 0 git pantheon deploy live --from hotfix --note "Hotfix"
  assert_eq "$(git rev-parse pantheon_live_2^{commit})" "$fix"
  assert_eq "$(git for-each-ref --format='%(contents)' refs/tags/pantheon_live_2)" "Hotfix"
  assert_eq "$(git tag -l 'pantheon_test_*')" "pantheon_test_1" "test changed"
  expect_code 5 git pantheon deploy live --from no-such-branch
  assert_one_line_error "no-such-branch"
}

test_unknown_env_dev_and_other_envs() {
  new_site
  expect_code 5 git pantheon deploy staging
  assert_one_line_error "unknown environment 'staging'"
  expect_code 5 git pantheon deploy dev
  printf '[env.qa]\ndatabase = "sqlite:db/qa.sqlite"\nfiles = "../files-qa"\n' >>.pantheon.toml
  commit_all "qa env"
  expect_code 0 git pantheon deploy qa
  assert_eq "$(git rev-parse pantheon_qa_1^{commit})" "$(git rev-parse HEAD)"
  expect_code 2 git pantheon deploy
}

test_dev_branch_from_config() {
  new_site
  git branch develop HEAD~1
  printf '[env.dev]\n' >/dev/null
  sed -i 's|^files = "files"$|files = "files"\nbranch = "develop"|' .pantheon.toml
  expect_code 0 git pantheon deploy test
  assert_eq "$(git rev-parse pantheon_test_1^{commit})" "$(git rev-parse develop)"
}

test_worktree_created_updated_and_protected() {
  new_site ../site-test
  expect_code 0 git pantheon deploy test
  assert_eq "$(git -C ../site-test rev-parse HEAD)" "$(git rev-parse pantheon_test_1^{commit})"
  git worktree list --porcelain | grep -A3 "^worktree $(cd .. && pwd)/site-test\$" | grep -qx detached ||
    fail "worktree not listed as detached: $(git worktree list)"
  [ -z "$(git branch --list 'git-pantheon-*')" ] || fail "temporary branch left: $(git branch)"
  assert_eq "$(cat ../site-test/index.php)" "<?php // v2"
  echo "<?php // v3" >index.php
  commit_all "third"
  expect_code 0 git pantheon deploy test
  assert_eq "$(git -C ../site-test rev-parse HEAD)" "$(git rev-parse HEAD)"
  assert_eq "$(cat ../site-test/index.php)" "<?php // v3"
  assert_eq "$(git -C ../site-test status --porcelain)" ""
  # Local modifications there refuse the deploy, and nothing changes.
  echo "<?php // v4" >index.php
  commit_all "fourth"
  echo "edited on the server" >>../site-test/index.php
  expect_code 5 git pantheon deploy test
  assert_one_line_error "local modifications"
  [ -z "$(git tag -l pantheon_test_3)" ] || fail "tag made despite the refusal"
  assert_contains "$(cat ../site-test/index.php)" "edited on the server"
  expect_code 0 git pantheon deploy test --force
  assert_eq "$(cat ../site-test/index.php)" "<?php // v4"
  assert_eq "$(git -C ../site-test rev-parse HEAD)" "$(git rev-parse pantheon_test_3^{commit})"
  # A folder in the way that is not a worktree is refused.
  sed -i 's|worktree = "../site-test"|worktree = "../other"|' .pantheon.toml
  commit_all "move worktree"
  mkdir ../other && echo x >../other/keep
  expect_code 5 git pantheon deploy test
  assert_one_line_error "not a worktree of this repository"
  # A worktree whose folder was removed is recreated.
  sed -i 's|worktree = "../other"|worktree = "../site-test"|' .pantheon.toml
  commit_all "back"
  rm -rf ../site-test
  expect_code 0 git pantheon deploy test
  assert_eq "$(git -C ../site-test rev-parse HEAD)" "$(git rev-parse HEAD)"
  git fsck --no-progress >/dev/null 2>&1 || fail "git fsck failed"
}

test_worktree_update_that_failed_after_tagging_is_finished_later() {
  new_site ../site-test
  git pantheon deploy test >/dev/null
  echo "new page" >page.php
  commit_all "add page"
  echo "uploaded by hand" >../site-test/page.php
  expect_code 5 git pantheon deploy test
  assert_one_line_error "deployed pantheon_test_2 but"
  assert_eq "$(git rev-parse pantheon_test_2^{commit})" "$(git rev-parse HEAD)"
  assert_eq "$(git -C ../site-test rev-parse HEAD)" "$(git rev-parse pantheon_test_1^{commit})"
  assert_eq "$(cat ../site-test/page.php)" "uploaded by hand"
  # Retrying is not "nothing to deploy": the worktree still has to move.
  expect_code 5 git pantheon deploy test
  expect_code 0 git pantheon deploy test --force
  assert_contains "$ERR" "only the worktree was moved"
  assert_eq "$(git tag -l 'pantheon_test_*' | sort | tr '\n' ' ')" "pantheon_test_1 pantheon_test_2 "
  assert_eq "$(git -C ../site-test rev-parse HEAD)" "$(git rev-parse HEAD)"
  assert_eq "$(cat ../site-test/page.php)" "new page"
  expect_code 9 git pantheon deploy test
  rm -rf ../site-test
  expect_code 0 git pantheon deploy test
  assert_eq "$(git -C ../site-test rev-parse HEAD)" "$(git rev-parse HEAD)"
  assert_eq "$(git tag -l 'pantheon_test_*' | wc -l)" "2"
}

test_concurrent_deploys_never_share_a_number() {
  new_site
  local i
  for i in 1 2 3 4 5 6; do
    git commit -q --allow-empty -m "c$i"
    git branch "b$i"
  done
  for i in 1 2 3 4 5 6; do
    git pantheon deploy test --from "b$i" >"out$i" 2>&1 &
  done
  wait
  assert_eq "$(git tag -l 'pantheon_test_*' --sort=v:refname | tr '\n' ' ')" \
    "pantheon_test_1 pantheon_test_2 pantheon_test_3 pantheon_test_4 pantheon_test_5 pantheon_test_6 "
  assert_eq "$(for t in $(git tag -l 'pantheon_test_*'); do git rev-parse "$t^{commit}"; done | sort -u | wc -l)" "6"
}

test_concurrent_deploys_of_one_commit_tag_it_once() {
  new_site
  local i codes=""
  for i in 1 2 3 4 5; do
    (
      set +e
      git pantheon deploy test >/dev/null 2>&1
      echo $? >"rc$i"
    ) &
  done
  wait
  for i in 1 2 3 4 5; do codes="$codes$(cat "rc$i")"; done
  assert_eq "$(printf '%s' "$codes" | fold -w1 | sort | tr -d '\n')" "09999" "exit codes"
  assert_eq "$(git tag -l 'pantheon_test_*')" "pantheon_test_1"
}

test_man_page_installed() {
  OUT=$(MANPAGER=cat PAGER=cat MANWIDTH=80 man git-pantheon-deploy 2>&1) || fail "man git-pantheon-deploy: $OUT"
  assert_contains "$OUT" "pantheon.initialize"
  OUT=$(MANPAGER=cat PAGER=cat MANWIDTH=80 man git-pantheon-checkout 2>&1) || fail "man git-pantheon-checkout: $OUT"
  assert_contains "$OUT" "--force"
}

test_deploy_push_sends_the_tag_to_the_remote() {
  git init -q --bare remote.git
  new_site
  git remote add origin "$PWD/../remote.git"
  expect_code 0 git pantheon deploy test --push
  assert_contains "$(git ls-remote --tags ../remote.git)" "refs/tags/pantheon_test_1"
  assert_contains "$(git ls-remote --tags ../remote.git)" "refs/tags/pantheon.initialize"
  assert_eq "$(git -C ../remote.git cat-file -t pantheon_test_1)" "tag"
  assert_eq "$(git -C ../remote.git rev-parse 'pantheon_test_1^{commit}')" "$(git rev-parse HEAD)"
  expect_code 0 git pantheon deploy live --push origin
  assert_contains "$(git ls-remote --tags ../remote.git)" "refs/tags/pantheon_live_1"
  expect_code 4 git pantheon deploy test --from HEAD~1 --push nowhere
  assert_one_line_error "no git remote named 'nowhere'"
  assert_eq "$(git tag -l 'pantheon_test_2')" "" "a deploy whose push could not happen was tagged"
}

run_tests
