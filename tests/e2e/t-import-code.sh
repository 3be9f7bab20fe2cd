#!/usr/bin/env bash
# git pantheon import code --squash / --merge-history, judged by the real git.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/http.sh"

# A source tree with nested dirs, an executable, a symlink, a name with spaces and
# UTF-8, and a file its own .gitignore ignores.
make_source_tree() {
  local d=$1
  mkdir -p "$d/core/lib/deep" "$d/scripts" "$d/empty-dir" "$d/logs"
  echo '<?php // index' >"$d/index.php"
  echo '<?php class Deep {}' >"$d/core/lib/deep/Deep.php"
  printf '#!/bin/sh\necho run\n' >"$d/scripts/run.sh"
  chmod 755 "$d/scripts/run.sh"
  ln -s core/lib/deep/Deep.php "$d/deep-link.php"
  echo 'résumé' >"$d/core/Ça va été.txt"
  printf '*.log\n!keep.log\n' >"$d/.gitignore"
  echo 'noise' >"$d/logs/debug.log"
  echo 'kept' >"$d/logs/keep.log"
  head -c 300000 /dev/urandom >"$d/core/lib/big.bin"
}

# "mode blob path" lines the archive should become (after dropping the top folder),
# computed from the source files with git hash-object; plus extra lines given.
expected_listing() {
  local d=$1
  shift
  (
    cd "$d"
    find . \( -type f -o -type l \) ! -name debug.log | sed 's|^\./||' | while IFS= read -r p; do
      if [ -L "$p" ]; then
        echo "120000 $(printf '%s' "$(readlink "$p")" | git hash-object --stdin) $p"
      elif [ -x "$p" ]; then
        echo "100755 $(git hash-object "$p") $p"
      else
        echo "100644 $(git hash-object "$p") $p"
      fi
    done
    for extra in "$@"; do echo "$extra"; done
  ) | LC_ALL=C sort
}

actual_listing() {
  git -c core.quotePath=false ls-tree -r --format='%(objectmode) %(objectname) %(path)' HEAD | LC_ALL=C sort
}

# A repository with a commit holding a file the archive does not have and a config.
repo_with_history() {
  new_repo "${1:-site}"
  echo 'gone upstream' >removed.txt
  printf 'site = "x"\n' >.pantheon.toml
  commit_all "before import"
}

check_squash_of() {
  local archive=$1
  repo_with_history "site-$(basename "$archive")"
  local before toml_line
  before=$(git rev-parse HEAD)
  toml_line="100644 $(git rev-parse HEAD:.pantheon.toml) .pantheon.toml"
  expect_code 0 git pantheon import code "$archive" --squash
  assert_eq "$(git rev-parse HEAD^)" "$before" "parent is the old HEAD"
  assert_eq "$(git rev-list --count HEAD)" "2" "exactly one new commit"
  assert_eq "$(actual_listing)" "$(expected_listing "$SRC/site" "$toml_line")" "tree differs from the archive"
  [ ! -e removed.txt ] || fail "file removed upstream still in the work tree"
  [ -L deep-link.php ] || fail "symlink not checked out as a symlink"
  [ -x scripts/run.sh ] || fail "executable bit lost"
  [ -f "core/Ça va été.txt" ] || fail "UTF-8 name missing"
  [ ! -e logs/debug.log ] || fail "ignored file checked out"
  cmp -s core/lib/big.bin "$SRC/site/core/lib/big.bin" || fail "content differs"
  assert_eq "$(git status --porcelain)" "" "work tree not clean"
  git fsck --full --strict >/dev/null 2>&1 || fail "git fsck failed: $(git fsck --full 2>&1 | head)"
  assert_contains "$(git log -1 --format=%B)" "Import $(basename "$archive")"
  assert_contains "$(git log -1 --format=%B)" "Archive-sha256: $(sha256sum "$archive" | cut -d' ' -f1)"
  cd ..
}

