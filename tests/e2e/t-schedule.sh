#!/usr/bin/env bash
# Issue 15: automatic backups on the machine's scheduler, retention policies,
# protected backups and trial restores. The real user's crontab and systemd are
# never touched: `crontab` and `systemctl` are stand-ins on PATH keeping their
# state under this test's HOME; the systemd units are judged by the real
# `systemd-analyze verify`, the cron line by its format and by running it.
. "$(dirname "$0")/lib.sh"

# Stand-ins: crontab keeps the table in $HOME/crontab (as `crontab -l` / `crontab FILE`
# do); systemctl logs its arguments and fails `show-environment` unless
# $FAKE_SYSTEMD is set (a machine without a user manager).
fake_tools() {
  mkdir -p "$HOME/bin"
  cat >"$HOME/bin/crontab" <<'SH'
#!/bin/sh
t="$HOME/crontab"
case "$1" in
  -l) [ -f "$t" ] || { echo "no crontab for $(id -un)" >&2; exit 1; }; cat "$t" ;;
  -*) echo "fake crontab: unsupported $1" >&2; exit 2 ;;
  *) cp "$1" "$t" ;;
esac
SH
  cat >"$HOME/bin/systemctl" <<'SH'
#!/bin/sh
echo "$*" >>"$HOME/systemctl.log"
[ "$2" = show-environment ] && [ -z "${FAKE_SYSTEMD:-}" ] && { echo "Failed to connect to bus" >&2; exit 1; }
exit 0
SH
  chmod +x "$HOME/bin/crontab" "$HOME/bin/systemctl"
  export PATH="$HOME/bin:$PATH"
}

# A site with dev and live on SQLite (table t with one row), files beside them.
schedule_site() {
  new_repo site
  mkdir -p db files/sub
  sqlite3 db/dev.sqlite "CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('v1'); CREATE TABLE u(x INTEGER);"
  sqlite3 db/live.sqlite "CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('live');"
  echo a >files/a.txt && echo b >files/sub/b.txt
  mkdir -p ../live-files && echo l >../live-files/l.txt
  printf 'db/\nfiles/\n' >.gitignore
  printf 'site = "shop"\n[env.dev]\ndatabase = "sqlite:db/dev.sqlite"\nfiles = "files"\n[env.live]\ndatabase = "sqlite:db/live.sqlite"\nfiles = "../live-files"\n%s' "${1:-}" >.pantheon.toml
  commit_all "config"
}

test_cron_enable_disable_keeps_other_lines_byte_for_byte() {
  fake_tools
  schedule_site
  printf '# my own jobs\nMAILTO=me@example.invalid\n*/5 * * * * /usr/bin/true  # keep %% me\n\n0 1 * * 0 echo weekly\n' >"$HOME/crontab"   # crontab(1) refuses a table without its last newline
  cp "$HOME/crontab" ../before
  expect_code 0 git pantheon backup schedule enable --env dev --env live --daily 03:15 --weekly sat
  assert_contains "$OUT" "crontab: 15 3 * * *"
  expect_code 0 crontab -l
  lines=$(printf '%s\n' "$OUT" | grep -c '# git-pantheon schedule shop ')
  assert_eq "$lines" 2 "one line per environment"
  line=$(printf '%s\n' "$OUT" | grep '# git-pantheon schedule shop dev$')
  # Five time fields, then the command that runs the documented verb.
  printf '%s\n' "$line" | grep -Eq '^15 3 \* \* \* /[^ ]+/git-pantheon -C /[^ ]+ -q backup schedule run --env dev --weekly sat --verify-restore weekly >/dev/null # git-pantheon schedule shop dev$' ||
    fail "cron line not as documented: $line"
  expect_code 0 git pantheon backup schedule status --env dev
  assert_contains "$OUT" "next run: daily at 03:15"
  # Enabling again replaces, never duplicates.
  expect_code 0 git pantheon backup schedule enable --env dev --daily 04:00
  assert_eq "$(crontab -l | grep -c 'schedule shop dev$')" 1
  # The cron line's command runs (as cron would: sh -c, elsewhere).
  cmd=$(crontab -l | grep 'schedule shop dev$' | cut -d' ' -f6- | sed 's/ # git-pantheon schedule shop dev$//')
  (cd / && sh -c "$cmd") || fail "the cron command failed: $cmd"
  expect_code 0 git pantheon backup list --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get '[b["initiator"] for b in d]')" "['automated']"
  expect_code 0 git pantheon backup schedule disable --env dev --env live
  cmp "$HOME/crontab" ../before || fail "disable changed other crontab lines: $(diff ../before "$HOME/crontab")"
}

