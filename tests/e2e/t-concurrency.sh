#!/usr/bin/env bash
# Concurrency: 8 git-pantheon processes at once on one repository (backup create,
# backup list, backup prune, push to file:// storage), several rounds, with and
# without waiting for the lock. Every command must succeed or refuse with the lock
# error (exit 8); afterwards the repository must be consistent: backup verify --all
# passes, every backup tag has its archives locally, every tag on the git remote
# has its archives in the storage (sha256 as in the manifest), no orphan archive,
# no temporary or journal leftovers, git fsck --strict clean. Some backups are
# made at a pinned second (GP_TEST_NOW), two at once in even rounds, and the
# database changes between rounds, while prunes remove them: a backup name is
# never given twice (one name, one content, locally, on the remote and in the
# storage).
. "$(dirname "$0")/lib.sh"

ROUNDS=${GP_CONCURRENCY_ROUNDS:-4}
PINNED=2026-01-01T00:00:00Z  # expired (keep-for 1h) for every prune
LATER=2100-01-01T00:00:00Z

manifest_files() {  # the archive file names and sha256s in a tag's manifest
  git ${2:+--git-dir="$2"} cat-file tag "$1" | sed '1,/^$/d' | sed '1,/^$/d' |
    python3 -c 'import sys,tomllib; d=tomllib.loads(sys.stdin.read()); [print(a["file"], a["sha256"]) for a in d["archive"]]'
}

site_with_origin() {  # a demo site in ./site (the cwd after), pushed to ../remote.git, storage ../storage
  git init -q --bare remote.git
  mkdir storage
  python3 "$GP_SOURCE_DIR/scripts/make-demo-site.py" site >/dev/null
  cd site
  git pantheon init -q
  printf '\n[storage.origin]\nurl = "file://%s/storage"\n' "$(cd .. && pwd)" >>.pantheon.toml
  git add .pantheon.toml && git commit -q -m "git-pantheon config"
  git remote add origin ../remote.git
  git push -q origin main
}

