#!/usr/bin/env bash
# git pantheon push/fetch, the pre-push hook and on-demand downloads, against moto
# (S3 on loopback) and file:// storage; judged with the aws CLI, git ls-remote,
# curl and sha256sum.
# needs: s3
. "$(dirname "$0")/lib.sh"
. "$GP_SERVERS/s3/env"
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY AWS_REGION=us-east-1
AWS=/root/.pyenv/shims/aws
[ -x "$AWS" ] || AWS=aws

# A port nothing listens on (bound by the kernel, then closed).
closed_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

test_follow_tags_through_hook_uploads_every_archive() {
  new_bucket
  site_with_remote "s3://$BUCKET/site" "$S3_ENDPOINT"
  expect_code 0 git pantheon hooks status
  assert_contains "$OUT" "pre-push	installed"
  expect_code 0 git pantheon backup create
  tag=$(git tag -l 'pantheon/backup/dev/*')
  expect_code 0 git push -q --follow-tags origin main
  assert_contains "$ERR" "uploaded"
  assert_contains "$(remote_backup_tags ../remote.git)" "refs/tags/$tag"
  listing=$(awscli s3 ls "s3://$BUCKET/site/")
  for i in 0 1 2; do
    f=$(manifest "$tag" "d['archive'][$i]['file']")
    assert_contains "$listing" "$f"
    awscli s3 cp --quiet "s3://$BUCKET/site/$f" "../$f"
    assert_eq "$(sha256sum "../$f" | cut -d' ' -f1)" "$(manifest "$tag" "d['archive'][$i]['sha256']")" "sha256 of stored $f"
  done
  # A second push has nothing to upload.
  expect_code 0 git pantheon push --format=json
  assert_eq "$(echo "$OUT" | json_get 'len(d["uploaded"]), len(d["skipped"]), d["tags_pushed"]')" "(0, 3, ['$tag'])"
}

test_push_then_fetch_verify_and_restore_elsewhere() {
  new_bucket
  site_with_remote "s3://$BUCKET/p" "$S3_ENDPOINT"
  git pantheon -q backup create
  tag=$(git tag -l 'pantheon/backup/dev/*')
  expect_code 0 git pantheon push origin --format=json
  assert_eq "$(echo "$OUT" | json_get 'len(d["uploaded"]), d["tags_pushed"]')" "(3, ['$tag'])"
  git push -q origin main
  cd ..
  # fetch --archives: tags and archives, then verify passes.
  git clone -q --no-tags remote.git copy1
  cd copy1
  assert_eq "$(git tag -l 'pantheon/backup/*')" "" "clone --no-tags has no backup tag"
  expect_code 0 git pantheon fetch --archives
  assert_eq "$(git tag -l 'pantheon/backup/*')" "$tag"
  assert_eq "$(ls .git/pantheon/archives | wc -l)" "3"
  expect_code 0 git pantheon backup verify --all
  assert_contains "$OUT" "3 archives verified"
  cd ..
  # On demand: fetch only tags, then restore downloads what it needs.
  git clone -q --no-tags remote.git copy2
  cd copy2
  expect_code 0 git pantheon fetch
  [ ! -e .git/pantheon/archives ] || [ -z "$(ls .git/pantheon/archives)" ] || fail "fetch without --archives downloaded archives"
  mkdir -p sites/default/files  # the SQLite database lives inside the files directory
  expect_code 0 git pantheon restore "$tag" --element db --element files --yes --no-safety-backup
  assert_eq "$(ls .git/pantheon/archives | wc -l)" "2"
  dbfile=$(manifest "$tag" "[a['file'] for a in d['archive'] if a['element']=='database'][0]")
  assert_eq "$(sha256sum ".git/pantheon/archives/$dbfile" | cut -d' ' -f1)" \
    "$(manifest "$tag" "[a['sha256'] for a in d['archive'] if a['element']=='database'][0]")"
  # A third clone: verify downloads what it checks, from the remote named.
  cd ..
  git clone -q --no-tags remote.git copy3
  cd copy3
  git pantheon -q fetch
  expect_code 4 git pantheon backup verify --all --remote nowhere
  assert_contains "$OUT" "no storage configured for git remote 'nowhere'"
  expect_code 0 git pantheon backup verify --all --remote origin
  assert_contains "$OUT" "3 archives verified"
  assert_eq "$(ls .git/pantheon/archives | wc -l)" "3"
  cd ../copy2
  # backup get downloads the code archive on demand too.
  expect_code 0 git pantheon backup get "$tag" --element code --to ../code.tar.gz
  tar -tzf ../code.tar.gz >/dev/null || fail "code archive unreadable"
}

