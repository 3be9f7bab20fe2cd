#!/usr/bin/env bash
# Storage faults (test build: GP_STORAGE_FAULT, see lib/storage/fault_storage.cpp):
# a storage that flips a byte, truncates, fails every Nth call or stalls, behind
# file:// and s3:// (moto). backup verify, backup get, restore and fetch --archives
# must refuse each fault with a one-line error and the documented exit code (7 for
# damaged data, 6 for a failing storage, 130 for an interrupted stall), leaving the
# local store and the restore target as they were (sha256sum listings); a push
# through a damaging storage must leave no stored archive that differs from its
# manifest and no backup tag on the git remote.
# This file runs the file:// read and stall tests; t-storage-faults-s3.sh sources it
# for the s3:// ones, t-storage-faults-push.sh for the push tests (each file has its
# own time budget under CTest).
# needs: s3
. "$(dirname "$0")/lib.sh"
. "$GP_SERVERS/s3/env"
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY AWS_REGION=us-east-1

s3get() {  # s3get KEY FILE: the object KEY of $BUCKET, or failure when there is none
  curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" -o "$2" "$S3_ENDPOINT/$BUCKET/$1"
}

# storage_url KIND: a fresh file:// directory or s3:// bucket in URL (and ENDPOINT).
storage_url() {
  ENDPOINT=
  if [ "$1" = file ]; then
    mkdir -p "$PWD/store"
    URL="file://$PWD/store"
  else
    new_bucket
    ENDPOINT=$S3_ENDPOINT
    URL="s3://$BUCKET/site"
  fi
}

# Everything in the work tree (but .git): names, types, link targets, contents.
tree_state() {
  find . -path ./.git -prune -o -printf '%y %p %l\n' | sort
  find . -path ./.git -prune -o -type f -print0 | sort -z | xargs -0 -r sha256sum
}
# The local store's archives and temporary files, with contents.
store_state() {
  find .git/pantheon/archives .git/pantheon/tmp -type f -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum
}

