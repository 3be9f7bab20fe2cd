#!/usr/bin/env bash
# S3 transport faults: a fault-injecting proxy on loopback (tests/servers/
# fault_proxy.py) in front of moto answers 500/503/429 (with Retry-After), resets
# connections half-way through a body, or stalls. Transient faults are retried with
# backoff (single PUT, multipart parts, GET with Range resume) and the object ends
# byte-identical (aws CLI straight to moto, sha256); persistent faults fail with
# exit 6 within a bounded time, a stall is cut by the low-speed timeout
# (GIT_PANTHEON_S3_LOW_SPEED_TIME), and a failed multipart upload is aborted.
# needs: s3
. "$(dirname "$0")/lib.sh"
. "$GP_SERVERS/s3/env"
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY AWS_REGION=us-east-1
export GIT_PANTHEON_S3_BACKOFF_MS=50 GIT_PANTHEON_S3_MAX_ATTEMPTS=5 GIT_PANTHEON_S3_LOW_SPEED_TIME=2
AWS=/root/.pyenv/shims/aws
[ -x "$AWS" ] || AWS=aws
PROXY_SCRIPT="$E2E_DIR/../servers/fault_proxy.py"

# start_proxy ARGS...: a fresh proxy in front of moto; git-pantheon talks to it
# through AWS_ENDPOINT_URL_S3. Its requests are logged to $PROXY_LOG.
PROXY_PID=
start_proxy() {
  stop_proxy
  rm -f "$TMPDIR/proxy.port"
  PROXY_LOG=$TMPDIR/proxy.log
  python3 "$PROXY_SCRIPT" --upstream "$S3_ENDPOINT" --port-file "$TMPDIR/proxy.port" --log "$PROXY_LOG" "$@" \
    </dev/null >>"$TMPDIR/proxy.out" 2>&1 &
  PROXY_PID=$!
  trap stop_proxy EXIT  # each test runs in a subshell of its own
  for _ in $(seq 100); do [ -s "$TMPDIR/proxy.port" ] && break; sleep 0.1; done
  [ -s "$TMPDIR/proxy.port" ] || fail "the fault proxy did not start"
  export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$(cat "$TMPDIR/proxy.port")"
}
stop_proxy() {
  if [ -n "$PROXY_PID" ]; then
    kill "$PROXY_PID" 2>/dev/null || true
    wait "$PROXY_PID" 2>/dev/null || true
    PROXY_PID=
  fi
}
injected() { grep -c "injected-$1" "$PROXY_LOG" || true; }

# A site with a backup (its files archive ~12 MiB of random bytes when $1 is
# "big") and [storage.origin] on a fresh bucket, endpoint from the environment.
site() {
  export AWS_ENDPOINT_URL_S3=$S3_ENDPOINT  # straight to moto until a proxy starts
  new_bucket
  git init -q --bare remote.git
  python3 "$GP_SOURCE_DIR/scripts/make-demo-site.py" site >/dev/null
  [ "${1:-}" != big ] || head -c $((12 << 20)) /dev/urandom >site/sites/default/files/big.bin
  cd site
  git pantheon init -q
  printf '\n[storage.origin]\nurl = "s3://%s/p"\n' "$BUCKET" >>.pantheon.toml
  git add .pantheon.toml && git commit -q -m "git-pantheon config"
  git remote add origin ../remote.git
  git pantheon -q backup create
  TAG=$(git tag -l 'pantheon/backup/dev/*')
}

# Every archive of $TAG is in the bucket, byte-identical to its manifest.
check_stored() {
  local i f
  for i in 0 1 2; do
    f=$(manifest "$TAG" "d['archive'][$i]['file']")
    rm -f ../check.bin
    curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" -o ../check.bin \
      "$S3_ENDPOINT/$BUCKET/p/$f" || fail "$f is not stored"
    assert_eq "$(sha256sum ../check.bin | cut -d' ' -f1)" "$(manifest "$TAG" "d['archive'][$i]['sha256']")" "stored $f"
  done
}
no_multipart_left() {
  local left
  left=$(awscli s3api list-multipart-uploads --bucket "$BUCKET" --output json | python3 -c 'import json,sys; t=sys.stdin.read().strip(); print(len(json.loads(t).get("Uploads") or []) if t else 0)')
  assert_eq "$left" "0" "multipart uploads left in the bucket"
}
# Exactly one error line (progress lines aside), holding $1.
one_error_line() {
  local lines
  lines=$(printf '%s\n' "$ERR" | grep '^git-pantheon: error: ' || true)
  [ "$(printf '%s' "$lines" | grep -c .)" -eq 1 ] || fail "not one error line: $ERR"
  assert_contains "$lines" "$1"
}

