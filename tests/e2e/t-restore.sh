#!/usr/bin/env bash
# git pantheon restore on SQLite and the local store: back up, change, restore,
# compare; another environment; loose files; corrupt archives; undo; kills.
. "$(dirname "$0")/lib.sh"

demo_site() {
  python3 "$GP_SOURCE_DIR/scripts/make-demo-site.py" site >/dev/null
  cd site
  git pantheon init -q
  env_content test "sqlite:../test-env/db.sqlite" "../test-env/files"
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
  # no leftovers beside the files directory or in the store (staged there: same file system)
  assert_eq "$(ls -A sites/default .git/pantheon/tmp | grep gp-new || true)" "" "temporary directory left"
  # the old tree is removed by a process of its own, after the command returned
  for _ in $(seq 50); do ls -A sites/default .git/pantheon/trash | grep -q gp-old || break; sleep 0.2; done
  assert_eq "$(ls -A sites/default .git/pantheon/trash | grep gp-old || true)" "" "old files tree not removed"
  # ones left over (their remover stopped; beside: an older version's) go with the next restore
  mkdir -p sites/default/.files.gp-old-Zz9Zz9/deep .git/pantheon/trash/files.gp-old-Yy8Yy8/deep
  echo x >sites/default/.files.gp-old-Zz9Zz9/deep/f && echo x >.git/pantheon/trash/files.gp-old-Yy8Yy8/deep/f
  expect_code 0 git pantheon restore dev@latest --yes --element files --no-safety-backup
  for _ in $(seq 50); do ls -A sites/default .git/pantheon/trash | grep -q gp-old || break; sleep 0.2; done
  assert_eq "$(ls -A sites/default .git/pantheon/trash | grep gp-old || true)" "" "left-over old tree not removed"
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

# A backup of an environment .pantheon.toml does not declare: the hint says so,
# and following it (declare it, back it up) gets the restore through.
test_unknown_environment_hint_leads_somewhere() {
  demo_site
  expect_code 5 git pantheon restore stage@latest --yes
  assert_one_line_error "no backup matches 'stage@latest'"
  assert_contains "$ERR" "hint: there is no environment 'stage' in .pantheon.toml"
  assert_contains "$ERR" "add [env.stage]"
  expect_code 5 git pantheon backup info stage@latest
  assert_contains "$ERR" "there is no environment 'stage'"
  mkdir -p ../stage-env/files && echo staged >../stage-env/files/s.txt
  sqlite3 ../stage-env/db.sqlite "CREATE TABLE t(x); INSERT INTO t VALUES('stage');"
  printf '\n[env.stage]\ndatabase = "sqlite:../stage-env/db.sqlite"\nfiles = "../stage-env/files"\n' >>.pantheon.toml
  expect_code 0 git pantheon backup create --env stage
  sqlite3 ../stage-env/db.sqlite "DELETE FROM t"
  expect_code 0 git pantheon restore stage@latest --element db --yes --no-safety-backup
  assert_eq "$(sqlite3 ../stage-env/db.sqlite 'SELECT x FROM t')" "stage"
}

# Step lines are progress: not on stderr when it is not a terminal (scripts that
# treat stderr as failure see nothing), shown with --progress, gone with -q.
test_step_lines_only_where_progress_is_shown() {
  demo_site
  git pantheon backup create -q
  expect_code 0 git pantheon restore dev@latest --element db --yes
  assert_not_contains "$ERR" "making a safety backup"
  assert_eq "$ERR" "" "stderr of a restore that worked, not a terminal"
  expect_code 0 git pantheon --progress restore dev@latest --element db --yes
  assert_contains "$ERR" "making a safety backup of dev"
  expect_code 0 git pantheon -q --progress restore dev@latest --element db --yes
  assert_not_contains "$ERR" "making a safety backup"
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
  # A file named without --from-files is taken as one (and said so).
  sqlite3 $DB "DELETE FROM node"
  expect_code 0 git pantheon --progress restore loose/dump.sql.gz --yes --no-safety-backup
  assert_contains "$ERR" "'loose/dump.sql.gz' is a file: restoring it as an archive"
  assert_eq "$(db_state $DB)" "$want" "a file operand was not restored"
  # A name that says nothing: --element says what it holds; without it, one line
  # naming the way out, and that way works; a *_files.zip is known by its name.
  tar -czf loose/export.bin -C $FILES .
  rm -r $FILES/inline-images
  expect_code 5 git pantheon restore --from-files loose/export.bin --yes --no-safety-backup
  assert_one_line_error "cannot restore archive '"
  assert_contains "$ERR" "--element code|db|files"
  expect_code 0 git pantheon restore --from-files loose/export.bin --element files --yes --no-safety-backup
  [ -f $FILES/inline-images/image-1.png ] || fail "--element files did not restore the files"
  mkdir zipped && (cd zipped && tar -xzf ../loose/whatever.tgz && zip -qr ../loose/site_live_files.zip .)
  rm -r $FILES/inline-images
  expect_code 0 git pantheon restore loose/site_live_files.zip --yes --no-safety-backup
  [ -f $FILES/inline-images/image-1.png ] || fail "a *_files.zip was not restored"
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
  # a loose dump whose gzip stream is cut: "<what> '<subject>': <cause>"
  head -c -200 "$f" >../trunc_database.sql.gz
  expect_code 7 git pantheon restore --from-files ../trunc_database.sql.gz --yes
  assert_one_line_error "cannot read '"
  assert_contains "$ERR" "trunc_database.sql.gz': truncated gzip stream"
  assert_eq "$(sha256sum $DB)" "$db_before" "database changed"
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
  env_content live "sqlite:../live.sqlite" "../live-files"
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

# git's view of the work tree: what status shows, then what `git add -A` would
# stage (in a throw-away index, so the real one is not touched).
git_view() {
  git status --porcelain --ignored=no
  cp "$(git rev-parse --git-path index)" ../view-index
  GIT_INDEX_FILE=../view-index git add -A
  GIT_INDEX_FILE=../view-index git diff --cached --name-status
  rm -f ../view-index
}

test_git_never_sees_what_a_restore_keeps_beside_the_files() {
  demo_site
  # dev's database in a tracked folder, as many sites have it (db/ tracked, *.sqlite ignored)
  mkdir db && touch db/.gitkeep && printf '*.sqlite\n' >db/.gitignore
  sed -i 's|^database = "sqlite:sites/default/files/.ht.sqlite"|database = "sqlite:db/dev.sqlite"|' .pantheon.toml
  grep -q '^database = "sqlite:db/dev.sqlite"' .pantheon.toml || fail "config not changed"
  cp $DB db/dev.sqlite
  commit_all "database in db/"
  head -c 3000000 /dev/urandom >$FILES/big.bin
  git pantheon backup create -q --element db --element files
  tag=$(git tag -l 'pantheon/backup/dev/*')
  echo later >$FILES/later.txt
  clean=$(git_view)
  assert_eq "$clean" "" "the site is not clean to begin with"
  # killed while the new tree is extracted, and while the database file is loaded
  for point in restore.files.entry:2 db.sqlite.loaded:1; do
    GP_FAULT_FILTER=${point%:*} GP_FAULT_KILL_AT=${point#*:} git pantheon restore "$tag" --yes --no-safety-backup -q >/dev/null 2>&1 &&
      fail "the restore was not killed at $point"
    assert_eq "$(git_view)" "" "git sees what a restore killed at $point left"
  done
  # right after a restore whose remover of the old tree has not run yet
  mkdir ../stopped-rm && printf '#!/bin/sh\nexit 0\n' >../stopped-rm/rm && chmod +x ../stopped-rm/rm
  PATH="$PWD/../stopped-rm:$PATH" expect_code 0 git pantheon restore "$tag" --yes --no-safety-backup
  [ ! -e $FILES/later.txt ] || fail "files not restored"
  assert_eq "$(git_view)" "" "git sees what a restore left beside the files"
  # the next restore removes what was left
  expect_code 0 git pantheon restore "$tag" --yes --no-safety-backup
  for _ in $(seq 50); do [ -z "$(ls -A .git/pantheon/trash 2>/dev/null)" ] && break; sleep 0.2; done
  assert_eq "$(ls -A .git/pantheon/trash .git/pantheon/tmp sites/default db | grep gp- || true)" "" "left behind"
  assert_eq "$(git_view)" "" "git sees something after the last restore"
}

# A directory on a file system other than the test directory's (/dev/shm), in $SHM,
# removed when the test ends; the test is skipped without one.
other_fs_dir() {
  [ -d /dev/shm ] && [ "$(stat -c %d /dev/shm)" != "$(stat -c %d .)" ] || { echo "skipped: no second file system"; return 1; }
  SHM=$(mktemp -d /dev/shm/gp-e2e.XXXXXX)
  trap 'rm -rf "$SHM"' EXIT
}

test_staging_on_another_file_system_than_the_store() {
  other_fs_dir || return 0
  # The work tree here, its git directory (and so the store) on the other file
  # system: the files directory cannot be staged in the store.
  python3 "$GP_SOURCE_DIR/scripts/make-demo-site.py" site >/dev/null
  mv site/.git "$SHM/site.git" && echo "gitdir: $SHM/site.git" >site/.git
  git -C site config core.worktree "$PWD/site"
  cd site
  [ -f .git ] && [ "$(stat -c %d "$(git rev-parse --git-common-dir)")" != "$(stat -c %d .)" ] || fail "git dir not moved"
  git pantheon init -q
  # test: files and database outside the work tree, on the other file system
  env_content test "sqlite:$SHM/test.sqlite" "$SHM/test-files"
  commit_all "git-pantheon config"
  head -c 2000000 /dev/urandom >$FILES/big.bin
  mkdir "$SHM/test-files" && echo old >"$SHM/test-files/old.txt"
  git pantheon backup create -q --element db --element files
  tag=$(git tag -l 'pantheon/backup/dev/*')
  echo later >$FILES/later.txt
  assert_eq "$(git_view)" "" "the site is not clean to begin with"
  GP_FAULT_FILTER=restore.files.entry GP_FAULT_KILL_AT=2 git pantheon restore "$tag" --yes --no-safety-backup -q \
    >/dev/null 2>&1 && fail "the restore was not killed"
  assert_eq "$(git_view)" "" "git sees what a killed restore left in the work tree"
  grep -q "git-pantheon" "$SHM/site.git/info/exclude" || fail "the work tree was not told to ignore the staged tree"
  mkdir ../stopped-rm && printf '#!/bin/sh\nexit 0\n' >../stopped-rm/rm && chmod +x ../stopped-rm/rm
  PATH="$PWD/../stopped-rm:$PATH" expect_code 0 git pantheon restore "$tag" --yes --no-safety-backup
  [ ! -e $FILES/later.txt ] && [ -f $FILES/big.bin ] || fail "dev's files not restored"
  assert_eq "$(git_view)" "" "git sees what a restore left beside the files"
  # into test: beside its files directory (outside any work tree, on its own file system)
  expect_code 0 git pantheon restore "$tag" --to-env test --yes --no-safety-backup
  [ -f "$SHM/test-files/big.bin" ] && [ ! -e "$SHM/test-files/old.txt" ] || fail "test's files not restored"
  # the next restore of dev removes the old tree the stopped remover left
  expect_code 0 git pantheon restore "$tag" --yes --no-safety-backup
  assert_eq "$(git_view)" "" "git sees something after the last restore"
  for _ in $(seq 50); do { ls -A "$SHM"; ls -A sites/default; } | grep -q gp- || break; sleep 0.2; done
  assert_eq "$({ ls -A "$SHM"; ls -A sites/default; } | grep gp- || true)" "" "left behind"
}

# Everything a restore into dev may change, and what it must not.
site_state() {
  { sha256sum $DB; tree_state $FILES; git for-each-ref; git status --porcelain; git rev-parse HEAD;
    git pantheon backup list --format=json | json_get 'len(d)'; ls -A .git/pantheon/tmp; } | sha256sum
}

test_loose_code_archive_is_restored_into_a_branch_and_checked_first() {
  # another site's code archive: a whole repository with history this one lacks
  python3 "$GP_SOURCE_DIR/scripts/make-demo-site.py" other >/dev/null
  (cd other && git pantheon init -q && git add -A && git commit -q -m "other's config" && git tag -a -m r1 release-1 &&
    echo "// other" >>index.php && git commit -q -am "other's work" && git pantheon backup create -q --element code &&
    git pantheon backup get dev@latest --element code --to .. >/dev/null)
  code=$(ls "$PWD"/other_*_code.tar.gz)
  stamp=$(basename "$code" | sed 's/^other_dev_\(.*\)_UTC_code.tar.gz$/\1/')
  other_head=$(git -C other rev-parse HEAD)
  demo_site
  git pantheon backup create -q --element db --element files
  git pantheon backup get dev@latest --element db --to ../db.sql.gz >/dev/null
  git pantheon backup get dev@latest --element files --to ../files.tar.gz >/dev/null
  sqlite3 $DB "DELETE FROM node WHERE nid > 100"
  echo later >$FILES/later.txt
  tags=$(git tag -l | grep -v '^pantheon/backup/' || true)
  # refusals first: each changes nothing and makes no safety backup
  before=$(site_state)
  mkdir -p ../nogit/code_dev && echo x >../nogit/code_dev/index.php
  tar -C ../nogit -czf ../nogit_dev_2026-01-01T00-00-00_UTC_code.tar.gz code_dev
  expect_code 5 git pantheon restore --from-files ../nogit_dev_2026-01-01T00-00-00_UTC_code.tar.gz ../db.sql.gz ../files.tar.gz --yes
  assert_one_line_error "nogit_dev_2026-01-01T00-00-00_UTC_code.tar.gz"
  assert_eq "$(site_state)" "$before" "a code archive without .git changed something"
  head -c $(($(stat -c %s "$code") / 2)) "$code" >../cut_dev_2026-01-01T00-00-00_UTC_code.tar.gz
  expect_code 7 git pantheon restore --from-files ../cut_dev_2026-01-01T00-00-00_UTC_code.tar.gz ../db.sql.gz ../files.tar.gz --yes
  assert_one_line_error "cut_dev_2026-01-01T00-00-00_UTC_code.tar.gz"
  assert_eq "$(site_state)" "$before" "a truncated code archive changed something"
  fixture_shallow_clone ../shallow-src ../shallow_dev_2026-01-01T00-00-00_UTC_code >/dev/null 2>&1
  tar -C .. -czf ../shallow_dev_2026-01-01T00-00-00_UTC_code.tar.gz shallow_dev_2026-01-01T00-00-00_UTC_code
  expect_code 5 git pantheon restore --from-files ../shallow_dev_2026-01-01T00-00-00_UTC_code.tar.gz ../db.sql.gz --yes
  assert_one_line_error "shallow"
  assert_eq "$(site_state)" "$before" "a shallow code archive changed something"
  mkdir ../broken && tar -C ../broken -xzf "$code" && rm -f ../broken/code_dev/.git/objects/pack/*
  tar -C ../broken -czf ../broken_dev_2026-01-01T00-00-00_UTC_code.tar.gz code_dev
  expect_code 7 git pantheon restore --from-files ../broken_dev_2026-01-01T00-00-00_UTC_code.tar.gz ../db.sql.gz --yes
  assert_one_line_error "broken_dev_2026-01-01T00-00-00_UTC_code.tar.gz"
  assert_eq "$(site_state)" "$before" "a code archive without objects changed something"
  git branch "restore/dev/$stamp" HEAD
  before=$(site_state)
  expect_code 5 git pantheon restore --from-files "$code" ../db.sql.gz ../files.tar.gz --yes
  assert_one_line_error "restore/dev/$stamp"
  assert_eq "$(site_state)" "$before" "a branch in the way changed something"
  git branch -D -q "restore/dev/$stamp"
  # the three parts: db and files replaced, the code on a new branch
  expect_code 0 git pantheon restore --from-files "$code" ../db.sql.gz ../files.tar.gz --to-env dev --yes
  assert_contains "$OUT" "code is on branch restore/dev/$stamp"
  assert_eq "$(git rev-parse "restore/dev/$stamp")" "$other_head" "branch not at the archive's HEAD"
  assert_eq "$(git symbolic-ref --short HEAD)" "main" "HEAD moved"
  [ ! -e $FILES/later.txt ] || fail "files not restored"
  assert_eq "$(sqlite3 $DB 'SELECT count(*) FROM node')" "500" "database not restored"
  assert_eq "$(git tag -l | grep -v '^pantheon/backup/' || true)" "$tags" "the archive's tags were imported"
  assert_eq "$(git for-each-ref refs/pantheon-restore)" "" "temporary refs left"
  assert_eq "$(ls -A .git/pantheon/tmp)" "" "scratch left in the store"
  assert_eq "$(git status --porcelain)" "" "work tree changed"
  git fsck --full --strict >/dev/null 2>&1 || fail "git fsck failed"
  assert_eq "$(git log --format=%s -1 "restore/dev/$stamp")" "other's work"
}

test_a_bad_branch_name_is_refused_before_anything_changes() {
  demo_site
  git pantheon backup create -q
  sqlite3 $DB "DELETE FROM node WHERE nid > 100"
  echo later >$FILES/later.txt
  before=$(site_state)
  expect_code 5 git pantheon restore dev@latest --yes --branch 'no..good'
  assert_one_line_error "no..good"
  assert_eq "$(site_state)" "$before" "a refused restore changed something"
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
