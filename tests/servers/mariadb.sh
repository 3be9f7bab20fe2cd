#!/usr/bin/env bash
# Starts/stops a private MariaDB on 127.0.0.1 and a socket in STATE_DIR, for tests.
# Writes STATE_DIR/env with MARIADB_PORT, MARIADB_SOCKET (root has no password on
# the socket; tests create their own users and databases).
set -euo pipefail
. "$(dirname "$0")/common.sh"
cmd=$1 dir=$2
case "$cmd" in
start)
  "$0" stop "$dir" || true
  rm -rf "$dir" && mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  port=$(free_port)
  user=$(id -un)
  mariadb-install-db --no-defaults --datadir="$dir/data" --user="$user" \
    --auth-root-authentication-method=normal >"$dir/install.log" 2>&1 ||
    { cat "$dir/install.log"; exit 1; }
  setsid mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/sock" --bind-address=127.0.0.1 \
    --port="$port" --user="$user" --pid-file="$dir/pid" --skip-name-resolve \
    --innodb-buffer-pool-size=64M --log-error="$dir/error.log" </dev/null >/dev/null 2>&1 &
  wait_for 60 mariadb --no-defaults -uroot --socket="$dir/sock" -e 'SELECT 1' ||
    { echo "mariadb did not start"; cat "$dir/error.log"; exit 1; }
  # A fresh data directory has anonymous users that shadow 'user'@'%' over TCP.
  mariadb --no-defaults -uroot --socket="$dir/sock" -e "DELETE FROM mysql.user WHERE user=''; FLUSH PRIVILEGES;"
  printf 'MARIADB_PORT=%s\nMARIADB_SOCKET=%s\n' "$port" "$dir/sock" >"$dir/env"
  echo "mariadb: 127.0.0.1:$port, socket $dir/sock"
  ;;
stop)
  stop_pidfile "$dir/pid"
  ;;
*) echo "usage: $0 start|stop STATE_DIR" >&2; exit 2 ;;
esac
