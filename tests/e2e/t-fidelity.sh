#!/usr/bin/env bash
# What every reader of archives agrees on, across the verbs: backup + verify +
# restore of a files directory with links leaving it; import code of Debian's
# WordPress tree (links included); names and paths too long for the file system
# refused before anything changes; names that would drive a terminal printed
# escaped; later entries replacing earlier ones and a zip claiming 4 GiB for 1 KiB
# answered the same by import code, import files and restore --from-files.
. "$(dirname "$0")/lib.sh"

LIST="$E2E_DIR/nasty_tree.py"
FILES=sites/default/files

demo_site() {
  python3 "$GP_SOURCE_DIR/scripts/make-demo-site.py" site >/dev/null
  cd site
  git pantheon init -q
  env_content test "sqlite:../test-env/db.sqlite" "../test-env/files"
  git add .pantheon.toml && git commit -q -m "git-pantheon config"
}

# The listing of a files directory, without what its archive leaves out or the
# database file that lives in it.
files_listing() {
  python3 "$LIST" list "$1" | grep -v -e "^b'styles" -e "^b'css" -e "^b'js" -e "ht\.sqlite" || true
}

# python3 tar builder: make_tar OUT ENTRY... with ENTRY f:NAME[:DATA], l:NAME:TARGET,
# d:NAME; NAME and TARGET may use Python escapes (\n, \x1b, \xff as a raw byte).
make_tar() {
  python3 - "$@" <<'PY'
import io, sys, tarfile
out = sys.argv[1]
def b(s): return s.encode('latin-1').decode('unicode_escape').encode('latin-1').decode('utf-8', 'surrogateescape')
mode = 'w:gz' if out.endswith('gz') else 'w'
with tarfile.open(out, mode, format=tarfile.PAX_FORMAT, encoding='utf-8', errors='surrogateescape') as t:
    for spec in sys.argv[2:]:
        kind, rest = spec[0], spec[2:]
        name, _, extra = rest.partition(':')
        ti = tarfile.TarInfo(b(name)); ti.mtime = 1600000000
        if kind == 'f':
            data = (extra or 'content of ' + name).encode()
            ti.size = len(data); t.addfile(ti, io.BytesIO(data))
        elif kind == 'l':
            ti.type, ti.linkname = tarfile.SYMTYPE, b(extra); t.addfile(ti)
        elif kind == 'd':
            ti.type, ti.mode = tarfile.DIRTYPE, 0o755; t.addfile(ti)
PY
}