test_systemd_units_pass_systemd_analyze_verify() {
  fake_tools
  schedule_site
  export XDG_CONFIG_HOME="$HOME/xdg"
  FAKE_SYSTEMD=1 expect_code 0 git pantheon backup schedule enable --env live --scheduler systemd
  d="$XDG_CONFIG_HOME/systemd/user"
  [ -f "$d/git-pantheon-shop-live.timer" ] && [ -f "$d/git-pantheon-shop-live.service" ] || fail "units not written: $(ls -R "$HOME")"
  grep -q '^Persistent=true$' "$d/git-pantheon-shop-live.timer" || fail "no Persistent=true"
  grep -q '^RandomizedDelaySec=' "$d/git-pantheon-shop-live.timer" || fail "no RandomizedDelaySec"
  grep -q 'enable --now git-pantheon-shop-live.timer' "$HOME/systemctl.log" || fail "timer not enabled: $(cat "$HOME/systemctl.log")"
  command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (scripts/install-deps.sh installs systemd)"
  out=$(cd "$d" && systemd-analyze verify --man=no ./git-pantheon-shop-live.timer ./git-pantheon-shop-live.service 2>&1) ||
    fail "systemd-analyze verify: $out"
  [ -z "$out" ] || fail "systemd-analyze verify complained: $out"
  # --scheduler print writes the same units to stdout and installs nothing.
  expect_code 0 git pantheon backup schedule enable --env dev --scheduler print --daily random
  assert_contains "$OUT" "FixedRandomDelay=true"
  assert_contains "$OUT" "# git-pantheon schedule shop dev"
  [ ! -e "$d/git-pantheon-shop-dev.timer" ] || fail "print installed a unit"
  FAKE_SYSTEMD=1 expect_code 0 git pantheon backup schedule disable --env live
  [ ! -e "$d/git-pantheon-shop-live.timer" ] || fail "disable left the timer"
}

test_run_twice_under_the_lock_one_backup_one_clean_line() {
  fake_tools
  schedule_site
  export GP_TEST_NOW=2026-11-24T03:00:00Z   # a Tuesday
  expect_code 0 git pantheon backup schedule run --env dev --weekly sun
  assert_contains "$OUT" " ok backup=pantheon/backup/dev/2026-11-24T03-00-00 kind=daily"
  expect_code 0 git pantheon backup schedule run --env dev --weekly sun
  assert_contains "$OUT" " skipped an automated backup was made at"
  assert_eq "$(git tag -l 'pantheon/backup/dev/*' | wc -l)" 1
  # Two at once: one backs up, the other waits for the lock and then skips.
  export GP_TEST_NOW=2026-11-29T03:00:00Z   # Sunday: the weekly
  git pantheon backup schedule run --env dev --weekly sun >../r1 2>&1 &
  git pantheon backup schedule run --env dev --weekly sun >../r2 2>&1 &
  wait
  assert_eq "$(git tag -l 'pantheon/backup/dev/*' | wc -l)" 2
  assert_eq "$(cat ../r1 ../r2 | grep -c ' ok backup=')" 1 "one run backs up"
  assert_eq "$(cat ../r1 ../r2 | grep -c ' skipped ')" 1 "the other logs a clean skip"
  tag=pantheon/backup/dev/2026-11-29T03-00-00
  assert_eq "$(manifest "$tag" 'd["backup"]["schedule"]')" "weekly"
  assert_eq "$(manifest "$tag" 'd["backup"]["expires"][:10]')" "2026-12-31" "weekly kept 32 days"
  assert_contains "$(cat ../r1 ../r2)" "trial-restore=ok"
  log=.git/pantheon/log/schedule.log
  assert_eq "$(wc -l <"$log")" 4 "one log line per run"
  expect_code 0 git pantheon backup schedule status --env dev --format=json
  assert_eq "$(printf '%s' "$OUT" | json_get 'len(d[0]["runs"])')" 4
  # A held lock past the wait: logged as skipped, no backup.
  export GP_TEST_NOW=2026-11-30T03:00:00Z
  flock .git/pantheon/lock sleep 5 &
  sleep 1
  expect_code 0 git pantheon backup schedule run --env dev --lock-wait 1s
  assert_contains "$OUT" " skipped store lock still held"
  wait
}

# Backups at given times (GP_TEST_NOW), one a day for 40 days, then prune by policy.
make_history() {
  local i
  for i in $(seq 0 39); do
    GP_TEST_NOW=$(date -u -d "@$((1767268800 + i * 86400))" +%Y-%m-%dT%H:%M:%SZ) \
      git pantheon -q backup create --env dev --element db --keep-for 1000d >/dev/null || fail "backup $i"
  done
}