test_storage_failure_aborts_push_before_tags() {
  port=$(closed_port)
  site_with_remote "s3://nobucket/p" "http://127.0.0.1:$port"
  git pantheon -q backup create
  tag=$(git tag -l 'pantheon/backup/dev/*')
  expect_code 1 git push --follow-tags origin main
  assert_contains "$ERR" "push aborted"
  assert_eq "$(remote_backup_tags ../remote.git)" "" "a backup tag reached the remote"
  assert_eq "$(git ls-remote ../remote.git refs/heads/main)" "" "git sent refs despite the hook failing"
  expect_code 6 git pantheon push
  assert_one_line_error "cannot upload archive"
  assert_eq "$(remote_backup_tags ../remote.git)" "" "a backup tag reached the remote"
  # No storage for a remote: a clear config error.
  expect_code 4 git pantheon push upstream
  assert_one_line_error "no storage configured for git remote 'upstream'"
  # The escape hatch pushes without archives.
  GIT_PANTHEON_SKIP_PUSH=1 git push -q --follow-tags origin main
  assert_contains "$(remote_backup_tags ../remote.git)" "$tag"
}

test_deletion_and_plain_push_do_not_open_storage() {
  port=$(closed_port)
  site_with_remote "s3://nobucket/p" "http://127.0.0.1:$port"
  expect_code 0 git push -q origin main
  git pantheon -q backup create
  tag=$(git tag -l 'pantheon/backup/dev/*')
  GIT_PANTHEON_SKIP_PUSH=1 git push -q origin "refs/tags/$tag"
  echo change >>README.md 2>/dev/null || echo change >new.txt
  commit_all "more"
  expect_code 0 git push -q origin main
  expect_code 0 git push -q origin ":refs/tags/$tag"
  assert_eq "$(remote_backup_tags ../remote.git)" "" "deletion not pushed"
}

test_foreign_hook_is_chained_and_restored() {
  new_bucket
  site_with_remote "s3://$BUCKET/x" "$S3_ENDPOINT"
  git pantheon -q hooks uninstall
  printf '#!/bin/sh\necho "args: $*" >"%s/marker"\ncat >>"%s/marker"\n' "$PWD/.." "$PWD/.." >.git/hooks/pre-push
  chmod +x .git/hooks/pre-push
  foreign=$(cat .git/hooks/pre-push)
  expect_code 0 git pantheon hooks install
  assert_contains "$OUT" "pantheon-chained"
  git pantheon -q backup create
  tag=$(git tag -l 'pantheon/backup/dev/*')
  expect_code 0 git push -q --follow-tags origin main
  assert_contains "$(cat ../marker)" "args: origin ../remote.git"
  assert_contains "$(cat ../marker)" "refs/tags/$tag"
  assert_contains "$(awscli s3 ls "s3://$BUCKET/x/")" "database.sql.gz"
  expect_code 0 git pantheon hooks uninstall
  assert_eq "$(cat .git/hooks/pre-push)" "$foreign" "foreign hook not restored"
  [ ! -e .git/hooks/pre-push.pantheon-chained ] || fail "chained copy left behind"
}