test_squash_all_formats() {
  SRC=$PWD/src
  make_source_tree "$SRC/site"
  (cd "$SRC" && tar -czf ../a.tar.gz site && tar --zstd -cf ../a.tar.zst site && tar -cjf ../a.tar.bz2 site &&
    tar -cJf ../a.tar.xz site && zip -qry ../a.zip site)
  for f in a.tar.gz a.tar.zst a.tar.bz2 a.tar.xz a.zip; do
    check_squash_of "$PWD/$f"
  done
}

test_squash_into_unborn_branch_and_nothing_to_import() {
  SRC=$PWD/src
  make_source_tree "$SRC/site"
  (cd "$SRC/site" && tar -czf ../../a.tar.gz .)  # no top folder: nothing to strip
  new_repo
  expect_code 0 git pantheon import code ../a.tar.gz --squash -m "First import"
  assert_eq "$(git rev-list --count HEAD)" "1"
  assert_eq "$(git log -1 --format=%s)" "First import"
  assert_eq "$(actual_listing)" "$(expected_listing "$SRC/site")"
  expect_code 9 git pantheon import code ../a.tar.gz --squash
  assert_one_line_error "nothing to import"
  assert_eq "$(git rev-list --count HEAD)" "1"
}

test_squash_subdir_and_strip() {
  SRC=$PWD/src
  make_source_tree "$SRC/site"
  (cd "$SRC" && tar -czf ../a.tar.gz site)
  repo_with_history
  expect_code 0 git pantheon import code ../a.tar.gz --squash --subdir web --strip-components 0
  [ -f removed.txt ] || fail "--subdir must keep the rest of HEAD"
  [ -f web/site/index.php ] || fail "--strip-components 0 must keep the top folder"
  assert_eq "$(git status --porcelain)" ""
}

test_squash_refuses_dirty_tree() {
  SRC=$PWD/src
  make_source_tree "$SRC/site"
  (cd "$SRC" && tar -czf ../a.tar.gz site)
  repo_with_history
  local before
  before=$(git rev-parse HEAD)
  echo 'local edit' >>removed.txt
  expect_code 5 git pantheon import code ../a.tar.gz --squash
  assert_one_line_error "uncommitted changes"
  assert_eq "$(git rev-parse HEAD)" "$before"
  assert_eq "$(tail -n1 removed.txt)" "local edit" "work tree changed"
  [ ! -e index.php ] || fail "work tree changed"
}

make_hostile() {
  python3 - "$@" <<'PY'
import io, sys, tarfile
out, kind = sys.argv[1], sys.argv[2]
with tarfile.open(out, "w:gz") as t:
    def add(name, data=b"x"):
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
    add("site/ok.txt")
    if kind == "dotdot":
        add("site/../../evil.txt")
    elif kind == "absolute":
        add("/tmp/evil-abs.txt")
    elif kind == "symlink":
        i = tarfile.TarInfo("site/ln"); i.type = tarfile.SYMTYPE; i.linkname = "../../../etc/passwd"; t.addfile(i)
    elif kind == "abs-symlink":
        i = tarfile.TarInfo("site/ln"); i.type = tarfile.SYMTYPE; i.linkname = "/etc/passwd"; t.addfile(i)
PY
}

test_squash_refuses_hostile_archives() {
  repo_with_history
  local before
  before=$(git rev-parse HEAD)
  for kind in dotdot absolute; do
    make_hostile "../$kind.tar.gz" "$kind"
    expect_code 5 git pantheon import code "../$kind.tar.gz" --squash
    assert_one_line_error "refusing archive '$kind.tar.gz': entry '"
    assert_eq "$(git rev-parse HEAD)" "$before" "HEAD moved for $kind"
    assert_eq "$(git status --porcelain)" "" "work tree changed for $kind"
  done
  # Links leaving the tree: refused only when asked.
  for kind in symlink abs-symlink; do
    make_hostile "../$kind.tar.gz" "$kind"
    expect_code 5 git pantheon import code "../$kind.tar.gz" --squash --refuse-outside-links
    assert_one_line_error "refusing archive '$kind.tar.gz': entry 'ln' is a symlink to '"
    assert_eq "$(git rev-parse HEAD)" "$before" "HEAD moved for $kind"
    assert_eq "$(git status --porcelain)" "" "work tree changed for $kind"
  done
  [ ! -e ../../evil.txt ] && [ ! -e ok.txt ] || fail "something was extracted"
  # A truncated archive is an integrity failure, with nothing changed either.
  mkdir -p ../big/site && head -c 200000 /dev/urandom >../big/site/blob && tar -C ../big -cf ../big.tar site
  head -c 100000 ../big.tar >../cut.tar
  expect_code 7 git pantheon import code ../cut.tar --squash
  assert_one_line_error "archive 'cut.tar' is corrupt: "
  assert_eq "$(git rev-parse HEAD)" "$before"
  assert_eq "$(git status --porcelain)" ""
}

