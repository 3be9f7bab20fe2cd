#!/usr/bin/env bash
# git pantheon backup create/list/info/get/verify/prune on the embedded default
# (SQLite + local store), judged with git, tar, sqlite3, sha256sum and python3.
. "$(dirname "$0")/lib.sh"

# A Drupal demo site with a SQLite database, initialised, as the current directory.
demo_site() {
  python3 "$GP_SOURCE_DIR/scripts/make-demo-site.py" site >/dev/null
  cd site
  git pantheon init -q
  git add .pantheon.toml && git commit -q -m "git-pantheon config"
}

DB=sites/default/files/.ht.sqlite
FILES=sites/default/files

test_create_makes_three_archives_and_a_tag_last() {
  demo_site
  expect_code 0 git pantheon backup create
  tag=$(git tag -l 'pantheon/backup/dev/*')
  [ -n "$tag" ] || fail "no backup tag"
  assert_contains "$OUT" "Created backup $tag"
  assert_eq "$(git cat-file -t "$tag")" "tag" "backup tag not annotated"
  assert_eq "$(git rev-parse "$tag^{commit}")" "$(git rev-parse HEAD)" "tag does not point at HEAD"
  assert_eq "$(manifest "$tag" 'd["backup"]["site"]')" "site"
  assert_eq "$(manifest "$tag" 'd["backup"]["elements"]')" "['code', 'database', 'files']"
  assert_eq "$(manifest "$tag" 'd["backup"]["initiator"]')" "manual"
  stamp=${tag##*/}
  for el in code.tar.gz database.sql.gz files.tar.gz; do
    f=.git/pantheon/archives/site_dev_${stamp}_UTC_$el
    [ -f "$f" ] || fail "missing archive $f"
    assert_eq "$(stat -c %a "$f")" "600" "archive mode"
  done
  # sha256 and size in the manifest are those of the files (sha256sum as judge).
  n=$(manifest "$tag" 'len(d["archive"])')
  assert_eq "$n" "3"
  for i in 0 1 2; do
    f=$(manifest "$tag" "d['archive'][$i]['file']")
    assert_eq "$(manifest "$tag" "d['archive'][$i]['sha256']")" "$(sha256sum ".git/pantheon/archives/$f" | cut -d' ' -f1)" "sha256 of $f"
    assert_eq "$(manifest "$tag" "d['archive'][$i]['size']")" "$(stat -c %s ".git/pantheon/archives/$f")" "size of $f"
  done
  # no temporary file is left in the store
  assert_eq "$(ls -A .git/pantheon/tmp)" "" "tmp not empty"
  # the expiry is 365 days after creation by default
  python3 - "$(manifest "$tag" 'd["backup"]["created"]')" "$(manifest "$tag" 'd["backup"]["expires"]')" <<'PY'
import sys, datetime
c, e = (datetime.datetime.fromisoformat(x.replace("Z", "+00:00")) for x in sys.argv[1:])
assert (e - c).days == 365, (c, e)
PY
}

# --progress draws one line per element, redrawn in place ("\r\033[K<label>: ..."),
# each starting from zero and ending with its own figures, never the previous
# element's.
test_progress_is_one_line_per_element_with_its_own_figures() {
  demo_site
  expect_code 0 git pantheon --progress backup create
  printf '%s\n' "$ERR" | python3 -c '
import re, sys
lines = [l for l in sys.stdin.read().split("\n") if l.startswith("\r\x1b[K")]
phases = [[seg for seg in l.split("\r\x1b[K") if seg] for l in lines]
labels = [sorted({seg.split(":")[0] for seg in p}) for p in phases]
assert labels == [["code"], ["database"], ["files"]], "progress lines: %r" % lines
finals = []
for p in phases:
    assert re.fullmatch(r"[a-z]+: 0 B", p[0]), "a phase does not start at zero: %r" % p
    finals.append(p[-1].split(": ", 1)[1])
assert len(set(finals)) == 3, "an element shows another one'"'"'s figures: %r" % finals
' || fail "progress of backup create: $(printf '%s' "$ERR" | cat -A)"
}

test_files_archive_content() {
  demo_site
  mkdir -p sites/default/files/js sites/default/files/empty-folder
  chmod 0640 sites/default/files/private/report.txt
  git pantheon backup create --element files -q
  f=$(ls .git/pantheon/archives/*_files.tar.gz)
  listing=$(tar -tvzf "$f")
  names=$(tar -tzf "$f")
  while read -r n; do case "$n" in files_dev/*|files_dev) ;; *) fail "entry outside files_dev/: $n" ;; esac; done <<<"$names"
  assert_contains "$names" "files_dev/inline-images/image-1.png"
  assert_contains "$names" "files_dev/empty-folder/"
  assert_contains "$listing" "files_dev/latest.png -> inline-images/image-1.png"
  assert_not_contains "$names" "files_dev/styles" "regenerable styles/ kept"
  assert_not_contains "$names" "files_dev/css" "regenerable css/ kept"
  assert_not_contains "$names" ".ht.sqlite" "the database file is not a file of the site"
  mkdir x && tar -xzf "$f" -C x
  cmp x/files_dev/inline-images/image-7.png sites/default/files/inline-images/image-7.png
  assert_eq "$(stat -c %a x/files_dev/private/report.txt)" "640" "mode not kept"
  assert_eq "$(stat -c %Y x/files_dev/private/report.txt)" "$(stat -c %Y sites/default/files/private/report.txt)" "mtime not kept"
}

test_database_archive_loads_into_sqlite() {
  demo_site
  git pantheon backup create --element db -q
  f=$(ls .git/pantheon/archives/*_database.sql.gz)
  gzip -dc "$f" | sqlite3 restored.sqlite
  for t in node users; do
    assert_eq "$(sqlite3 restored.sqlite "SELECT count(*), total(length(quote($( [ $t = node ] && echo title || echo pass )))) FROM $t")" \
      "$(sqlite3 sites/default/files/.ht.sqlite "SELECT count(*), total(length(quote($( [ $t = node ] && echo title || echo pass )))) FROM $t")" "table $t"
  done
  assert_eq "$(sqlite3 restored.sqlite "SELECT title FROM node WHERE nid=3")" "$(sqlite3 sites/default/files/.ht.sqlite "SELECT title FROM node WHERE nid=3")"
  assert_eq "$(sqlite3 restored.sqlite "SELECT count(*) FROM recent")" "10" "view lost"
  # db and database are one element
  git pantheon backup create --element database -q
  assert_eq "$(git pantheon backup list --element db --format=json | json_get 'len(d)')" "2"
}

test_code_archive_is_a_working_clone() {
  demo_site
  git tag -a v1.0 -m "release"
  git checkout -q -b feature && echo x >feature.txt && commit_all feature && git checkout -q main
  git pantheon backup create --element code -q
  f=$(ls .git/pantheon/archives/*_code.tar.gz)
  mkdir x && tar -xzf "$f" -C x
  cd x/code_dev
  git fsck --full --strict >/dev/null 2>&1 || fail "git fsck failed in the code archive"
  assert_eq "$(git rev-parse HEAD)" "$(git -C ../.. rev-parse main)"
  assert_eq "$(git status --porcelain)" "" "code archive work tree not clean"
  assert_contains "$(git log --tags --oneline)" "Demo site"
  assert_contains "$(git tag)" "v1.0"
  assert_contains "$(git branch)" "feature"
  cmp index.php ../../index.php
}

# code_archive_head ARCHIVE: unpacks a code archive with tar, requires git fsck
# and git status to find a whole, clean clone, and prints "<branch> <commit>"
# ("HEAD <commit>" when HEAD is detached).
code_archive_head() {
  local dir top
  dir=$(mktemp -d "$PWD/../unpacked.XXXXXX")
  tar -xzf "$1" -C "$dir" || fail "tar cannot unpack $1"
  top=$(ls "$dir")
  git -C "$dir/$top" fsck --full --strict >/dev/null 2>&1 || fail "git fsck failed in $1"
  assert_eq "$(git -C "$dir/$top" status --porcelain)" "" "work tree of $1 not clean"
  assert_contains "$(git -C "$dir/$top" tag)" "pantheon_live_1" "tags missing from $1"
  assert_contains "$(git -C "$dir/$top" branch)" "main" "branches missing from $1"
  echo "$(git -C "$dir/$top" rev-parse --abbrev-ref HEAD) $(git -C "$dir/$top" rev-parse HEAD)"
}

test_code_archive_head_is_detached_at_the_deploy_commit_of_test_and_live() {
  fixture_envs_apart
  for env in dev test live; do
    expect_code 0 git pantheon backup create --env $env --element code -q
    git pantheon backup get $env@latest --element code --to ../$env-code.tar.gz >/dev/null
  done
  assert_eq "$(code_archive_head ../dev-code.tar.gz)" "main $C3" "dev's archive"
  assert_eq "$(code_archive_head ../test-code.tar.gz)" "HEAD $C2" "test's archive"
  assert_eq "$(code_archive_head ../live-code.tar.gz)" "HEAD $C1" "live's archive"
  assert_eq "$(git symbolic-ref --short HEAD) $(git rev-parse HEAD)" "main $C3" "the site's HEAD changed"
}

test_code_archive_of_test_deployed_at_dev_commit_is_detached() {
  fixture_envs_apart
  git pantheon deploy test >/dev/null 2>&1   # test now runs dev's very commit
  for env in dev test; do
    expect_code 0 git pantheon backup create --env $env --element code -q
    git pantheon backup get $env@latest --element code --to ../$env-code.tar.gz >/dev/null
  done
  assert_eq "$(code_archive_head ../test-code.tar.gz)" "HEAD $C3" "test's archive"
  assert_eq "$(code_archive_head ../dev-code.tar.gz)" "main $C3" "dev's archive"
}

test_every_element_set_of_test_and_live_restores_into_dev() {
  fixture_envs_apart
  local env set e tag label args
  for env in test live; do
    for set in all code db files code,db code,files db,files; do
      args=()
      for e in ${set//,/ }; do args+=(--element "$e"); done
      expect_code 0 git pantheon backup create --env $env "${args[@]}" -q
      tag=$(git pantheon backup list --env $env --format=json | json_get 'd[0]["tag"]')
      label=${tag#pantheon/backup/}
      sqlite3 $DB "DELETE FROM node; INSERT INTO node (nid, title) VALUES (7, 'dev before')"
      rm -rf $FILES/inline-images && mkdir $FILES/inline-images && echo dev >$FILES/inline-images/dev.png
      expect_code 0 git pantheon restore "$tag" --to-env dev --yes --no-safety-backup
      case ",$set," in *,all,* | *,db,*)
        assert_eq "$(sqlite3 $DB 'SELECT title FROM node')" "$env article" "db of $tag not in dev" ;;
      *) assert_eq "$(sqlite3 $DB 'SELECT title FROM node')" "dev before" "db changed by $tag" ;;
      esac
      case ",$set," in *,all,* | *,files,*)
        assert_eq "$(ls $FILES/inline-images)" "$env.png" "files of $tag not in dev" ;;
      *) assert_eq "$(ls $FILES/inline-images)" "dev.png" "files changed by $tag" ;;
      esac
      case ",$set," in *,all,* | *,code,*)
        want=$C2 && [ $env = test ] || want=$C1
        assert_contains "$OUT" "code is on branch restore/$label"
        assert_eq "$(git rev-parse "restore/$label")" "$want" "code of $tag" ;;
      *) ! git rev-parse -q --verify "restore/$label" >/dev/null || fail "a branch for $tag without code" ;;
      esac
      assert_eq "$(git symbolic-ref --short HEAD) $(git rev-parse HEAD)" "main $C3" "restore of $tag moved HEAD"
      assert_eq "$(git status --porcelain)" "" "restore of $tag left the work tree dirty"
    done
  done
  git fsck --strict --no-progress >/dev/null 2>&1 || fail "git fsck failed"
  expect_code 0 git pantheon backup verify --all
}

test_dirty_tree_is_announced() {
  demo_site
  echo "// local edit" >>index.php
  expect_code 0 git pantheon backup create --element code
  assert_contains "$ERR" "uncommitted changes"
  tag=$(git tag -l 'pantheon/backup/dev/*')
  assert_eq "$(manifest "$tag" 'd["backup"]["dirty"]')" "True"
}

test_list_is_newest_first_and_json() {
  demo_site
  git pantheon backup create --element db -q
  git pantheon backup create --element db -q
  git pantheon backup create --element files -q --keep-for 2w
  expect_code 0 git pantheon backup list --format=json
  printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d) == 3, d
created = [b["created"] for b in d]
assert created == sorted(created, reverse=True), created
assert len(set(b["tag"] for b in d)) == 3
assert d[0]["elements"] == ["files"], d[0]
assert all(a["local"] for b in d for a in b["archives"])
'
  expect_code 0 git pantheon backup list
  first=$(printf '%s\n' "$OUT" | sed -n 2p | cut -d' ' -f1)
  assert_eq "$first" "$(printf '%s' "$(git pantheon backup list --format=json)" | json_get 'd[0]["tag"]')"
  expect_code 0 git pantheon backup info dev@latest --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get 'd["elements"]')" "['files']"
  expect_code 0 git pantheon backup list --element code
  assert_eq "$OUT" "" "no code backups expected"
}

# Times in the user's zone (TZ) with the age beside them; --utc; JSON stays UTC.
test_list_and_info_show_local_time_and_age() {
  demo_site
  GP_TEST_NOW=2026-07-01T10:00:00Z git pantheon backup create --element db -q
  export TZ=Europe/Berlin GP_TEST_NOW=2026-07-01T13:00:30Z
  expect_code 0 git pantheon backup list
  assert_contains "$(printf '%s\n' "$OUT" | head -1)" "CREATED"
  assert_contains "$OUT" "2026-07-01 12:00:00 CEST  3 h ago"
  expect_code 0 git pantheon backup list --utc
  assert_contains "$OUT" "2026-07-01 10:00:00 UTC  3 h ago"
  expect_code 0 git pantheon backup info dev@latest
  assert_contains "$OUT" "created    2026-07-01 12:00:00 CEST (3 h ago)"
  GP_TEST_NOW=2026-07-10T13:00:00Z expect_code 0 git pantheon backup list
  assert_contains "$OUT" "9 days ago"
  expect_code 0 git pantheon env list
  assert_contains "$(printf '%s\n' "$OUT" | head -1)" "LATEST BACKUP"
  assert_contains "$(printf '%s\n' "$OUT" | grep '^dev ')" "2026-07-01 12:00:00 CEST (3 h ago)"
  expect_code 0 git pantheon env list --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get '[e["latest_backup"]["created"] for e in d["environments"] if e["name"] == "dev"][0]')" \
    "2026-07-01T10:00:00.000000Z"
  expect_code 0 git pantheon backup list --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get 'd[0]["created"]')" "2026-07-01T10:00:00.000000Z"
}

test_get_copies_verified_and_refuses_to_overwrite() {
  demo_site
  git pantheon backup create -q
  mkdir out
  expect_code 0 git pantheon backup get --element db --to out
  f=$(ls out/*_database.sql.gz)
  cmp "$f" ".git/pantheon/archives/$(basename "$f")"
  expect_code 5 git pantheon backup get --element db --to out
  assert_one_line_error "refusing to overwrite"
  expect_code 0 git pantheon backup get dev@latest --element files --to out/files.tgz
  tar -tzf out/files.tgz >/dev/null
  expect_code 0 git pantheon backup get --file "$(basename "$f")" --to out --force
  expect_code 2 git pantheon backup get
  assert_contains "$ERR" "say which archive"
  expect_code 5 git pantheon backup get live@latest --element db
}

test_verify_detects_flipped_and_truncated_archives() {
  demo_site
  git pantheon backup create -q
  expect_code 0 git pantheon backup verify --all
  assert_contains "$OUT" "3 archives verified"
  f=$(ls .git/pantheon/archives/*_files.tar.gz)
  python3 - "$f" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x01
open(p, "wb").write(b)
PY
  expect_code 7 git pantheon backup verify dev@latest
  assert_contains "$OUT" "FAILED  $(basename "$f")"
  assert_contains "$OUT" "sha256 does not match"
  d=$(ls .git/pantheon/archives/*_database.sql.gz)
  truncate -s 100 "$d"
  expect_code 7 git pantheon backup verify --all
  assert_contains "$OUT" "(truncated)"
  expect_code 7 git pantheon backup get --element db --to copy.sql.gz
  [ ! -e copy.sql.gz ] || fail "a corrupt archive was copied out"
}

test_failed_backup_leaves_no_tag_and_no_archive() {
  demo_site
  mv sites/default/files/.ht.sqlite elsewhere.sqlite
  expect_code 6 git pantheon backup create
  assert_one_line_error "database"
  assert_eq "$(git tag -l 'pantheon/backup/*')" "" "tag left behind"
  assert_eq "$(ls -A .git/pantheon/archives)" "" "archive left behind"
  assert_eq "$(ls -A .git/pantheon/tmp)" "" "temporary file left behind"
  assert_eq "$(ls -A .git/pantheon/pending 2>/dev/null)" "" "a journal of archives never written left behind"
}

test_bad_input_is_refused_with_nothing_changed() {
  demo_site
  expect_code 5 git pantheon backup create --env stage
  assert_one_line_error "unknown environment 'stage'"
  # A malformed option value is a usage error (2), the accepted forms named.
  expect_code 2 git pantheon backup create --element videos
  assert_contains "$ERR" "unknown element 'videos'"
  assert_contains "$ERR" "choose all, code, db (or database) or files"
  expect_code 2 git pantheon backup create --keep-for forever
  assert_contains "$ERR" "expected a number and a unit"
  expect_code 2 git pantheon backup create --keep-for 3x
  expect_code 2 git pantheon backup list --element videos
  expect_code 2 git pantheon backup list --format=yaml
  expect_code 2 git pantheon backup get dev@latest --element db --url --expires soon
  assert_contains "$ERR" "expected a number and a unit: s, m (minutes), h or d"
  expect_code 5 git pantheon backup info nosuch
  expect_code 5 git pantheon backup info dev@latest
  assert_contains "$ERR" "hint: make one"
  assert_eq "$(git tag -l 'pantheon/backup/*')" ""
  assert_eq "$(ls -A .git/pantheon/archives)" ""
}

test_prune_removes_only_expired_backups() {
  demo_site
  git pantheon backup create --element db -q
  old=$(git tag -l 'pantheon/backup/dev/*')
  git pantheon backup create --element db -q
  # Age the first backup by rewriting its tag with an expiry in the past (git as the tool).
  git cat-file tag "$old" | sed "s/^expires = .*/expires = '2020-01-01T00:00:00.000000Z'/" >tagobj
  git update-ref "refs/tags/$old" "$(git mktag <tagobj)"
  oldfile=$(git cat-file tag "$old" | sed -n "s/^file = '\(.*\)'/\1/p")
  touch .git/pantheon/archives/stray_orphan.tar.gz
  expect_code 0 git pantheon backup prune --dry-run
  assert_contains "$OUT" "would remove $old"
  assert_contains "$OUT" "stray_orphan.tar.gz"
  [ -f ".git/pantheon/archives/$oldfile" ] || fail "dry run removed an archive"
  expect_code 0 git pantheon backup prune
  assert_eq "$(git tag -l "$old")" "" "expired tag kept"
  [ ! -e ".git/pantheon/archives/$oldfile" ] || fail "expired archive kept"
  [ ! -e .git/pantheon/archives/stray_orphan.tar.gz ] || fail "orphan kept"
  assert_eq "$(git tag -l 'pantheon/backup/*' | wc -l)" "1"
  expect_code 0 git pantheon backup verify --all
}

test_two_backups_at_once_are_both_whole() {
  demo_site
  git pantheon backup create --element db -q &
  git pantheon backup create --element db -q &
  wait %1 || fail "first backup failed"
  wait %2 || fail "second backup failed"
  assert_eq "$(git tag -l 'pantheon/backup/dev/*' | wc -l | tr -d ' ')" "2"
  expect_code 0 git pantheon backup verify --all
}

test_kill_during_backup_leaves_nothing_and_next_run_works() {
  demo_site
  head -c 150000000 /dev/urandom >sites/default/files/big.bin
  # Kill at several moments (a run may also finish first: then its tag must be whole).
  for delay in 0.05 0.15 0.3 0.6; do
    # the program itself, not git (killing git would leave its child running)
    git-pantheon backup create --element files -q >/dev/null 2>&1 &
    pid=$!
    sleep $delay
    kill -9 $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    # Only complete archives ever become visible; every tag has its archives.
    for f in .git/pantheon/archives/*; do
      [ -e "$f" ] || continue
      tar -tzf "$f" >/dev/null || fail "a partial archive became visible after a kill at ${delay}s: $f"
    done
    git pantheon backup verify --all -q >/dev/null 2>&1 || [ -z "$(git tag -l 'pantheon/backup/*')" ] ||
      fail "a backup tag without its whole archives after a kill at ${delay}s"
  done
  rm sites/default/files/big.bin
  expect_code 0 git pantheon backup create --element files
  assert_eq "$(ls -A .git/pantheon/tmp)" "" "stale temporary files not cleaned"
  assert_eq "$(ls -A .git/pantheon/pending)" "" "journal left behind"
  # every archive left is one a tag references: untagged ones were removed
  tags=$(git tag -l 'pantheon/backup/*' | wc -l | tr -d ' ')
  assert_eq "$(ls .git/pantheon/archives | wc -l | tr -d ' ')" "$tags" "an untagged archive survived the next run"
  expect_code 0 git pantheon backup verify --all
  expect_code 0 git pantheon backup prune --dry-run
  assert_eq "$OUT" "nothing to prune"
}

test_archives_of_a_backup_killed_before_its_tag_are_removed() {
  demo_site
  git pantheon backup create --element db -q
  # What a kill between publishing and tagging leaves: a journal and an untagged archive.
  cp .git/pantheon/archives/*_database.sql.gz .git/pantheon/archives/site_dev_2000-01-01T00-00-00_UTC_database.sql.gz
  printf 'pantheon/backup/dev/2000-01-01T00-00-00\nsite_dev_2000-01-01T00-00-00_UTC_database.sql.gz\n' \
    >.git/pantheon/pending/dev_2000-01-01T00-00-00
  expect_code 0 git pantheon backup create --element db -q
  [ ! -e .git/pantheon/archives/site_dev_2000-01-01T00-00-00_UTC_database.sql.gz ] || fail "orphan kept"
  assert_eq "$(ls -A .git/pantheon/pending)" "" "journal kept"
  assert_eq "$(ls .git/pantheon/archives | wc -l | tr -d ' ')" "2"
  expect_code 0 git pantheon backup verify --all
}

run_tests
