#!/usr/bin/env bash
# The downloader (lib/net) through `import code --squash <URL>`: the commit's
# Archive-sha256 trailer is the sha256 of the file as downloaded, compared with
# sha256sum of the served file. A local Python server on loopback drops
# connections, ignores ranges, fails once, refuses an expired signed URL, 404s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/http.sh"
export GIT_PANTHEON_DOWNLOAD_BACKOFF_MS=50

setup() {
  mkdir served
  mkdir -p src/app
  head -c 3000000 /dev/urandom >src/app/blob.bin
  echo '<?php // index' >src/app/index.php
  tar -czf served/release.tar.gz -C src app
  WANT=$(sha256sum served/release.tar.gz | cut -d' ' -f1)
  start_http "$PWD/served"
  new_repo site
  echo first >README && commit_all first
}

archive_sha() { git log -1 --format=%B | sed -n 's/^Archive-sha256: //p'; }

test_plain_download_and_redirect() {
  setup
  expect_code 0 git pantheon import code "$HTTP_URL/redirect/release.tar.gz?X-Amz-Signature=SECRET" --squash
  assert_eq "$(archive_sha)" "$WANT" "downloaded file differs"
  assert_eq "$(git ls-tree --name-only HEAD | sort | tr '\n' ' ')" "blob.bin index.php " "tree"
  git fsck --strict 2>&1 | grep -v '^dangling' | grep . && fail "fsck"
  # the downloaded copy is gone from the store's tmp/
  assert_eq "$(ls -A .git/pantheon/tmp)" "" "download left in tmp"
  true
}

test_resume_after_dropped_connection() {
  setup
  expect_code 0 git pantheon import code "$HTTP_URL/drop/release.tar.gz" --squash
  assert_eq "$(archive_sha)" "$WANT" "resumed download differs"
  # the second request asked only for the rest
  assert_eq "$(grep -c '"path": "/drop/release.tar.gz"' ../http.log)" "2"
  grep '"range": "bytes=1500' ../http.log >/dev/null || fail "no Range request for the rest: $(cat ../http.log)"
}

test_restart_when_server_ignores_range() {
  setup
  expect_code 0 git pantheon import code "$HTTP_URL/norange/release.tar.gz" --squash
  assert_eq "$(archive_sha)" "$WANT" "restarted download differs (the half was kept twice?)"
  grep '"range": "bytes=' ../http.log >/dev/null || fail "no Range request was tried"
}

test_retry_after_500() {
  setup
  expect_code 0 git pantheon import code "$HTTP_URL/flaky/release.tar.gz" --squash
  assert_eq "$(archive_sha)" "$WANT"
  assert_eq "$(grep -c flaky ../http.log)" "2"
}

test_expired_signed_url() {
  setup
  head_before=$(git rev-parse HEAD)
  expect_code 5 git pantheon import code "$HTTP_URL/expired/release.tar.gz?X-Amz-Signature=TOPSECRET&X-Amz-Expires=60" --squash
  assert_one_line_error "the URL has expired or is not allowed"
  assert_not_contains "$ERR" "TOPSECRET" "signature leaked into the message"
  assert_contains "$ERR" "/expired/release.tar.gz?..."
  assert_eq "$(git rev-parse HEAD)" "$head_before"
  # not retried: an expired link does not come back
  assert_eq "$(grep -c expired ../http.log)" "1"
}

# A web page where an archive was asked for (a share or login page, an expired
# link served as octet-stream): refused at its first bytes, once, with a hint;
# nothing written, nothing committed.
test_web_pages_are_refused_before_anything_is_written() {
  setup
  head_before=$(git rev-parse HEAD)
  for mode in page sniff; do
    expect_code 5 git pantheon import code "$HTTP_URL/$mode/release.tar.gz?token=T0KEN" --squash
    assert_one_line_error "the server answered with a web page"
    assert_contains "$ERR" "hint: a share, login or expired-link page"
    assert_not_contains "$ERR" "T0KEN"
    assert_eq "$(grep -c "/$mode/" ../http.log)" "1" "a web page was retried"
  done
  assert_contains "$ERR" "/sniff/release.tar.gz?..."
  assert_eq "$(git rev-parse HEAD)" "$head_before"
  assert_eq "$(ls -A .git/pantheon/tmp 2>/dev/null)" "" "something was left in tmp"
}

test_not_found() {
  setup
  expect_code 5 git pantheon import code "$HTTP_URL/missing/release.tar.gz?sig=S3CRET" --squash
  assert_one_line_error "not found"
  assert_not_contains "$ERR" "S3CRET"
}

test_server_gone_is_a_remote_failure_after_bounded_retries() {
  setup
  kill $HTTP_PID
  wait $HTTP_PID 2>/dev/null || true
  expect_code 6 git pantheon import code "$HTTP_URL/ok/release.tar.gz" --squash
  assert_contains "$ERR" "after 6 attempts"
}

run_tests