# Links are data, as in git: an absolute or climbing target is kept (and named in
# a warning), the work tree gets the link itself, and the tree is what git add
# gives for the same files.
test_squash_keeps_links_leaving_the_tree_as_git_does() {
  mkdir -p src/site/sub
  echo data >src/site/sub/file
  ln -s /var/private src/site/private
  ln -s ../../../shared-uploads src/site/shared
  ln -s ../../outside-target src/site/sub/dangling
  ln -s file src/site/sub/inside
  tar -C src -czf links.tar.gz site
  new_repo
  echo base >base.txt && commit_all base
  expect_code 0 git pantheon import code ../links.tar.gz --squash
  assert_contains "$ERR" "keeping 3 symbolic links that lead outside the imported tree, as git does"
  assert_contains "$ERR" "'private' -> '/var/private'"
  assert_contains "$ERR" "'shared' -> '../../../shared-uploads'"
  assert_not_contains "$ERR" "sub/inside"
  assert_eq "$(readlink private)" "/var/private"
  assert_eq "$(readlink sub/dangling)" "../../outside-target"
  assert_eq "$(git status --porcelain)" ""
  git fsck --strict --no-progress 2>&1 || fail "git fsck"
  # The judge: plain git over the same tree.
  (cd ../src/site && git init -q . && git add -A && git write-tree >../tree)
  assert_eq "$(git rev-parse 'HEAD^{tree}')" "$(cat ../src/tree)" "tree differs from git add -A"
}

test_squash_hard_links_and_special_files() {
  mkdir -p src/site
  echo data >src/site/a
  ln src/site/a src/site/b
  mkfifo src/site/fifo
  mkdir -p src/site/empty
  tar -C src -cf hl.tar site
  new_repo
  expect_code 0 git pantheon import code ../hl.tar --squash
  assert_contains "$ERR" "skipping 'site/fifo'"
  assert_eq "$(git ls-tree -r --format='%(objectmode) %(objectname) %(path)' HEAD)" \
    "100644 $(git hash-object ../src/site/a) a
100644 $(git hash-object ../src/site/a) b"
  [ ! -e empty ] && [ ! -e fifo ] || fail "empty dir or fifo created"
  assert_eq "$(git status --porcelain)" ""
}

# A Pantheon-style code archive: a work tree with its .git, 3 commits, 2 tags.
make_source_repo() {
  mkdir -p "$1" && (
    cd "$1"
    git init -q -b master .
    echo one >a.txt && git add -A && git commit -q -m "source 1" && git tag -a v1 -m v1
    echo two >b.txt && git add -A && git commit -q -m "source 2" && git tag v2
    echo three >c.txt && git add -A && git commit -q -m "source 3"
  )
}

