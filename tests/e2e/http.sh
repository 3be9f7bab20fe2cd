# A local HTTP server for download tests (tests/servers/http_files.py), on
# loopback, on a free port. Source after lib.sh; call start_http ROOT, use
# $HTTP_URL, read $HTTP_LOG; the server is killed when the test's shell exits.
start_http() {
  local root=$1 i
  HTTP_LOG=$PWD/http.log
  : >"$HTTP_LOG"
  python3 "$GP_SOURCE_DIR/tests/servers/http_files.py" "$root" "$PWD/http.port" "$HTTP_LOG" &
  HTTP_PID=$!
  trap 'kill $HTTP_PID 2>/dev/null || true' EXIT
  for i in $(seq 1 100); do
    [ -s "$PWD/http.port" ] && break
    sleep 0.1
  done
  [ -s "$PWD/http.port" ] || fail "http server did not start"
  HTTP_URL="http://127.0.0.1:$(cat "$PWD/http.port")"
}
