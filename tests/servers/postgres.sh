#!/usr/bin/env bash
# Starts/stops a private PostgreSQL on 127.0.0.1 and a socket directory in
# STATE_DIR. Password authentication (scram) over TCP, trust on the socket.
# Writes STATE_DIR/env with PG_PORT, PG_SOCKET_DIR, PG_SUPERUSER.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cmd=$1 dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -n "$bin" ] || { echo "postgresql is not installed" >&2; exit 1; }
as_pg() {  # initdb and pg_ctl refuse to run as root
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
start)
  "$0" stop "$dir" || true
  rm -rf "$dir" && mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ "$(id -u)" -ne 0 ] || chown postgres "$dir"
  port=$(free_port)
  super=$( [ "$(id -u)" -eq 0 ] && echo postgres || id -un )
  as_pg "$bin/initdb" -D "$dir/data" -U "$super" --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; exit 1; }
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c shared_buffers=32MB -c fsync=off" start >/dev/null ||
    { cat "$dir/log"; exit 1; }
  printf 'PG_PORT=%s\nPG_SOCKET_DIR=%s\nPG_SUPERUSER=%s\nPG_BIN=%s\n' "$port" "$dir" "$super" "$bin" >"$dir/env"
  echo "postgres: 127.0.0.1:$port, socket dir $dir"
  ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  ;;
*) echo "usage: $0 start|stop STATE_DIR" >&2; exit 2 ;;
esac