test_merge_history_from_code_archive() {
  make_source_repo src/oldsite
  tar -C src -czf code.tar.gz oldsite
  repo_with_history
  local before
  before=$(git rev-parse HEAD)
  expect_code 0 git pantheon import code ../code.tar.gz --merge-history
  local parents
  parents=$(git rev-list --parents -1 HEAD)
  assert_eq "$(echo "$parents" | wc -w)" "3" "merge commit needs two parents"
  assert_eq "$(echo "$parents" | cut -d' ' -f2)" "$before"
  assert_eq "$(echo "$parents" | cut -d' ' -f3)" "$(git -C ../src/oldsite rev-parse HEAD)"
  assert_eq "$(git log --format=%s | sort | tr '\n' ,)" "Merge history of code.tar.gz,before import,source 1,source 2,source 3,"
  assert_eq "$(git tag | tr '\n' ' ')" "imported/v1 imported/v2 "
  assert_eq "$(git rev-parse 'imported/v1^{commit}')" "$(git -C ../src/oldsite rev-parse 'v1^{commit}')"
  assert_eq "$(git for-each-ref refs/pantheon-import)" "" "temporary refs left behind"
  assert_eq "$(git config --get-regexp '^remote\.' || true)" "" "a remote was left in the config"
  [ -f a.txt ] && [ -f c.txt ] && [ -f removed.txt ] || fail "merged work tree incomplete"
  assert_eq "$(git status --porcelain)" ""
  git fsck --full --strict >/dev/null 2>&1 || fail "git fsck failed"
  assert_eq "$(ls .git/pantheon/tmp)" "" "scratch files left"
}

test_merge_history_from_url() {
  make_source_repo src/oldsite
  mkdir served && tar -C src -czf served/code.tar.gz oldsite
  start_http "$PWD/served"
  repo_with_history
  expect_code 0 git pantheon import code "$HTTP_URL/ok/code.tar.gz?sig=secret" --merge-history
  assert_eq "$(git rev-list --parents -1 HEAD | cut -d' ' -f3)" "$(git -C ../src/oldsite rev-parse HEAD)"
  assert_eq "$(git log -1 --format=%s)" "Merge history of code.tar.gz"
  [ -f a.txt ] && [ -f c.txt ] || fail "merged work tree incomplete"
  assert_not_contains "$OUT$ERR" "secret" "the URL's query string was printed"
  assert_eq "$(ls .git/pantheon/tmp)" "" "download left behind"
  git fsck --full --strict >/dev/null 2>&1 || fail "git fsck failed"
}

test_merge_history_from_repository_path() {
  make_source_repo src/oldsite
  repo_with_history
  expect_code 0 git pantheon import code ../src/oldsite --merge-history --tag-prefix old/
  assert_eq "$(git rev-list --parents -1 HEAD | wc -w)" "3"
  assert_eq "$(git tag | tr '\n' ' ')" "old/v1 old/v2 "
  git fsck --full >/dev/null 2>&1 || fail "git fsck failed"
}

make_conflicting_setup() {
  make_source_repo src/oldsite
  tar -C src -czf code.tar.gz oldsite
  new_repo "${1:-site}"
  echo 'our a' >a.txt
  commit_all "ours"
}

test_merge_history_conflict_leaves_git_merge_state() {
  make_conflicting_setup site
  local before
  before=$(git rev-parse HEAD)
  expect_code 5 git pantheon import code ../code.tar.gz --merge-history
  assert_one_line_error "merging the history of"
  assert_contains "$OUT" "a.txt"
  assert_eq "$(git rev-parse HEAD)" "$before" "HEAD moved despite conflicts"
  [ -f .git/MERGE_HEAD ] || fail "no MERGE_HEAD"
  assert_eq "$(cat .git/MERGE_HEAD)" "$(git -C ../src/oldsite rev-parse HEAD)"
  assert_contains "$(git status --porcelain)" "AA a.txt"
  grep -q '^<<<<<<<' a.txt || fail "no conflict markers"
  # Resolving and committing with git gives the merge.
  echo resolved >a.txt
  git add a.txt
  git commit -q --no-edit
  assert_eq "$(git rev-list --parents -1 HEAD | wc -w)" "3"
  assert_eq "$(git log -1 --format=%s)" "Merge history of code.tar.gz"
  git fsck --full >/dev/null 2>&1 || fail "git fsck failed"
}

test_merge_history_allow_conflicts_exits_zero() {
  make_conflicting_setup site
  expect_code 0 git pantheon import code ../code.tar.gz --merge-history --allow-conflicts
  assert_contains "$OUT" "a.txt"
  [ -f .git/MERGE_HEAD ] || fail "no MERGE_HEAD"
  assert_contains "$(git status)" "both added"
}