test_prune_policy_dry_run_explains_and_protected_survive() {
  schedule_site
  make_history
  export GP_TEST_NOW=2026-03-01T00:00:00Z TZ=UTC
  expect_code 0 git pantheon backup protect dev@2026-01-03 -m "before the migration"
  assert_contains "$OUT" "protected pantheon/backup/dev/2026-01-03T12-00-00"
  git tag -l 'pantheon/protected/*' | grep -q 'pantheon/protected/dev/2026-01-03T12-00-00' || fail "no protection tag"
  expect_code 0 git pantheon backup prune --dry-run --keep-daily 7 --keep-weekly 2
  assert_contains "$OUT" "keep pantheon/backup/dev/2026-02-09T12-00-00 (keep-daily, keep-weekly)"
  assert_contains "$OUT" "keep pantheon/backup/dev/2026-01-03T12-00-00 (protected by Site Owner <owner@example.invalid>: before the migration)"
  assert_contains "$OUT" "would remove pantheon/backup/dev/2026-01-02T12-00-00 (not kept by the policy"
  assert_eq "$(git tag -l 'pantheon/backup/dev/*' | wc -l)" 40 "dry run removes nothing"
  expect_code 0 git pantheon backup prune --dry-run --keep-daily 7 --keep-weekly 2 --format=json
  printf '%s' "$OUT" | json_get 'all(b["reasons"] for b in d["backups"])' | grep -qx True || fail "a backup without a reason"
  kept=$(printf '%s' "$OUT" | json_get 'sum(1 for b in d["backups"] if b["keep"])')
  expect_code 0 git pantheon backup prune --keep-daily 7 --keep-weekly 2
  assert_eq "$(git tag -l 'pantheon/backup/dev/*' | wc -l)" "$kept"
  git rev-parse -q --verify refs/tags/pantheon/backup/dev/2026-01-03T12-00-00 >/dev/null || fail "protected backup pruned"
  # Expiry and the post-commit count do not remove it either.
  GP_TEST_NOW=2030-01-01T00:00:00Z expect_code 0 git pantheon backup prune
  git rev-parse -q --verify refs/tags/pantheon/backup/dev/2026-01-03T12-00-00 >/dev/null || fail "expired protected backup pruned"
  expect_code 0 git pantheon backup verify --all
  expect_code 0 git pantheon backup unprotect dev@2026-01-03
  GP_TEST_NOW=2030-01-01T00:00:00Z expect_code 0 git pantheon backup prune
  assert_eq "$(git tag -l 'pantheon/backup/dev/*' | wc -l)" 0
  ls .git/pantheon/archives | grep -q . && fail "archives left: $(ls .git/pantheon/archives)"
  git fsck --strict >/dev/null 2>&1 || fail "git fsck"
}

test_retention_table_and_keep_last() {
  schedule_site $'[retention]\nkeep_last = 3\n'
  make_history
  export GP_TEST_NOW=2026-03-01T00:00:00Z
  expect_code 0 git pantheon backup prune
  assert_eq "$(git tag -l 'pantheon/backup/dev/*' | sort | tr '\n' ' ')" \
    "pantheon/backup/dev/2026-02-07T12-00-00 pantheon/backup/dev/2026-02-08T12-00-00 pantheon/backup/dev/2026-02-09T12-00-00 "
  expect_code 2 git pantheon backup prune --keep-last nope
  expect_code 2 git pantheon backup prune --keep-within 3q
}

test_trial_restore_sqlite_and_files() {
  schedule_site
  expect_code 0 git pantheon backup create --env dev
  before=$(cd .. && find site/db site/files -type f -exec sha256sum {} + | sort)
  expect_code 0 git pantheon backup verify --restore
  assert_contains "$OUT" "2 tables restored into a scratch SQLite file"
  assert_contains "$OUT" "entries extracted"
  assert_contains "$OUT" "trial restore of 1 backups passed"
  assert_eq "$(cd .. && find site/db site/files -type f -exec sha256sum {} + | sort)" "$before" "environment untouched"
  [ -z "$(ls -A .git/pantheon/tmp)" ] || fail "scratch left: $(ls .git/pantheon/tmp)"
  # A damaged archive fails the trial.
  f=$(ls .git/pantheon/archives/*files.tar.gz)
  printf 'x' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null
  expect_code 7 git pantheon backup verify --restore
  assert_contains "$OUT" "FAILED"
}

run_tests