test_eight_processes_on_one_repository() {
  site_with_origin
  git pantheon -q backup create
  local runs=0 refused=0 bad=0 round i rc lockwait now
  for round in $(seq "$ROUNDS"); do
    # Odd rounds wait for the lock (all must succeed), even ones do not (exit 8 allowed).
    lockwait=120
    [ $((round % 2)) -eq 1 ] || lockwait=0
    for i in 1 2 3 4 5 6 7 8; do
      case $((i % 4)) in
      1) cmd=(git pantheon backup create --keep-for 1h) ;;
      2) cmd=(git pantheon backup list --format=json) ;;
      # One prune in two runs "a century later": it expires every backup.
      3) cmd=(git pantheon backup prune) ;;
      0) cmd=(git pantheon push) ;;
      esac
      now=
      [ $((i % 4)) -ne 3 ] || [ $(((i + round) % 2)) -eq 0 ] || now=$LATER
      # Backups at the pinned second: one per round, two at once in even rounds.
      [ "$i" -ne 5 ] || now=$PINNED
      [ "$i" -ne 1 ] || [ $((round % 2)) -ne 0 ] || now=$PINNED
      (
        export GIT_PANTHEON_LOCK_WAIT=$lockwait GP_TEST_NOW=$now
        [ -n "$now" ] || unset GP_TEST_NOW
        rc=0
        "${cmd[@]}" >"../out.$round.$i" 2>"../err.$round.$i" || rc=$?
        echo "$rc" >"../rc.$round.$i"
      ) &
    done
    wait
    # Other content for the next round's backups of the same (pinned) second.
    sqlite3 sites/default/files/.ht.sqlite "CREATE TABLE IF NOT EXISTS gp_round (n); INSERT INTO gp_round VALUES ($round);"
    for i in 1 2 3 4 5 6 7 8; do
      runs=$((runs + 1))
      rc=$(cat "../rc.$round.$i")
      if [ "$rc" -eq 0 ]; then
        continue
      elif [ "$rc" -eq 8 ] && [ "$lockwait" -eq 0 ] &&
        [ "$(grep -c . "../err.$round.$i")" -le 2 ] &&
        grep -q "^git-pantheon: error: cannot lock .*another git-pantheon command is running" "../err.$round.$i"; then
        refused=$((refused + 1))
      else
        bad=$((bad + 1))
        echo "round $round process $i exited $rc: $(cat "../err.$round.$i")" >&2
      fi
    done
  done
  # Every backup list printed valid JSON.
  for f in ../out.*.2 ../out.*.6; do
    [ ! -s "$f" ] || python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$f" || { bad=$((bad + 1)); echo "bad JSON in $f" >&2; }
  done

  # The repository afterwards.
  local inconsistent=0 tag f sha referenced
  note() { inconsistent=$((inconsistent + 1)); echo "inconsistent: $*" >&2; }
  referenced=$(mktemp)
  for tag in $(git tag -l 'pantheon/backup/*'); do
    while read -r f sha; do
      echo "$f" >>"$referenced"
      [ -f ".git/pantheon/archives/$f" ] || note "$tag: $f is not in the local store"
      [ ! -f ".git/pantheon/archives/$f" ] || [ "$(sha256sum ".git/pantheon/archives/$f" | cut -d' ' -f1)" = "$sha" ] ||
        note "$tag: local $f differs from its manifest"
    done < <(manifest_files "$tag")
  done
  for f in .git/pantheon/archives/*; do
    [ -e "$f" ] || continue
    grep -qxF "$(basename "$f")" "$referenced" || note "orphan archive $(basename "$f")"
  done
  local stored_ref
  stored_ref=$(mktemp)
  for tag in $(git --git-dir=../remote.git tag -l 'pantheon/backup/*'); do
    while read -r f sha; do
      echo "$f" >>"$stored_ref"
      [ -f "../storage/$f" ] || { note "remote tag $tag: $f is not in the storage"; continue; }
      [ "$(sha256sum "../storage/$f" | cut -d' ' -f1)" = "$sha" ] || note "remote tag $tag: stored $f differs from its manifest"
    done < <(manifest_files "$tag" ../remote.git)
  done
  for f in ../storage/*; do
    [ -f "$f" ] || continue
    grep -qxF "$(basename "$f")" "$stored_ref" "$referenced" || note "stored archive $(basename "$f") belongs to no tag"
  done
  # One name, one content: no archive name with two sha256s among the local and
  # the remote tags, and a tag on both sides is the same tag object.
  local seen dup
  seen=$(mktemp)
  for tag in $(git tag -l 'pantheon/backup/*'); do manifest_files "$tag" >>"$seen"; done
  for tag in $(git --git-dir=../remote.git tag -l 'pantheon/backup/*'); do
    manifest_files "$tag" ../remote.git >>"$seen"
    ! git rev-parse -q --verify "refs/tags/$tag" >/dev/null ||
      [ "$(git rev-parse "refs/tags/$tag")" = "$(git --git-dir=../remote.git rev-parse "refs/tags/$tag")" ] ||
      note "tag $tag differs between the repository and the remote"
  done
  for dup in $(sort -u "$seen" | cut -d' ' -f1 | uniq -d); do note "archive name $dup has two contents"; done
  [ -z "$(find .git/pantheon/tmp .git/pantheon/pending ../storage/.gp-tmp -mindepth 1 2>/dev/null)" ] ||
    note "leftovers: $(find .git/pantheon/tmp .git/pantheon/pending ../storage/.gp-tmp -mindepth 1 2>/dev/null)"
  git fsck --strict --no-progress >../fsck.out 2>&1 || note "git fsck: $(cat ../fsck.out)"
  git --git-dir=../remote.git fsck --strict --no-progress >../fsck.out 2>&1 || note "git fsck (remote): $(cat ../fsck.out)"
  expect_code 0 git pantheon backup verify --all
  local ntags
  ntags=$(git tag -l 'pantheon/backup/*' | wc -l)
  echo "# concurrency: $runs runs ($refused refused with the lock error), $bad other outcomes, $inconsistent inconsistencies; $ntags backups left, $(git --git-dir=../remote.git tag -l 'pantheon/backup/*' | wc -l) on the remote" >&2
  [ "$bad" -eq 0 ] || fail "$bad commands neither succeeded nor refused with the lock error"
  [ "$inconsistent" -eq 0 ] || fail "$inconsistent inconsistencies"
  [ "$refused" -gt 0 ] || echo "# note: no lock refusal happened in this run" >&2
}

# A backup pushed, then pruned locally: a new backup at the same second (pinned
# clock) gets the next free name, so the remote's tag keeps the bytes its manifest
# records, and the new backup pushes beside it.
test_a_pruned_name_is_not_reused() {
  site_with_origin
  export GP_TEST_NOW=2026-11-25T12:00:00Z
  expect_code 0 git pantheon backup create --element db --keep-for 1h
  first=$(git tag -l 'pantheon/backup/dev/*')
  expect_code 0 git pantheon push
  GP_TEST_NOW=$LATER expect_code 0 git pantheon backup prune
  assert_eq "$(git tag -l 'pantheon/backup/*')" "" "prune left a tag"
  sqlite3 sites/default/files/.ht.sqlite "CREATE TABLE later (n); INSERT INTO later VALUES (1);"
  expect_code 0 git pantheon backup create --element db --keep-for 1h
  second=$(git tag -l 'pantheon/backup/dev/*')
  assert_eq "$second" "pantheon/backup/dev/2026-11-25T12-00-01" "the new backup's name"
  # Two at once at the pinned second: both are made, under names of their own.
  git pantheon -q backup create --element db >../a.out 2>&1 &
  git pantheon -q backup create --element db >../b.out 2>&1 &
  wait
  assert_eq "$(git tag -l 'pantheon/backup/dev/*' | wc -l)" 3 "backups at one second: $(cat ../a.out ../b.out)"
  expect_code 0 git pantheon push
  local tag f sha
  for tag in $(git --git-dir=../remote.git tag -l 'pantheon/backup/*'); do
    while read -r f sha; do
      assert_eq "$(sha256sum "../storage/$f" | cut -d' ' -f1)" "$sha" "stored $f of remote tag $tag"
    done < <(manifest_files "$tag" ../remote.git)
  done
  assert_eq "$(git --git-dir=../remote.git tag -l 'pantheon/backup/*' | wc -l)" 4 "tags on the remote"
}

run_tests