# Files of the store that no backup tag vouches for: anything in tmp/, and archives
# whose sha256 no manifest records.
store_bad() {
  local shas f
  shas=$(git for-each-ref refs/tags/pantheon/backup --format='%(contents)' | grep -oE '[0-9a-f]{64}' || true)
  find .git/pantheon/tmp -type f 2>/dev/null
  for f in .git/pantheon/archives/*; do
    [ -f "$f" ] || continue
    grep -q "$(sha256sum "$f" | cut -d' ' -f1)" <<<"$shas" || echo "$f"
  done
}

FAULTS_TRIED=0
FAULTS_DETECTED=0
# under_fault SPEC CODE CMD...: runs CMD with GP_STORAGE_FAULT=SPEC, requires exit
# CODE, a one-line git-pantheon error, and the store and work tree unchanged.
under_fault() {
  local spec=$1 code=$2
  shift 2
  local before_tree before_store
  before_tree=$(tree_state)
  before_store=$(store_state)
  FAULTS_TRIED=$((FAULTS_TRIED + 1))
  GP_STORAGE_FAULT=$spec expect_code "$code" "$@"
  [ "$(printf '%s\n' "$ERR" | grep -c '^git-pantheon: error: ')" -eq 1 ] || fail "$spec: '$*': not one error line: $ERR"
  [ -z "${FAULT_LOG:-}" ] || printf '%s: %s: %s\n' "$spec" "$*" "$(printf '%s\n' "$ERR" | grep '^git-pantheon: error: ')" >>"$FAULT_LOG"
  assert_eq "$(tree_state)" "$before_tree" "$spec: '$*' changed the work tree"
  assert_eq "$(store_bad)" "" "$spec: '$*' left unverified files in the store"
  # Only a storage that lets some calls through may fill the store, with good archives.
  case $spec in
  fail-every:1 | fail-every:1@*) assert_eq "$(store_state)" "$before_store" "$spec: '$*' changed the local store" ;;
  fail-every:*) ;;
  *) assert_eq "$(store_state)" "$before_store" "$spec: '$*' changed the local store" ;;
  esac
  FAULTS_DETECTED=$((FAULTS_DETECTED + 1))
}

# A site whose one backup is pushed to KIND storage, then a clone of its remote
# (backup tags only, no archives) as the current directory: every archive must come
# from the storage.
pushed_then_cloned() {
  storage_url "$1"
  site_with_remote "$URL" "$ENDPOINT"
  git pantheon -q backup create
  TAG=$(git tag -l 'pantheon/backup/dev/*')
  git pantheon -q push
  git push -q origin main
  cd ..
  git clone -q --no-tags remote.git copy
  cd copy
  git pantheon -q fetch
  mkdir -p sites/default/files
  echo "state before the restore" >sites/default/files/marker.txt
  DBFILE=$(manifest "$TAG" "[a['file'] for a in d['archive'] if a['element']=='database'][0]")
}

read_faults() {
  pushed_then_cloned "$1"
  local spec code
  for spec in flip-byte@get truncate fail-every:1 fail-every:2; do
    case $spec in fail-every*) code=6 ;; *) code=7 ;; esac
    if [ "$spec" = fail-every:2 ]; then
      # Every other call goes through: fetch gets one archive, fails on the
      # second; verify then gets one of the two missing, fails on the other.
      under_fault "$spec" "$code" git pantheon fetch --archives
      under_fault "$spec" "$code" git pantheon backup verify --all
      break
    fi
    under_fault "$spec" "$code" git pantheon backup verify --all
    under_fault "$spec" "$code" git pantheon backup get "$TAG" --element db --to ../got.sql.gz
    [ ! -e ../got.sql.gz ] || fail "$spec: backup get left a file"
    under_fault "$spec" "$code" git pantheon restore "$TAG" --element db --element files --yes --no-safety-backup
    under_fault "$spec" "$code" git pantheon fetch --archives
    [ -z "$(store_state)" ] || fail "$spec: the store gained files: $(store_state)"
  done
  # Without a fault everything works, and nothing a fault left behind gets in the way.
  expect_code 0 git pantheon backup get "$TAG" --element db --to ../got.sql.gz
  assert_eq "$(sha256sum ../got.sql.gz | cut -d' ' -f1)" "$(manifest "$TAG" "[a['sha256'] for a in d['archive'] if a['element']=='database'][0]")"
  expect_code 0 git pantheon restore "$TAG" --element db --element files --yes --no-safety-backup
  [ ! -e sites/default/files/marker.txt ] || fail "restore did not replace the files"
  expect_code 0 git pantheon backup verify --all
  assert_contains "$OUT" "3 archives verified"
  [ -z "$(find .git/pantheon/tmp -type f)" ] || fail "tmp leftovers: $(find .git/pantheon/tmp -type f)"
  echo "# $1 read faults: detected $FAULTS_DETECTED of $FAULTS_TRIED" >&2
}

test_read_faults_file() { read_faults file; }
test_read_faults_s3() { read_faults s3; }

# stored_archives_match: every stored archive equals its manifest (file or s3).
check_storage_against_manifest() {
  local kind=$1 tag=$2 i f want got
  for i in 0 1 2; do
    f=$(manifest "$tag" "d['archive'][$i]['file']")
    want=$(manifest "$tag" "d['archive'][$i]['sha256']")
    rm -f ../check.bin
    if [ "$kind" = file ]; then
      [ ! -e "../store/$f" ] || cp "../store/$f" ../check.bin
    else
      # curl signs for itself (faster than the aws CLI, as independent of us).
      s3get "site/$f" ../check.bin || rm -f ../check.bin
    fi
    [ -e ../check.bin ] || continue
    got=$(sha256sum ../check.bin | cut -d' ' -f1)
    assert_eq "$got" "$want" "stored $f differs from its manifest"
  done
}

write_faults() {
  local kind=$1 spec code
  storage_url "$kind"
  site_with_remote "$URL" "$ENDPOINT"
  git push -q origin main
  git pantheon -q backup create
  TAG=$(git tag -l 'pantheon/backup/dev/*')
  for spec in flip-byte@put truncate@put fail-every:3; do
    case $spec in fail-every*) code=6 ;; *) code=7 ;; esac
    under_fault "$spec" "$code" git pantheon push
    assert_contains "$ERR" "cannot upload archive"
    [ "$code" = 6 ] || assert_contains "$ERR" "verification after upload failed"
    assert_eq "$(remote_backup_tags ../remote.git)" "" "$spec: a backup tag reached the remote"
    check_storage_against_manifest "$kind" "$TAG"
    # The same through git push and the pre-push hook.
    FAULTS_TRIED=$((FAULTS_TRIED + 1))
    GP_STORAGE_FAULT=$spec expect_code 1 git push --follow-tags origin main
    assert_contains "$ERR" "cannot upload archive"
    assert_eq "$(remote_backup_tags ../remote.git)" "" "$spec: a backup tag reached the remote through git push"
    check_storage_against_manifest "$kind" "$TAG"
    FAULTS_DETECTED=$((FAULTS_DETECTED + 1))
  done
  expect_code 0 git pantheon push
  assert_contains "$(remote_backup_tags ../remote.git)" "$TAG"
  check_storage_against_manifest "$kind" "$TAG"
  echo "# $kind write faults: detected $FAULTS_DETECTED of $FAULTS_TRIED" >&2
}

test_write_faults_file() { write_faults file; }
test_write_faults_s3() { write_faults s3; }

# A stalled storage is slow, not wrong: a short stall ends in a correct restore;
# a long one is cut by SIGTERM (timeout) with exit 130 and nothing changed.
stall_faults() {
  pushed_then_cloned "$1"
  local before_tree start
  before_tree=$(tree_state)
  FAULTS_TRIED=$((FAULTS_TRIED + 1))
  start=$SECONDS
  # git-pantheon itself: git would report the signal (143) for its child.
  GP_STORAGE_FAULT=stall:60 expect_code 130 timeout --preserve-status -s TERM 3 \
    "$GP_PREFIX/bin/git-pantheon" restore "$TAG" --element db --element files --yes --no-safety-backup
  [ $((SECONDS - start)) -lt 30 ] || fail "the interrupted stall took $((SECONDS - start)) s"
  [ "$(printf '%s\n' "$ERR" | grep -c '^git-pantheon: error: ')" -eq 1 ] || fail "not one error line: $ERR"
  assert_contains "$ERR" "git-pantheon: error: interrupted"
  assert_eq "$(tree_state)" "$before_tree" "an interrupted stall changed the work tree"
  [ -z "$(find .git/pantheon/archives -type f)" ] || fail "an interrupted stall published an archive"
  FAULTS_DETECTED=$((FAULTS_DETECTED + 1))
  start=$SECONDS
  GP_STORAGE_FAULT=stall:1@get expect_code 0 git pantheon backup get "$TAG" --element db --to ../got.sql.gz
  [ $((SECONDS - start)) -ge 1 ] || fail "the stall did not happen"
  assert_eq "$(sha256sum ../got.sql.gz | cut -d' ' -f1)" "$(manifest "$TAG" "[a['sha256'] for a in d['archive'] if a['element']=='database'][0]")"
  expect_code 0 git pantheon backup verify --all
  echo "# $1 stall: detected $FAULTS_DETECTED of $FAULTS_TRIED" >&2
}

test_stall_file() { stall_faults file; }
test_stall_s3() { stall_faults s3; }

test_malformed_fault_spec_is_a_config_error() {
  pushed_then_cloned file
  GP_STORAGE_FAULT=explode expect_code 4 git pantheon backup verify --all
  assert_contains "$OUT$ERR" "invalid GP_STORAGE_FAULT 'explode'"
}

GP_TEST_FILTER=${GP_TEST_FILTER:-${STORAGE_FAULTS_FILTER:-^test_(read_faults|stall)_file\$|_config_error\$}} run_tests
