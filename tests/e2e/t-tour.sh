#!/usr/bin/env bash
# The README's "60-second tour", read from README.md and run as written on a fresh
# site (the demo site: git repository, SQLite database, files, never initialised).
# Each line's outcome is named below; a line the test does not know fails it, so
# the README and this test change together.
. "$(dirname "$0")/lib.sh"

# The tour's command lines, comments removed, one per line.
tour_lines() {
  sed -n '/^## A 60-second tour/,/^## /p' "$GP_SOURCE_DIR/README.md" |
    sed -n '/^```sh$/,/^```$/p' | sed '1d;$d' | sed -E 's/[[:space:]]+#[[:space:]].*$//'
}

# What a refused command must leave as it was: refs, the store's archives and
# journals, the work tree, the database and the files.
site_state() {
  git for-each-ref --format='%(refname) %(objectname)'
  git status --porcelain --ignored
  (cd "$(git rev-parse --git-common-dir)/pantheon" && find . -path ./lock -prune -o -print | sort)
  sqlite3 sites/default/files/.ht.sqlite .dump | sha256sum
  (cd sites/default/files && find . -print | sort | xargs -d '\n' -n50 ls -ld --time-style=+%s | sha256sum)
  sha256sum .pantheon.toml
  ls -a ..
}

test_readme_tour_runs_as_written_on_a_fresh_site() {
  python3 "$GP_SOURCE_DIR/scripts/make-demo-site.py" my-drupal-site >/dev/null
  local line want words before ran=0
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    case "$line" in
      "cd my-drupal-site")
        cd my-drupal-site
        continue
        ;;
      "git pantheon init" | "git pantheon env list" | "git pantheon backup create" | "git pantheon backup list" | \
        "git pantheon deploy test" | "git pantheon deploy live" | "git pantheon env code-log" | \
        "git pantheon checkout live" | "git pantheon hooks install" | "git pantheon help backup")
        want=0
        ;;
      # Content into test: live has no backup yet, test has no database or files
      # (a code environment): refused with one line, nothing changed.
      "git pantheon restore live@latest --to-env test" | "git pantheon restore --undo --to-env test" | \
        "git pantheon env clone-content live test")
        want=5
        ;;
      # Imports and push need archives, repositories and a storage remote that a
      # fresh site does not have: covered by t-import-*.sh and t-push.sh.
      "git pantheon import "* | "git pantheon push "*) continue ;;
      *) fail "README tour line not covered by t-tour.sh: '$line'" ;;
    esac
    read -ra words <<<"$line"
    [ "$want" -eq 0 ] || before=$(site_state)
    expect_code "$want" "${words[@]}" </dev/null
    ran=$((ran + 1))
    if [ "$want" -ne 0 ]; then
      assert_one_line_error ""
      assert_eq "$(printf '%s\n' "$ERR" | grep -vc '^hint: ')" 1 "'$line' printed more than one error line"
      assert_eq "$(site_state)" "$before" "'$line' changed the site"
    fi
    case "$line" in
      "git pantheon init")
        for env in dev test live; do grep -q "^\[env\.$env\]" .pantheon.toml || fail "init wrote no [env.$env]"; done
        ;;
      "git pantheon env list")
        assert_contains "$OUT" "sqlite sites/default/files/.ht.sqlite"
        assert_eq "$(printf '%s\n' "$OUT" | awk '$1=="test" || $1=="live" {print $1, $2, $3}' | sort)" \
          "$(printf 'live (none) (none)\ntest (none) (none)')"
        ;;
      "git pantheon backup create")
        tag=$(git tag -l 'pantheon/backup/dev/*')
        assert_eq "$(manifest "$tag" 'd["backup"]["elements"]')" "['code', 'database', 'files']"
        ;;
      "git pantheon backup list") assert_contains "$OUT" "$tag" ;;
      "git pantheon env clone-content live test") assert_contains "$ERR" "environment 'test' has no database" ;;
      "git pantheon deploy test") assert_eq "$(git rev-parse 'pantheon_test_1^{commit}')" "$(git rev-parse main)" ;;
      "git pantheon deploy live") assert_eq "$(git rev-parse 'pantheon_live_1^{commit}')" "$(git rev-parse pantheon_test_1^{commit})" ;;
      "git pantheon env code-log") assert_contains "$(printf '%s\n' "$OUT" | head -n1)" "[test,live]" ;;
      "git pantheon checkout live")
        assert_eq "$(git symbolic-ref --short HEAD)" "live-1"
        assert_eq "$(git rev-parse HEAD)" "$(git rev-parse 'pantheon_live_1^{commit}')"
        ;;
    esac
  done < <(tour_lines)
  [ "$ran" -ge 13 ] || fail "only $ran tour lines ran: is the tour still in README.md?"
  git fsck --strict --no-dangling >/dev/null 2>&1 || fail "git fsck fails after the tour"
}

run_tests
