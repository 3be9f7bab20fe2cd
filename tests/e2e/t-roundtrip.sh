#!/usr/bin/env bash
# The round-trip property: for generated trees that are legal but nasty
# (nasty_tree.py: every entry type, links that dangle, are absolute or climb out,
# hard links, names with newlines, ESC and bytes that are not UTF-8, NFC and NFD,
# 255-byte components, a path near PATH_MAX, every mode bit, mtimes before 1970
# and far ahead, sparse and empty files), judged by independent tools:
#   - backup create, backup verify, then restore into another environment gives
#     the same tree (names, types, modes without set-id bits, link targets,
#     contents, mtimes, hard links);
#   - plain `tar -xzf` of the files archive gives the same tree;
#   - `import code --squash` of that archive gives the tree id `git add -A` gives
#     for the same files, a clean `git status` and a clean `git fsck --strict`.
# Seeds: GP_ROUNDTRIP_SEEDS (a list), else 3 fixed ones and one drawn at random;
# GP_ROUNDTRIP_COUNT=N tries N random seeds (the long run). A failure prints its seed.
. "$(dirname "$0")/lib.sh"

GEN="$E2E_DIR/nasty_tree.py"
PATH_MAX_BYTES=4095

# One seed, in a directory of its own; prints nothing when the property holds.
roundtrip() {
  local seed=$1 d
  d=$(mktemp -d "$PWD/r.XXXX")
  (
    set -e
    cd "$d"
    mkdir -p site && cd site
    git init -q -b main .
    printf 'files\n' >.gitignore
    cat >.pantheon.toml <<'TOML'
site = "nasty"
framework = "other"
[env.dev]
database = "sqlite:db/dev.sqlite"
files = "files"
[env.test]
database = "sqlite:db/test.sqlite"
files = "../files-test"
TOML
    git add -A && git commit -q -m site
    mkdir files
    # Both environments' files directories are this long or shorter.
    local base=$PWD/files
    python3 "$GEN" generate "$base" "$seed" $((PATH_MAX_BYTES - 8))
    python3 "$GEN" list files >../want.txt
    python3 "$GEN" list files --no-link-times >../want-nolinktimes.txt

    expect_code 0 git pantheon backup create --element files
    expect_code 0 git pantheon backup verify --all
    local archive
    archive=$(ls "$PWD"/.git/pantheon/archives/*_files.tar.gz)

    # 1. Restore into test, judged by listing.
    expect_code 0 git pantheon restore dev@latest --to-env test --element files --yes
    python3 "$GEN" list ../files-test >../got-restore.txt
    diff -u ../want.txt ../got-restore.txt >&2 || fail "restore into test differs (seed $seed)"
    [ -z "$(find ../files-test -perm /6000 -print -quit)" ] || fail "a set-id bit was restored (seed $seed)"
    # Again, over the tree now there (a safety backup of it first).
    echo changed >../files-test/added-after
    expect_code 0 git pantheon restore dev@latest --to-env test --element files --yes
    python3 "$GEN" list ../files-test >../got-restore2.txt
    diff -u ../want.txt ../got-restore2.txt >&2 || fail "second restore into test differs (seed $seed)"
    # Nothing of ours is visible to git.
    assert_eq "$(git status --porcelain --ignored=no)" "" "git status after restore (seed $seed)"

    # 2. Plain tar of the same archive.
    mkdir ../x
    tar -xzf "$archive" -C ../x 2>../tar.err || fail "tar -xzf failed (seed $seed): $(cat ../tar.err)"
    python3 "$GEN" list ../x/files_dev --no-link-times >../got-tar.txt
    diff -u ../want-nolinktimes.txt ../got-tar.txt >&2 || fail "tar -xzf gives another tree (seed $seed)"

    # 3. import code --squash against git add -A of the same files.
    local judge
    judge=$(cd files && git init -q --bare ../../judge.git && git --git-dir=../../judge.git --work-tree=. add -A &&
      git --git-dir=../../judge.git --work-tree=. write-tree)
    mkdir ../i && cd ../i
    git init -q -b main .
    expect_code 0 git pantheon import code "$archive" --squash
    assert_eq "$(git rev-parse 'HEAD^{tree}')" "$judge" "import tree differs from git add -A (seed $seed)"
    assert_eq "$(git status --porcelain --ignored=no)" "" "git status after import (seed $seed)"
    git fsck --strict --no-progress >../fsck.txt 2>&1 || fail "git fsck after import (seed $seed): $(cat ../fsck.txt)"
  ) || {
    echo "round trip failed for seed $seed (run: python3 $GEN generate DIR $seed $((PATH_MAX_BYTES - 8)))" >&2
    return 1
  }
  chmod -R u+rwx "$d" 2>/dev/null
  rm -rf "$d"
}

test_roundtrip_of_nasty_trees() {
  local seeds=${GP_ROUNDTRIP_SEEDS:-"1 2 3 $((RANDOM * 32768 + RANDOM))"}
  if [ -n "${GP_ROUNDTRIP_COUNT:-}" ]; then
    seeds=$(python3 -c "import random,sys; r=random.Random(); print(' '.join(str(r.randrange(2**31)) for _ in range(int(sys.argv[1]))))" "$GP_ROUNDTRIP_COUNT")
  fi
  local n=0 s
  for s in $seeds; do
    roundtrip "$s" || fail "seed $s"
    n=$((n + 1))
  done
  echo "# round trip: $n seeds passed ($seeds)" | cut -c1-300 >&2
}

run_tests