test_merge_history_refuses_plain_tar_and_dirty_tree() {
  mkdir -p src/plain && echo x >src/plain/x.txt
  tar -C src -czf plain.tar.gz plain
  repo_with_history
  local before
  before=$(git rev-parse HEAD)
  expect_code 5 git pantheon import code ../plain.tar.gz --merge-history
  assert_one_line_error "carries no git history"
  assert_contains "$ERR" "--squash"
  make_source_repo ../src/oldsite
  echo dirty >>removed.txt
  expect_code 5 git pantheon import code ../src/oldsite --merge-history
  assert_one_line_error "uncommitted changes"
  assert_eq "$(git rev-parse HEAD)" "$before"
  assert_eq "$(git tag)" "" "tags fetched despite the refusal"
}

# A repository's state, to show a refused import changed nothing.
repo_state() {
  { git for-each-ref; git status --porcelain; git rev-parse HEAD; ls -A .git/pantheon/tmp 2>/dev/null || true; } | sha256sum
}

test_merge_history_from_a_shallow_clone_says_so() {
  fixture_shallow_clone src shallow
  [ -f shallow/.git/shallow ] || fail "the fixture's clone is not shallow"
  tar -czf shallow.tar.gz shallow
  repo_with_history
  local before
  before=$(repo_state)
  expect_code 5 git pantheon import code ../shallow --merge-history
  assert_one_line_error "shallow"
  assert_contains "$ERR" "git fetch --unshallow"
  assert_contains "$ERR" "--squash"
  assert_not_contains "$ERR" "object not found"
  assert_eq "$(repo_state)" "$before" "a refused import changed the repository"
  expect_code 5 git pantheon import code ../shallow.tar.gz --merge-history
  assert_one_line_error "shallow"
  assert_contains "$ERR" "--squash"
  assert_not_contains "$ERR" "object not found"
  assert_eq "$(repo_state)" "$before" "a refused import of an archive changed the repository"
  git fsck --full --strict >/dev/null 2>&1 || fail "git fsck failed"
  # The whole clone imports.
  git -C ../shallow fetch -q --unshallow
  expect_code 0 git pantheon import code ../shallow --merge-history
  assert_eq "$(git rev-list --parents -1 HEAD | cut -d' ' -f3)" "$(git -C ../src rev-parse HEAD)"
}

# Peak memory does not grow with the largest file: a 200 MB file (random, so it
# does not compress) is imported under GNU time; the limit is issue #7's 128 MiB
# (before the pack writer and staged work tree it was about 2x the file, ~400 MB).
test_squash_large_file_memory_is_flat() {
  mkdir -p src/site
  head -c 200000000 /dev/urandom >src/site/big.bin
  echo small >src/site/small.txt
  tar -C src -cf big.tar site
  new_repo
  /usr/bin/time -f %M -o ../rss git pantheon import code ../big.tar --squash >/dev/null 2>../err ||
    fail "import failed: $(cat ../err)"
  local rss
  rss=$(tail -n1 ../rss)
  [ "$rss" -lt 131072 ] || fail "peak RSS ${rss} KiB for a 200 MB file (limit 128 MiB)"
  cmp -s big.bin ../src/site/big.bin || fail "content differs"
  assert_eq "$(git rev-parse HEAD:big.bin)" "$(git hash-object ../src/site/big.bin)"
  assert_eq "$(git status --porcelain)" "" "work tree not clean"
  git fsck --full --strict >/dev/null 2>&1 || fail "git fsck failed: $(git fsck --full 2>&1 | head)"
  # Packed, not loose: only the commit is a loose object.
  assert_eq "$(git count-objects -v | sed -n 's/^count: //p')" "1" "loose objects (only the import commit)"
  assert_eq "$(git count-objects -v | sed -n 's/^in-pack: //p')" "3" "objects in the pack (2 blobs, 1 tree)"
}

run_tests