test_single_put_retries_5xx_and_429_with_retry_after() {
  site
  start_proxy --fault status:503 --first 2 --method PUT
  expect_code 0 git pantheon push
  assert_eq "$(injected 503)" "2"
  check_stored
  # 429 with Retry-After: 1 is honoured although the backoff is 50 ms.
  git pantheon -q backup create
  TAG=$(git tag -l 'pantheon/backup/dev/*' | tail -n1)
  start_proxy --fault status:429 --first 1 --method PUT --retry-after 1
  expect_code 0 git pantheon push
  assert_eq "$(injected 429)" "1"
  gap=$(awk '/injected-429/ {t=$1; next} t && $2=="PUT" {print $1-t; exit}' "$PROXY_LOG")
  python3 -c "import sys; sys.exit(0 if float('$gap') >= 0.95 else 1)" || fail "retried $gap s after a Retry-After: 1"
  check_stored
}

test_single_put_survives_a_reset_mid_body() {
  site
  start_proxy --fault reset --first 2 --method PUT
  expect_code 0 git pantheon push
  assert_eq "$(injected reset)" "2"
  check_stored
}

test_multipart_retries_failed_and_reset_parts() {
  site big
  export GIT_PANTHEON_S3_MULTIPART_THRESHOLD=$((6 << 20)) GIT_PANTHEON_S3_PART_SIZE=$((5 << 20))
  start_proxy --fault status:500 --every 2 --method PUT --path-contains partNumber
  expect_code 0 git pantheon push
  [ "$(injected 500)" -ge 1 ] || fail "no part failed"
  [ "$(grep -c 'partNumber=3' "$PROXY_LOG")" -ge 1 ] || fail "not a 3-part upload: $(cat "$PROXY_LOG")"
  check_stored
  no_multipart_left
  # Parts reset half-way through their body.
  awscli s3 rm --quiet --recursive "s3://$BUCKET/p/"
  start_proxy --fault reset --first 2 --method PUT --path-contains partNumber
  expect_code 0 git pantheon push
  assert_eq "$(injected reset)" "2"
  check_stored
  no_multipart_left
}

test_get_retries_5xx_reset_and_stall() {
  site
  git pantheon -q push
  db=$(manifest "$TAG" "[a['file'] for a in d['archive'] if a['element']=='database'][0]")
  want=$(manifest "$TAG" "[a['sha256'] for a in d['archive'] if a['element']=='database'][0]")
  for fault in "status:503 --first 2" "status:429 --first 1 --retry-after 1" "reset --first 2" "stall:60 --first 1"; do
    rm -f .git/pantheon/archives/* ../got.sql.gz
    # shellcheck disable=SC2086
    start_proxy --method GET --fault $fault
    start=$SECONDS
    expect_code 0 git pantheon backup get "$TAG" --element db --to ../got.sql.gz
    [ $((SECONDS - start)) -lt 20 ] || fail "$fault: the download took $((SECONDS - start)) s"
    [ "$(grep -c 'injected-' "$PROXY_LOG")" -ge 1 ] || fail "$fault: no fault was injected"
    assert_eq "$(sha256sum ../got.sql.gz | cut -d' ' -f1)" "$want" "$fault: downloaded $db"
  done
  [ -z "$(find .git/pantheon/tmp -type f)" ] || fail "tmp leftovers"
}

test_persistent_faults_fail_with_exit_6_in_bounded_time() {
  site
  # Bounded: 3 attempts, each cut after 2 s below 1 KiB/s when stalled (slack for
  # a loaded machine).
  export GIT_PANTHEON_S3_MAX_ATTEMPTS=3
  for fault in "status:503" "status:500 --method PUT" "reset --method PUT" "stall:60 --method PUT"; do
    # shellcheck disable=SC2086
    start_proxy --always --fault $fault
    start=$SECONDS
    expect_code 6 git pantheon push
    [ $((SECONDS - start)) -lt 60 ] || fail "$fault: failing took $((SECONDS - start)) s"
    one_error_line "cannot upload archive"
    assert_eq "$(remote_backup_tags ../remote.git)" "" "$fault: a backup tag reached the remote"
  done
  assert_contains "$ERR" "too slow"  # the stall: cut by the low-speed timeout
}

test_failed_multipart_upload_is_aborted() {
  site big
  export GIT_PANTHEON_S3_MULTIPART_THRESHOLD=$((6 << 20)) GIT_PANTHEON_S3_PART_SIZE=$((5 << 20))
  for fault in "status:500" "reset" "stall:60"; do
    # shellcheck disable=SC2086
    start_proxy --always --method PUT --path-contains partNumber --fault $fault
    start=$SECONDS
    expect_code 6 git pantheon push
    [ $((SECONDS - start)) -lt 60 ] || fail "$fault: failing took $((SECONDS - start)) s"
    one_error_line "cannot upload archive"
    grep -q 'POST .*uploads' "$PROXY_LOG" || fail "$fault: no multipart upload was started"
    grep -q 'DELETE .*uploadId=.* 204' "$PROXY_LOG" || fail "$fault: the upload was not aborted: $(cat "$PROXY_LOG")"
    no_multipart_left
    assert_eq "$(remote_backup_tags ../remote.git)" "" "$fault: a backup tag reached the remote"
  done
}

run_tests