test_file_storage_and_presign_refusal() {
  mkdir store
  site_with_remote "file://$PWD/store"
  git pantheon -q backup create
  tag=$(git tag -l 'pantheon/backup/dev/*')
  expect_code 0 git push -q --follow-tags origin main
  for i in 0 1 2; do
    f=$(manifest "$tag" "d['archive'][$i]['file']")
    assert_eq "$(sha256sum "../store/$f" | cut -d' ' -f1)" "$(manifest "$tag" "d['archive'][$i]['sha256']")" "sha256 of $f"
  done
  expect_code 5 git pantheon backup get "$tag" --element db --url
  assert_one_line_error "only s3:// storage can presign URLs"
}

test_presigned_url_downloads_with_curl() {
  new_bucket
  site_with_remote "s3://$BUCKET/u" "$S3_ENDPOINT"
  git pantheon -q backup create
  tag=$(git tag -l 'pantheon/backup/dev/*')
  expect_code 5 git pantheon backup get "$tag" --element db --url
  assert_one_line_error "is not in s3://$BUCKET/u"
  git pantheon -q push
  expect_code 0 git pantheon backup get "$tag" --element db --url --expires 10m
  url=$OUT
  assert_contains "$url" "X-Amz-Expires=600"
  curl -sf -o ../db.sql.gz "$url" || fail "curl could not download $url"
  assert_eq "$(sha256sum ../db.sql.gz | cut -d' ' -f1)" \
    "$(manifest "$tag" "[a['sha256'] for a in d['archive'] if a['element']=='database'][0]")"
}

