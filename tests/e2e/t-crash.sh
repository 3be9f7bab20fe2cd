#!/usr/bin/env bash
# Crash injection: backup create, restore, import site and push are killed
# (SIGKILL) at their fault points (lib/util/fault.hpp; a GP_FAULT_INJECTION build),
# and after every kill the store, the repository, the target environment and the
# storage remote are checked, then the same command is run again (see
# crash_sweep.py for the invariants). Each operation prints
# "kill points survived/tried: X/Y".
# A sample of GP_CRASH_SAMPLE points (default 5, plus the points where bugs were
# found) per operation keeps this quick;
# GP_CRASH_ALL=1 tries every point (the long sweep, a few minutes per operation).
# needs: mariadb postgres s3
. "$(dirname "$0")/lib.sh"

sweep() {
  git pantheon version >/dev/null
  python3 "$E2E_DIR/crash_sweep.py" "$1" || fail "$1: a kill point broke an invariant (see above)"
}

test_backup_create_sqlite() { sweep backup-sqlite; }
test_backup_create_mariadb() { sweep backup-mariadb; }
test_restore_files_and_sqlite() { sweep restore-sqlite; }
test_restore_mariadb() { sweep restore-mariadb; }
test_restore_postgres() { sweep restore-postgres; }
test_import_site() { sweep import-site; }
test_push_file_storage() { sweep push-file; }
test_push_s3() { sweep push-s3; }

run_tests
