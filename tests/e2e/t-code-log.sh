#!/usr/bin/env bash
# git pantheon env code-log: the first-parent log labelled with environments.
. "$(dirname "$0")/lib.sh"

new_site_with_merges() {
  new_repo
  write_three_env_config
  commit_all "one"
  git pantheon deploy test >/dev/null
  git pantheon deploy live >/dev/null
  git checkout -q -b feature
  echo f1 >f1 && commit_all "feature one"
  echo f2 >f2 && commit_all "feature two"
  git checkout -q main
  echo m >m && commit_all "main two"
  git merge -q --no-ff -m "merge feature" feature
  git pantheon deploy test >/dev/null
  echo m3 >m3 && commit_all "main three"
}

# Dates in the user's zone (TZ), judged by git's own format-local; --utc for UTC.
test_code_log_text_labels_first_parent() {
  new_site_with_merges
  export TZ=America/New_York
  expect_code 0 git pantheon env code-log
  local subjects
  subjects=$(printf '%s\n' "$OUT" | cut -d' ' -f6-)
  assert_eq "$subjects" "$(git log --first-parent --format=%s main)"
  assert_not_contains "$OUT" "feature one"
  when() { git log -1 --format=%ad --date=format-local:'%Y-%m-%d %H:%M:%S %Z' "$1"; }
  assert_contains "$OUT" "$(git rev-parse --short HEAD~1) $(when HEAD~1) [test] merge feature"
  assert_contains "$OUT" "$(git rev-parse --short 'pantheon_live_1^{commit}') $(when pantheon_live_1) [live] one"
  assert_contains "$OUT" "$(git rev-parse --short HEAD) $(when HEAD) - main three"
  assert_contains "$OUT" " EST " || assert_contains "$OUT" " EDT "
  expect_code 0 git pantheon env code-log --utc
  assert_contains "$OUT" "$(git rev-parse --short HEAD) $(TZ=UTC git log -1 --format=%ad --date=format-local:'%Y-%m-%d %H:%M:%S' HEAD) UTC - main three"
  expect_code 0 git pantheon env code-log -n 2
  assert_eq "$(printf '%s\n' "$OUT" | wc -l)" "2"
  expect_code 0 git pantheon env code-log --env live
  assert_eq "$(printf '%s\n' "$OUT" | wc -l)" "1"
  assert_contains "$OUT" "[live] one"
}

test_code_log_json() {
  new_site_with_merges
  git pantheon deploy live >/dev/null
  expect_code 0 git pantheon env code-log --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get '" ".join(c["commit"] for c in d)')" \
    "$(git rev-list --first-parent main | tr '\n' ' ' | sed 's/ $//')"
  assert_eq "$(printf '%s' "$OUT" | json_get 'd[1]["environments"]')" "['test', 'live']"
  assert_eq "$(printf '%s' "$OUT" | json_get 'd[1]["tags"]')" "['pantheon_live_2', 'pantheon_test_2']"
  assert_eq "$(printf '%s' "$OUT" | json_get 'd[0]["environments"]')" "[]"
  assert_eq "$(printf '%s' "$OUT" | json_get 'd[3]["tags"]')" "['pantheon.initialize', 'pantheon_live_1', 'pantheon_test_1']"
  assert_eq "$(printf '%s' "$OUT" | json_get 'd[0]["author"]')" "Site Owner <owner@example.invalid>"
  assert_eq "$(printf '%s' "$OUT" | json_get 'd[0]["date"]')" "$(git log -1 --format=%aI HEAD)"
  assert_eq "$(printf '%s' "$OUT" | json_get 'd[0]["subject"]')" "main three"
  expect_code 0 git pantheon env code-log --format=json -n 1
  assert_eq "$(printf '%s' "$OUT" | json_get 'len(d)')" "1"
  expect_code 2 git pantheon env code-log -n x
}

test_env_list_shows_latest_deploy_tags() {
  new_site_with_merges
  expect_code 0 git pantheon env list --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get '[e for e in d["environments"] if e["name"]=="test"][0]["deploy_tag"]')" "pantheon_test_2"
  assert_eq "$(printf '%s' "$OUT" | json_get '[e for e in d["environments"] if e["name"]=="test"][0]["commit"]')" \
    "$(git rev-parse pantheon_test_2^{commit})"
  assert_eq "$(printf '%s' "$OUT" | json_get '[e for e in d["environments"] if e["name"]=="live"][0]["deploy_tag"]')" "pantheon_live_1"
  expect_code 0 git pantheon env list
  assert_contains "$OUT" "pantheon_test_2"
}

run_tests
