#!/usr/bin/env bash
# git pantheon restore on SQLite and the local store: back up, change, restore,
# compare; another environment; loose files; corrupt archives; undo; kills.
. "$(dirname "$0")/lib.sh"

demo_site() {
  python3 "$GP_SOURCE_DIR/scripts/make-demo-site.py" site >/dev/null
  cd site
  git pantheon init -q
  cat >>.pantheon.toml <<'TOML'

[env.test]
database = "sqlite:../test-env/db.sqlite"
files = "../test-env/files"
TOML
  git add .pantheon.toml && git commit -q -m "git-pantheon config"
}

DB=sites/default/files/.ht.sqlite
FILES=sites/default/files

# A fingerprint of a files tree: names, types, modes, link targets, contents.
tree_state() {
  # regenerable folders (left out of files archives) are not compared
  (cd "$1" && find . \( -path ./styles -o -path ./css -o -path ./js \) -prune -o -print0 | sort -z | xargs -0 -n1 sh -c '
    p=$1
    if [ -L "$p" ]; then echo "L $p -> $(readlink "$p")"
    elif [ -d "$p" ]; then echo "D $p $(stat -c %a "$p")"
    else echo "F $p $(stat -c %a "$p") $(sha256sum <"$p" | cut -c1-16)"; fi' _ | grep -v '\.ht\.sqlite')
}
db_state() { sqlite3 "$1" "SELECT count(*), total(nid), group_concat(title, '|') FROM (SELECT * FROM node ORDER BY nid)" | sha256sum; }

test_restore_brings_back_db_and_files() {
  demo_site
  before_files=$(tree_state $FILES)
  before_db=$(db_state $DB)
  git pantheon backup create -q
  # change everything: rows, files added/deleted/modified/chmod'ed, a link
  sqlite3 $DB "DELETE FROM node WHERE nid < 100; UPDATE node SET title='changed' WHERE nid=200;"
  rm $FILES/inline-images/image-2.png
  echo new >$FILES/inline-images/new.png
  echo modified >$FILES/inline-images/image-3.png
  chmod 600 $FILES/inline-images/image-4.png
  ln -sfn private $FILES/latest.png
  echo "regenerated" >$FILES/styles/thumbnail/regenerated.png
  [ "$(tree_state $FILES)" != "$before_files" ] || fail "change did not change the tree"
  expect_code 0 git pantheon restore dev@latest --yes --element db --element files
  assert_contains "$OUT" "Restored"
  assert_contains "$OUT" "safety backup pantheon/backup/dev/"
  assert_eq "$(tree_state $FILES)" "$before_files" "files not restored exactly"
  assert_eq "$(db_state $DB)" "$before_db" "database not restored exactly"
  # regenerable folders of the target are kept, not wiped
  [ -f $FILES/styles/thumbnail/regenerated.png ] || fail "regenerable folder wiped"
  # no leftovers beside the files directory
  assert_eq "$(ls -A sites/default | grep gp-new || true)" "" "temporary directory left"
  # the old tree is removed by a process of its own, after the command returned
  for _ in $(seq 50); do ls -A sites/default | grep -q gp-old || break; sleep 0.2; done
  assert_eq "$(ls -A sites/default | grep gp-old || true)" "" "old files tree not removed"
  # one left over (its remover stopped) goes with the next restore
  mkdir -p sites/default/.files.gp-old-Zz9Zz9/deep && echo x >sites/default/.files.gp-old-Zz9Zz9/deep/f
  expect_code 0 git pantheon restore dev@latest --yes --element files --no-safety-backup
  for _ in $(seq 50); do ls -A sites/default | grep -q gp-old || break; sleep 0.2; done
  assert_eq "$(ls -A sites/default | grep gp-old || true)" "" "left-over old tree not removed"
  assert_eq "$(tree_state $FILES)" "$before_files" "files not restored exactly the second time"
  # the safety backup holds the changed state
  assert_eq "$(git pantheon backup list --format=json | json_get '[b["initiator"] for b in d]')" "['safety', 'manual']"
}

test_undo_brings_back_the_pre_restore_state() {
  demo_site
  git pantheon backup create -q --element db
  sqlite3 $DB "DELETE FROM node WHERE nid > 10"
  changed=$(db_state $DB)
  git pantheon restore dev@latest --yes -q >/dev/null
  [ "$(db_state $DB)" != "$changed" ] || fail "restore did nothing"
  expect_code 0 git pantheon restore --undo --yes
  assert_eq "$(db_state $DB)" "$changed" "undo did not bring back the pre-restore state"
}

test_restore_into_another_environment_leaves_the_source_untouched() {
  demo_site
  mkdir -p ../test-env/files && echo "old test file" >../test-env/files/old.txt
  sqlite3 ../test-env/db.sqlite "CREATE TABLE node (nid INTEGER PRIMARY KEY, title TEXT); INSERT INTO node VALUES (1, 'test data');"
  git pantheon backup create -q
  dev_db=$(db_state $DB)
  dev_files=$(tree_state $FILES)
  expect_code 0 git pantheon restore dev@latest --to-env test --element db --element files --yes
  assert_eq "$(db_state ../test-env/db.sqlite)" "$dev_db" "test database is not dev's"
  assert_eq "$(tree_state ../test-env/files)" "$dev_files" "test files are not dev's"
  [ ! -e ../test-env/files/old.txt ] || fail "old test file survived"
  assert_eq "$(db_state $DB)" "$dev_db" "dev database changed"
  assert_eq "$(tree_state $FILES)" "$dev_files" "dev files changed"
  assert_eq "$(git pantheon backup list --env test --format=json | json_get 'd[0]["initiator"]')" "safety"
  # the old test content is in the safety backup
  expect_code 0 git pantheon restore --undo --to-env test --yes
  [ -f ../test-env/files/old.txt ] || fail "undo did not bring the old test files back"
  assert_eq "$(sqlite3 ../test-env/db.sqlite 'SELECT title FROM node')" "test data"
}

test_restore_from_loose_files() {
  demo_site
  git pantheon backup create -q
  mkdir loose
  git pantheon backup get --element db --to loose/dump.sql.gz >/dev/null
  git pantheon backup get --element files --to loose/whatever.tgz >/dev/null
  gzip -dc loose/dump.sql.gz | zstd -q -o loose/plain.sql.zst 2>/dev/null || gzip -dc loose/dump.sql.gz >loose/plain.sql
  want=$(db_state $DB)
  sqlite3 $DB "DELETE FROM node"
  rm -r $FILES/inline-images
  expect_code 0 git pantheon restore --from-files loose/dump.sql.gz loose/whatever.tgz --yes
  assert_eq "$(db_state $DB)" "$want"
  [ -f $FILES/inline-images/image-1.png ] || fail "files not restored from a loose archive"
  sqlite3 $DB "DELETE FROM node"
  expect_code 0 git pantheon restore --from-files loose/plain.sql* --yes --no-safety-backup
  assert_eq "$(db_state $DB)" "$want" "plain or zstd dump not restored"
}

test_corrupt_archive_is_refused_with_the_target_unchanged() {
  demo_site
  git pantheon backup create -q
  sqlite3 $DB "DELETE FROM node WHERE nid > 250"
  echo "after backup" >$FILES/after.txt
  db_before=$(sha256sum $DB)
  files_before=$(tree_state $FILES)
  f=$(ls .git/pantheon/archives/*_files.tar.gz)
  cp "$f" good.tgz
  python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//3]^=0x40; open(p,"wb").write(b)' "$f"
  expect_code 7 git pantheon restore dev@latest --yes
  assert_one_line_error "$(basename "$f")"
  assert_eq "$(sha256sum $DB)" "$db_before" "database changed despite a corrupt archive"
  assert_eq "$(tree_state $FILES)" "$files_before" "files changed despite a corrupt archive"
  cp good.tgz "$f"
  truncate -s -200 "$(ls .git/pantheon/archives/*_database.sql.gz)"
  expect_code 7 git pantheon restore dev@latest --yes
  assert_contains "$ERR" "truncated"
  assert_eq "$(sha256sum $DB)" "$db_before" "database changed despite a truncated archive"
  assert_eq "$(git pantheon backup list --format=json | json_get 'len(d)')" "1" "a safety backup was made for a refused restore"
}

# cut_dump IN OUT: dump IN's SQL cut short at a line end (its last two thirds
# dropped), gzipped again: a valid gzip stream of an incomplete dump.
cut_dump() {
  gzip -dc "$1" >"$2.sql"
  head -n $(($(wc -l <"$2.sql") / 3)) "$2.sql" | gzip -c >"$2"
  rm "$2.sql"
  gzip -t "$2" || fail "cut dump is not valid gzip"
}

test_a_dump_cut_short_is_refused_before_the_safety_backup() {
  demo_site
  git pantheon backup create -q --element db
  tag=$(git tag -l 'pantheon/backup/dev/*')
  sqlite3 $DB "DELETE FROM node WHERE nid > 250"
  db_before=$(sha256sum $DB)
  f=$(ls .git/pantheon/archives/*_database.sql.gz)
  cut_dump "$f" ../cut_database.sql.gz
  # a loose dump
  expect_code 7 git pantheon restore --from-files ../cut_database.sql.gz --yes
  assert_one_line_error "archive '$PWD/../cut_database.sql.gz'"
  assert_contains "$ERR" "cut short"
  assert_eq "$(printf '%s\n' "$ERR" | grep -c 'error:')" "1" "more than one error line"
  assert_eq "$(sha256sum $DB)" "$db_before" "database changed"
  assert_eq "$(git pantheon backup list --format=json | json_get 'len(d)')" "1" "a safety backup was made"
  # a backup whose manifest matches the cut dump (as when the dump was cut short
  # while it was written): its size and sha256 are right, its end is not
  cp ../cut_database.sql.gz "$f"
  git cat-file tag "$tag" | sed '1,/^$/d' |
    python3 -c 'import sys,hashlib,re; b=open(sys.argv[1],"rb").read(); t=sys.stdin.read()
t=re.sub(r"sha256 = .*", "sha256 = %r" % hashlib.sha256(b).hexdigest(), t); t=re.sub(r"size = .*", "size = %d" % len(b), t)
sys.stdout.write(t)' "$f" >../manifest.txt
  git tag -f -a --cleanup=verbatim -F ../manifest.txt "$tag" "$tag^{commit}" >/dev/null
  assert_eq "$(manifest "$tag" 'd["archive"][0]["size"]')" "$(stat -c %s "$f")" "forged manifest"
  expect_code 7 git pantheon restore "$tag" --yes
  assert_one_line_error "archive '$(basename "$f")'"
  assert_contains "$ERR" "cut short"
  assert_eq "$(sha256sum $DB)" "$db_before" "database changed"
  assert_eq "$(git pantheon backup list --format=json | json_get 'len(d)')" "1" "a safety backup was made"
}

test_confirmation_is_required() {
  demo_site
  git pantheon backup create -q --element db
  expect_code 2 git pantheon restore dev@latest </dev/null
  assert_contains "$ERR" "--yes"
  cat >>.pantheon.toml <<'TOML'
[env.live]
database = "sqlite:../live.sqlite"
files = "../live-files"
TOML
  expect_code 2 git pantheon restore dev@latest --to-env live --yes
  assert_contains "$ERR" "--confirm-env live"
  [ ! -e ../live.sqlite ] || fail "live was written without confirmation"
  expect_code 0 git pantheon restore dev@latest --to-env live --yes --confirm-env live --element db
  [ -s ../live.sqlite ] || fail "live not restored"
}

test_code_is_restored_into_a_branch() {
  demo_site
  git pantheon backup create -q --element code
  tag=$(git tag -l 'pantheon/backup/dev/*')
  echo change >index.php && commit_all "later work"
  head_before=$(git rev-parse HEAD)
  expect_code 0 git pantheon restore dev@latest --element code --yes
  assert_eq "$(git rev-parse "restore/${tag#pantheon/backup/}")" "$(git rev-parse "$tag^{commit}")"
  assert_eq "$(git rev-parse HEAD)" "$head_before" "the checked-out branch moved"
  assert_eq "$(git symbolic-ref --short HEAD)" "main"
}

test_kill_during_files_restore_leaves_old_or_new() {
  demo_site
  head -c 80000000 /dev/urandom >$FILES/big-old.bin
  git pantheon backup create -q --element files
  rm $FILES/big-old.bin
  echo marker >$FILES/marker.txt
  old_state=$(tree_state $FILES)
  for delay in 0.2 0.5 1.0 1.5; do
    git-pantheon restore dev@latest --yes --no-safety-backup -q >/dev/null 2>&1 &
    pid=$!
    sleep $delay
    kill -9 $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    state=$(tree_state $FILES)
    if [ "$state" != "$old_state" ]; then
      [ -f $FILES/big-old.bin ] && [ ! -e $FILES/marker.txt ] || fail "files directory is a mix after a kill at ${delay}s"
      cmp <(tar -xzOf .git/pantheon/archives/*_files.tar.gz files_dev/big-old.bin) $FILES/big-old.bin || fail "partial file"
      break
    fi
  done
  expect_code 0 git pantheon restore dev@latest --yes --no-safety-backup
  [ -f $FILES/big-old.bin ] || fail "restore after kills did not complete"
}

run_tests