test_files_with_links_leaving_them_back_up_verify_and_restore() {
  demo_site
  fixture_links_out $FILES
  files_listing $FILES >../want.txt
  expect_code 0 git pantheon backup create --element files
  expect_code 0 git pantheon backup verify dev@latest
  local archive
  archive=$(ls "$PWD"/.git/pantheon/archives/*_files.tar.gz)
  # Changed, then restored from the store: every link as it was.
  rm $FILES/private-files $FILES/shared && chmod 755 $FILES/ro && rm -r $FILES/ro
  expect_code 0 git pantheon restore dev@latest --element files --yes
  files_listing $FILES >../got.txt
  diff -u ../want.txt ../got.txt || fail "restore from the store differs"
  assert_eq "$(readlink $FILES/private-files)" /var/private
  assert_eq "$(readlink $FILES/shared)" ../../../shared-uploads
  assert_eq "$(stat -c %h $FILES/logo-hard.png)" 2 "hard link"
  # From the loose archive, into another environment.
  expect_code 0 git pantheon restore --from-files "$archive" --to-env test --yes
  files_listing ../test-env/files >../got-test.txt
  diff -u ../want.txt ../got-test.txt || fail "restore --from-files into test differs"
  assert_eq "$(git status --porcelain)" ""
}

test_wordpress_tree_imports_with_its_links_as_git_adds_it() {
  [ -d /usr/share/wordpress ] || fail "Debian's wordpress package is not installed (scripts/install-deps.sh installs it)"
  tar -C /usr/share -czf wordpress.tar.gz wordpress
  local links
  links=$(find /usr/share/wordpress -type l | wc -l)
  [ "$links" -ge 20 ] || fail "the wordpress tree has $links links"
  # The judge: git add -A of the same tree.
  mkdir judge && cp -a /usr/share/wordpress judge/wp
  local want
  want=$(cd judge/wp && git init -q . && git add -A && git write-tree)
  new_repo
  expect_code 0 git pantheon import code ../wordpress.tar.gz --squash
  assert_contains "$ERR" "symbolic links that lead outside the imported tree, as git does"
  assert_eq "$(git rev-parse 'HEAD^{tree}')" "$want" "import differs from git add -A"
  assert_eq "$(git ls-tree -r HEAD | grep -c '^120000')" "$links" "links in the commit"
  assert_eq "$(git status --porcelain)" ""
  git fsck --strict --no-progress >/dev/null 2>&1 || fail "git fsck"
  # Asked to refuse such links, it refuses, and nothing changes.
  local head
  head=$(git rev-parse HEAD)
  expect_code 5 git pantheon import code ../wordpress.tar.gz --squash --refuse-outside-links
  assert_one_line_error "is a symlink to '"
  assert_eq "$(git rev-parse HEAD)" "$head"
}

test_names_too_long_are_refused_before_anything_changes() {
  new_repo
  echo 'version 1' >tracked.txt && echo 'gone upstream' >removed.txt
  commit_all "before import"
  local head long deep
  head=$(git rev-parse HEAD)
  long=$(printf 'n%.0s' $(seq 5000))
  deep=$(python3 -c "print('/'.join(['d' * 250] * 17))")  # 4266 bytes in 250-byte components
  # The archive changes a tracked file and drops another before its bad entry.
  make_tar ../long.tar "f:site/tracked.txt:version 2" "f:site/$long"
  make_tar ../deep.tar "f:site/tracked.txt:version 2" "f:site/$deep/x"
  for a in long deep; do
    expect_code 5 git pantheon import code "../$a.tar" --squash
    assert_one_line_error "refusing archive '$a.tar': entry 'site/"
    assert_eq "$(git rev-parse HEAD)" "$head" "HEAD moved ($a)"
    assert_eq "$(git status --porcelain)" "" "work tree changed ($a)"
    assert_eq "$(cat tracked.txt)" "version 1" "tracked file overwritten ($a)"
    [ -f removed.txt ] || fail "tracked file deleted ($a)"
  done
  # import files: the same refusal, nothing changed, and backups still work.
  cd .. && demo_site
  files_listing $FILES >../before.txt
  make_tar ../deep-files.tar.gz "f:files/ok.txt" "f:files/$deep/x"
  expect_code 5 git pantheon import files ../deep-files.tar.gz --yes
  assert_one_line_error "would have a path of"
  files_listing $FILES >../after.txt
  diff -u ../before.txt ../after.txt || fail "import files changed the files directory"
  expect_code 0 git pantheon backup create --element files
}

test_names_that_drive_a_terminal_are_printed_escaped() {
  demo_site
  # An error naming an entry whose name clears the screen, sets the window title,
  # starts a new line and holds bytes that are not UTF-8.
  make_tar ../evil.tar.gz 'f:files/\x1b[2J\x1b]0;pwned\x07\nfake line\xff/../../x'
  local verb
  for verb in "import files ../evil.tar.gz --yes" "import code ../evil.tar.gz --squash" \
    "restore --from-files ../evil.tar.gz --element files --yes"; do
    # shellcheck disable=SC2086
    expect_code 5 git pantheon $verb
    assert_one_line_error "has a '..' component"
    [ "$(printf '%s\n' "$ERR" | grep -c .)" -le 2 ] || fail "$verb: the name broke the line: $ERR"
    case "$ERR" in *$'\x1b'* | *$'\x07'*) fail "$verb: a control character reached the terminal" ;; esac
    printf '%s' "$ERR" | LC_ALL=C grep -q $'\xff' && fail "$verb: a byte that is not UTF-8 reached the terminal"
    assert_contains "$ERR" '\x1b[2J\x1b]0;pwned\x07\nfake line\xff/../../x'
  done
}

test_every_reader_answers_duplicates_and_claims_alike() {
  demo_site
  # A file replacing a link, a link replacing a file, a name with a newline.
  make_tar ../dup.tar.gz "l:files/a:/etc" "f:files/a:file wins" "f:files/b:was a file" "l:files/b:a" \
    'f:files/new\nline:nl'
  expect_code 0 git pantheon import files ../dup.tar.gz --yes
  assert_eq "$(cat $FILES/a)" "file wins"
  assert_eq "$(readlink $FILES/b)" "a"
  assert_eq "$(cat "$FILES/$(printf 'new\nline')")" "nl"
  expect_code 0 git pantheon restore --from-files ../dup.tar.gz --to-env test --element files --yes
  assert_eq "$(cat ../test-env/files/a)" "file wins"
  assert_eq "$(readlink ../test-env/files/b)" "a"
  (new_repo ../imp && expect_code 0 git pantheon import code ../dup.tar.gz --squash &&
    assert_eq "$(git cat-file -p HEAD:a)" "file wins" &&
    assert_eq "$(git ls-tree HEAD b | cut -c1-6)" "120000") || fail "import code differs"
  # A zip whose headers claim 3.75 GiB for 1 KiB of data: corrupt, for every reader.
  python3 - <<'PY'
import struct, zipfile
with zipfile.ZipFile('../claim.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr(zipfile.ZipInfo('files/big.bin', date_time=(2020, 1, 1, 0, 0, 0)), b'x' * 1024,
               compress_type=zipfile.ZIP_DEFLATED)
b = bytearray(open('../claim.zip', 'rb').read())
for sig, off in ((b'PK\x03\x04', 22), (b'PK\x01\x02', 24)):
    i = b.find(sig); b[i + off:i + off + 4] = struct.pack('<I', 0xF0000000)
open('../claim.zip', 'wb').write(b)
PY
  files_listing $FILES >../before.txt
  expect_code 7 git pantheon import files ../claim.zip --yes
  assert_one_line_error "is truncated"
  expect_code 7 git pantheon restore --from-files ../claim.zip --element files --yes
  assert_one_line_error "is truncated"
  (cd ../imp && expect_code 7 git pantheon import code ../claim.zip --squash && assert_one_line_error "is truncated") ||
    fail "import code did not refuse the zip as corrupt"
  files_listing $FILES >../after.txt
  diff -u ../before.txt ../after.txt || fail "the files directory changed"
}

run_tests