# A download killed half-way (SIGKILL to git-pantheon) resumes in the next run with
# a range request (moto's request log shows the 206) instead of starting over, and
# the archive verifies.
test_download_resumes_after_kill() {
  new_bucket
  site_with_remote "s3://$BUCKET/r" "$S3_ENDPOINT"
  head -c $((80 * 1024 * 1024)) /dev/urandom >sites/default/files/big.bin
  git pantheon -q backup create --element files
  tag=$(git tag -l 'pantheon/backup/dev/*')
  git pantheon -q push origin
  f=$(manifest "$tag" "d['archive'][0]['file']")
  sha=$(manifest "$tag" "d['archive'][0]['sha256']")
  size=$(manifest "$tag" "d['archive'][0]['size']")
  # The multipart upload declared CRC32 part checksums: the service's checksum is
  # the CRC32 of the parts' CRC32s (8 MiB parts), not one over the whole object.
  want=$(python3 -c '
import base64, sys, zlib
crcs, n = b"", 0
with open(sys.argv[1], "rb") as f:
    while b := f.read(8 << 20):
        crcs += zlib.crc32(b).to_bytes(4, "big"); n += 1
print(base64.b64encode(zlib.crc32(crcs).to_bytes(4, "big")).decode())' ".git/pantheon/archives/$f")
  got=$(awscli s3api head-object --bucket "$BUCKET" --key "r/$f" --checksum-mode ENABLED --query ChecksumCRC32 --output text)
  assert_eq "${got%%-*}" "$want" "composite CRC32 (CRC32 of the part CRC32s) of the stored object"
  rm ".git/pantheon/archives/$f"
  part=.git/pantheon/partial/$sha-$size.part
  # git-pantheon itself (not git, which would leave its child running).
  git-pantheon -q backup get "$tag" --element files --to ../first.tar.gz 2>/dev/null &
  pid=$!
  for _ in $(seq 3000); do
    have=$(stat -c %s "$part" 2>/dev/null || echo 0)
    [ "$have" -gt $((4 * 1024 * 1024)) ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  kill -9 "$pid" 2>/dev/null || fail "the download finished before it could be killed"
  wait "$pid" 2>/dev/null || true
  have=$(stat -c %s "$part")
  [ "$have" -gt 0 ] && [ "$have" -lt "$size" ] || fail "partial download of $have bytes (of $size)"
  [ ! -e ../first.tar.gz ] || fail "a killed download left its output"
  gets_before=$(grep -c "\"GET /$BUCKET/r/$f HTTP/1.1\" 206" "$GP_SERVERS/s3/log" || true)
  # A later command (which takes the lock and empties tmp/) keeps the partial file.
  git pantheon -q backup create --element db
  [ -e "$part" ] || fail "the partial download was removed"
  expect_code 0 git pantheon --progress backup get "$tag" --element files --to ../files.tar.gz
  assert_contains "$ERR" "resuming the download of '$f' at byte"
  gets_after=$(grep -c "\"GET /$BUCKET/r/$f HTTP/1.1\" 206" "$GP_SERVERS/s3/log" || true)
  assert_eq "$((gets_after - gets_before))" "1" "moto served one range request"
  assert_eq "$(sha256sum ../files.tar.gz | cut -d' ' -f1)" "$sha" "sha256 of the resumed download"
  assert_eq "$(sha256sum ".git/pantheon/archives/$f" | cut -d' ' -f1)" "$sha" "sha256 of the stored archive"
  [ ! -e "$part" ] || fail "partial file left after the download"
  expect_code 0 git pantheon backup verify "$tag"
}

# A partial download whose bytes are wrong is discarded when the sha256 does not
# match, and the next run downloads it whole.
test_corrupt_partial_download_is_discarded() {
  new_bucket
  site_with_remote "s3://$BUCKET/c" "$S3_ENDPOINT"
  git pantheon -q backup create --element db
  tag=$(git tag -l 'pantheon/backup/dev/*')
  git pantheon -q push origin
  f=$(manifest "$tag" "d['archive'][0]['file']")
  sha=$(manifest "$tag" "d['archive'][0]['sha256']")
  size=$(manifest "$tag" "d['archive'][0]['size']")
  rm ".git/pantheon/archives/$f"
  mkdir -p .git/pantheon/partial
  head -c $((size / 2)) /dev/zero >".git/pantheon/partial/$sha-$size.part"
  expect_code 7 git pantheon backup get "$tag" --element db --to ../db.sql.gz
  assert_contains "$ERR" "differs from the expected"
  [ ! -e ".git/pantheon/partial/$sha-$size.part" ] || fail "bad partial download kept"
  expect_code 0 git pantheon backup get "$tag" --element db --to ../db.sql.gz
  assert_eq "$(sha256sum ../db.sql.gz | cut -d' ' -f1)" "$sha"
}

# A storage listing: every object's name and sha256 (file:// storage).
store_listing() { (cd "$1" && find . -path ./.gp-tmp -prune -o -type f -print0 | sort -z | xargs -0r sha256sum); }

# Another repository (a clone of the git remote without its backup tags) makes a
# backup at the same second: the same archive names, other bytes. Pushing it must
# not replace what the storage holds for the first repository's pushed tag.
test_push_refuses_a_stored_name_with_other_bytes() {
  mkdir store
  site_with_remote "file://$PWD/store"
  git push -q origin main
  export GP_TEST_NOW=2026-11-25T12:00:00Z
  git pantheon -q backup create --element db
  tag=$(git tag -l 'pantheon/backup/dev/*')
  f=$(manifest "$tag" "d['archive'][0]['file']")
  expect_code 0 git pantheon push
  cd ..
  git clone -q --no-tags remote.git other
  cd other
  git pantheon -q hooks install
  mkdir -p sites/default/files
  sqlite3 sites/default/files/.ht.sqlite "CREATE TABLE node (nid INTEGER PRIMARY KEY, title TEXT); INSERT INTO node VALUES (1, 'another site''s row');"
  git pantheon -q backup create --element db
  assert_eq "$(git tag -l 'pantheon/backup/dev/*')" "$tag" "the other repository's backup has the same name"
  before=$(store_listing ../store)
  remote_before=$(remote_backup_tags ../remote.git)
  expect_code 5 git pantheon push
  assert_one_line_error "refusing to upload archive '$f': file://"
  assert_contains "$ERR" "already holds '$f' with other content"
  assert_eq "$(store_listing ../store)" "$before" "the storage changed"
  assert_eq "$(remote_backup_tags ../remote.git)" "$remote_before" "the git remote changed"
  # The pre-push hook refuses the same way, before git would (the remote has a
  # tag of that name), and git sends nothing.
  expect_code 1 git push origin "refs/tags/$tag"
  assert_contains "$ERR" "refusing to upload archive '$f'"
  assert_eq "$(store_listing ../store)" "$before" "the storage changed (hook)"
  assert_eq "$(remote_backup_tags ../remote.git)" "$remote_before" "the git remote changed (hook)"
  # The first repository pushes again: its archives are stored already (idempotent).
  cd ../site
  expect_code 0 git pantheon push --format=json
  assert_eq "$(echo "$OUT" | json_get 'len(d["uploaded"]), d["skipped"], d["tags_pushed"]')" "(0, ['$f'], ['$tag'])"
  assert_eq "$(store_listing ../store)" "$before" "an idempotent push changed the storage"
}

# Without a stored sha256 (an object another tool wrote) an object of the right
# size is downloaded and compared: the same bytes are "already stored", other
# bytes are refused.
test_push_checks_the_bytes_of_a_stored_copy_without_checksum() {
  mkdir store
  site_with_remote "file://$PWD/store"
  git pantheon -q backup create --element db
  tag=$(git tag -l 'pantheon/backup/dev/*')
  f=$(manifest "$tag" "d['archive'][0]['file']")
  cp ".git/pantheon/archives/$f" "../store/$f"
  printf 'x' | dd of="../store/$f" bs=1 seek=40 conv=notrunc 2>/dev/null
  before=$(store_listing ../store)
  expect_code 5 git pantheon push
  assert_one_line_error "refusing to upload archive '$f'"
  assert_contains "$ERR" "of another sha256"
  assert_eq "$(store_listing ../store)" "$before" "the storage changed"
  assert_eq "$(remote_backup_tags ../remote.git)" "" "a backup tag reached the remote"
  cp ".git/pantheon/archives/$f" "../store/$f"
  expect_code 0 git pantheon push --format=json
  assert_eq "$(echo "$OUT" | json_get 'len(d["uploaded"]), len(d["skipped"])')" "(0, 1)"
  assert_contains "$(remote_backup_tags ../remote.git)" "$tag"
}

# The same on S3: an object written by another client under the archive's key.
test_push_refuses_other_bytes_in_s3() {
  new_bucket
  site_with_remote "s3://$BUCKET/n" "$S3_ENDPOINT"
  git pantheon -q backup create --element db
  tag=$(git tag -l 'pantheon/backup/dev/*')
  f=$(manifest "$tag" "d['archive'][0]['file']")
  echo "someone else's archive" >../other.gz
  awscli s3 cp --quiet ../other.gz "s3://$BUCKET/n/$f"
  expect_code 5 git pantheon push
  assert_one_line_error "refusing to upload archive '$f': s3://$BUCKET/n already holds '$f' with other content"
  awscli s3 cp --quiet "s3://$BUCKET/n/$f" ../after.gz
  cmp -s ../other.gz ../after.gz || fail "the stored object was replaced"
  assert_eq "$(remote_backup_tags ../remote.git)" "" "a backup tag reached the remote"
  # Our own bytes, stored without our sha256 metadata: checked, then skipped.
  awscli s3 cp --quiet ".git/pantheon/archives/$f" "s3://$BUCKET/n/$f"
  expect_code 0 git pantheon push --format=json
  assert_eq "$(echo "$OUT" | json_get 'len(d["uploaded"]), len(d["skipped"]), d["tags_pushed"]')" "(0, 1, ['$tag'])"
}

run_tests
