#!/usr/bin/env bash
# git pantheon import site / db / files: drush 8 and drush 11+ archives with a real
# SQLite dump, Pantheon's three backup parts (files and directory), --dry-run,
# db/files from URLs of a local HTTP server, a hostile files archive.
# Checked with git ls-tree / git fsck, sqlite3, and a tree fingerprint.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/http.sh"
export GIT_PANTHEON_DOWNLOAD_BACKOFF_MS=50

DB=sites/default/files/.ht.sqlite
FILES=sites/default/files

demo_site() {
  python3 "$GP_SOURCE_DIR/scripts/make-demo-site.py" "$1" >/dev/null
  (cd "$1" && git pantheon init -q && git add .pantheon.toml && git commit -q -m "git-pantheon config")
}

# names, types, modes, link targets, contents of a tree (the site's own SQLite file left out)
tree_state() {
  (cd "$1" && find . \( -path ./styles -o -path ./css -o -path ./js \) -prune -o -print0 | sort -z | xargs -0 -n1 sh -c '
    p=$1
    if [ -L "$p" ]; then echo "L $p -> $(readlink "$p")"
    elif [ -d "$p" ]; then echo "D $p"
    else echo "F $p $(stat -c %a "$p") $(sha256sum <"$p" | cut -c1-16)"; fi' _ | grep -v '\.ht\.sqlite')
}
rows() { sqlite3 "$1" "SELECT group_concat(nid || ':' || title, '|') FROM (SELECT * FROM node ORDER BY nid)"; }
fsck_clean() { git fsck --strict 2>&1 | grep -v '^dangling' | grep . && fail "git fsck reports problems" || true; }

# A source database with three rows, dumped by the sqlite3 CLI.
make_dump() {
  rm -f src.sqlite
  sqlite3 src.sqlite "CREATE TABLE node (nid INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT, created INTEGER);
    INSERT INTO node VALUES (1,'from $1 one','b',1),(2,'from $1 two','b',2),(3,'café $1','b',3);
    CREATE TABLE users (uid INTEGER PRIMARY KEY, name TEXT);"
  sqlite3 src.sqlite .dump >"$2"
}

# drush 8 archive-dump layout: MANIFEST.ini, <db>.sql, the docroot folder.
make_drush8() {
  mkdir -p d8/drupal-7/includes d8/drupal-7/sites/default/files/pictures d8/drupal-7/sites/all/modules
  cat >d8/MANIFEST.ini <<'INI'
[Global]
datestamp = "1427197050"
formatversion = "1.0"
generator = "Drush archive-dump"
generatorversion = "8.1.15"
description = ""
tags = ""
archiveformat = "platform"

[default]
docroot = "drupal-7"
sitedir = "sites/default"
files-public = "sites/default/files"
files-private = ""
database-default-file = "./mysite.sql"
database-default-driver = "sqlite"
INI
  make_dump drush8 d8/mysite.sql
  echo '<?php // drupal 7' >d8/drupal-7/index.php
  echo '<?php // bootstrap' >d8/drupal-7/includes/bootstrap.inc
  echo '<?php $databases = [];' >d8/drupal-7/sites/default/settings.php
  echo 'module' >d8/drupal-7/sites/all/modules/README.txt
  echo 'picture' >d8/drupal-7/sites/default/files/pictures/p1.jpg
  echo 'top' >d8/drupal-7/sites/default/files/top.txt
  ln -s pictures/p1.jpg d8/drupal-7/sites/default/files/latest.jpg
  tar -czf drush8.tar.gz -C d8 .
}

# drush 11.1+ archive:dump layout: MANIFEST.yml, code/, files/, database/database.sql.
make_drush11() {
  mkdir -p d11/code/web/core d11/files/inline d11/database
  printf -- '-\n  datestamp: 1700000000\n  formatversion: "1.0"\n  generator: "Drush archive:dump"\n  generatorversion: 11.4.0\n' >d11/MANIFEST.yml
  make_dump drush11 d11/database/database.sql
  echo '{"name": "my/site"}' >d11/code/composer.json
  echo '<?php // d10' >d11/code/web/index.php
  echo '<?php // core' >d11/code/web/core/install.php
  echo 'inline' >d11/files/inline/i.png
  echo 'doc' >d11/files/doc.txt
  tar -czf drush11.tar.gz -C d11 MANIFEST.yml code files database
}

test_drush8_archive() {
  make_drush8
  demo_site site
  cd site
  expect_code 0 git pantheon import site ../drush8.tar.gz --yes
  assert_contains "$OUT" "drush 8"
  # the docroot's content is at the root of the commit; the public files are not code
  assert_eq "$(git ls-tree --name-only HEAD | tr '\n' ' ')" ".pantheon.toml includes index.php sites "
  assert_eq "$(git ls-tree -r --name-only HEAD sites | tr '\n' ' ')" "sites/all/modules/README.txt sites/default/settings.php "
  fsck_clean
  [ -z "$(git status --porcelain --untracked-files=no)" ] || fail "work tree not clean"
  assert_eq "$(rows $DB)" "1:from drush8 one|2:from drush8 two|3:café drush8"
  assert_eq "$(tree_state $FILES)" "$(tree_state ../d8/drupal-7/sites/default/files)" "files differ"
  # a safety backup of what was replaced
  assert_contains "$(git tag -l 'pantheon/backup/dev/*')" "pantheon/backup/dev/"
}

test_drush11_archive() {
  make_drush11
  demo_site site
  cd site
  expect_code 0 git pantheon import site ../drush11.tar.gz --yes --no-safety-backup
  assert_contains "$OUT" "drush archive:dump"
  assert_eq "$(git ls-tree -r --name-only HEAD | tr '\n' ' ')" ".pantheon.toml composer.json web/core/install.php web/index.php "
  fsck_clean
  assert_eq "$(rows $DB)" "1:from drush11 one|2:from drush11 two|3:café drush11"
  assert_eq "$(tree_state $FILES)" "$(tree_state ../d11/files)" "files differ"
  assert_eq "$(git tag -l 'pantheon/backup/*')" "" "a safety backup despite --no-safety-backup"
}

test_dry_run_changes_nothing() {
  make_drush8
  demo_site site
  cd site
  head=$(git rev-parse HEAD)
  before_rows=$(rows $DB)
  before_files=$(tree_state $FILES)
  expect_code 0 git pantheon import site ../drush8.tar.gz --dry-run
  assert_contains "$OUT" "drush 8"
  assert_contains "$OUT" "drupal-7/"
  assert_contains "$OUT" "mysite.sql"
  assert_eq "$(git rev-parse HEAD)" "$head"
  assert_eq "$(rows $DB)" "$before_rows"
  assert_eq "$(tree_state $FILES)" "$before_files"
  assert_eq "$(git tag -l)" ""
  assert_eq "$(ls -A .git/pantheon/tmp 2>/dev/null)" ""
}

# site A backed up with `git pantheon backup create`; its three parts imported into B.
pantheon_parts() {
  demo_site a
  (cd a && echo '<?php // only in a' >only-in-a.php && git add only-in-a.php && git commit -q -m a &&
    sqlite3 $DB "UPDATE node SET title='a-title' WHERE nid=7" && echo "a file" >$FILES/a.txt &&
    git pantheon backup create -q)
  mkdir parts && cp a/.git/pantheon/archives/* parts/
  demo_site b
  cd b
  sqlite3 $DB "DELETE FROM node WHERE nid > 10"
  rm $FILES/inline-images/image-3.png
}

check_b_is_a() {
  assert_eq "$(rows $DB)" "$(rows ../a/$DB)" "database not imported"
  assert_eq "$(tree_state $FILES)" "$(tree_state ../a/$FILES)" "files not imported"
  git cat-file -e HEAD:only-in-a.php || fail "code not imported"
  assert_eq "$(git ls-tree -r HEAD | grep -c '\.git/' || true)" "0" ".git of the code archive imported"
  fsck_clean
}

test_pantheon_three_files() {
  pantheon_parts
  expect_code 0 git pantheon import site ../parts/*_code.tar.gz ../parts/*_database.sql.gz ../parts/*_files.tar.gz --yes
  assert_contains "$OUT" "Pantheon"
  check_b_is_a
}

test_pantheon_directory() {
  pantheon_parts
  expect_code 0 git pantheon import site ../parts --yes --no-safety-backup
  check_b_is_a
}

test_import_db_and_files_from_urls() {
  demo_site a
  mkdir served
  make_dump url served/site_dev_2026_database.sql.gz.sql
  gzip -c served/site_dev_2026_database.sql.gz.sql >served/site_dev_2026_database.sql.gz
  # a files archive whose entries are not under one top folder (strip 0)
  mkdir -p flat/docs && echo one >flat/one.txt && echo two >flat/docs/two.txt
  tar -czf served/uploads.tar.gz -C flat one.txt docs
  start_http "$PWD/served"
  cd a
  expect_code 0 git pantheon import db "$HTTP_URL/ok/site_dev_2026_database.sql.gz?X-Amz-Signature=SECRET" --yes
  assert_eq "$(rows $DB)" "1:from url one|2:from url two|3:café url"
  assert_not_contains "$OUT$ERR" "SECRET"
  expect_code 0 git pantheon import files "$HTTP_URL/drop/uploads.tar.gz" --yes
  assert_eq "$(tree_state $FILES)" "$(tree_state ../flat)" "files not imported"
  # the database inside the files directory survived the swap
  assert_eq "$(rows $DB)" "1:from url one|2:from url two|3:café url"
  assert_eq "$(ls -A .git/pantheon/tmp)" "" "downloads left behind"
}

test_restore_from_files_urls() {
  demo_site a
  (cd a && sqlite3 $DB "UPDATE node SET title='backed up' WHERE nid=1" && git pantheon backup create -q)
  mkdir served && cp a/.git/pantheon/archives/*_database.sql.gz a/.git/pantheon/archives/*_files.tar.gz served/
  demo_site b
  start_http "$PWD/served"
  cd b
  sqlite3 $DB "DELETE FROM node"
  db=$(basename ../served/*_database.sql.gz)
  files=$(basename ../served/*_files.tar.gz)
  expect_code 0 git pantheon restore --from-files "$HTTP_URL/ok/$db?sig=1" "$HTTP_URL/flaky/$files?sig=2" --yes
  assert_eq "$(rows $DB)" "$(rows ../a/$DB)"
  assert_eq "$(tree_state $FILES)" "$(tree_state ../a/$FILES)"
}

test_import_files_pantheon_archive_strips_top_folder() {
  demo_site a
  (cd a && echo extra >$FILES/extra.txt && git pantheon backup create -q --element files)
  demo_site b
  cd b
  expect_code 0 git pantheon import files ../a/.git/pantheon/archives/*_files.tar.gz --yes
  assert_eq "$(tree_state $FILES)" "$(tree_state ../a/$FILES)"
}

test_hostile_files_archive_is_refused() {
  demo_site site
  python3 - <<'PY'
import io, tarfile
with tarfile.open("evil.tar.gz", "w:gz") as t:
    for name, data in (("ok.txt", b"fine"), ("../../escaped.txt", b"evil")):
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
PY
  cd site
  before=$(tree_state $FILES)
  before_rows=$(rows $DB)
  expect_code 5 git pantheon import files ../evil.tar.gz --yes
  assert_one_line_error "refusing archive"
  assert_eq "$(tree_state $FILES)" "$before" "files changed"
  assert_eq "$(rows $DB)" "$before_rows"
  [ ! -e ../escaped.txt ] && [ ! -e ../../escaped.txt ] || fail "escaped"
  assert_eq "$(git tag -l)" "" "a safety backup was made before refusing"
}

test_hostile_drush_archive_changes_nothing() {
  demo_site site
  python3 - <<'PY'
import io, tarfile
with tarfile.open("evil11.tar.gz", "w:gz") as t:
    for name, data in (("MANIFEST.yml", b"- {}\n"), ("code/index.php", b"<?php"),
                       ("database/database.sql", b"CREATE TABLE x(a);\n"), ("files/../../../escaped.txt", b"evil")):
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
PY
  cd site
  head=$(git rev-parse HEAD)
  before=$(tree_state $FILES)
  before_rows=$(rows $DB)
  expect_code 5 git pantheon import site ../evil11.tar.gz --yes
  assert_one_line_error "refusing archive"
  assert_eq "$(git rev-parse HEAD)" "$head"
  assert_eq "$(tree_state $FILES)" "$before"
  assert_eq "$(rows $DB)" "$before_rows"
  assert_eq "$(git tag -l)" ""
  [ ! -e ../../escaped.txt ] && [ ! -e ../../../escaped.txt ] || fail "escaped"
  assert_eq "$(ls -A .git/pantheon/tmp)" "" "extraction left behind"
}

test_unrecognised_archive() {
  demo_site site
  mkdir x && echo hi >x/a && tar -czf plain.tar.gz -C x a
  cd site
  expect_code 5 git pantheon import site ../plain.tar.gz --yes
  assert_one_line_error "cannot tell what site archive"
}

run_tests
