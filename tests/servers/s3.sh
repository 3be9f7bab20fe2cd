#!/usr/bin/env bash
# Starts/stops moto_server (an S3-compatible service) on 127.0.0.1 for tests.
# Writes STATE_DIR/env with S3_ENDPOINT and test credentials.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cmd=$1 dir=$2
find_moto() {
  command -v moto_server 2>/dev/null && return
  for p in /root/.pyenv/shims/moto_server /usr/local/bin/moto_server "$HOME/.local/bin/moto_server"; do
    [ -x "$p" ] && { echo "$p"; return; }
  done
  return 1
}
case "$cmd" in
start)
  "$0" stop "$dir" || true
  rm -rf "$dir" && mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  moto=$(find_moto) || { echo "moto_server not found" >&2; exit 1; }
  port=$(free_port)
  setsid "$moto" -H 127.0.0.1 -p "$port" </dev/null >"$dir/log" 2>&1 &
  echo $! >"$dir/pid"
  wait_for 60 curl -sf -o /dev/null "http://127.0.0.1:$port/" ||
    { echo "moto_server did not start"; cat "$dir/log"; exit 1; }
  printf 'S3_ENDPOINT=http://127.0.0.1:%s\nS3_ACCESS_KEY=testing-key\nS3_SECRET_KEY=testing-secret\nMOTO_SERVER=%s\n' \
    "$port" "$moto" >"$dir/env"
  echo "s3: http://127.0.0.1:$port"
  ;;
stop)
  stop_pidfile "$dir/pid"
  ;;
*) echo "usage: $0 start|stop STATE_DIR" >&2; exit 2 ;;
esac
