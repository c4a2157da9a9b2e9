# Sourced by the benchmarks that drive the real gradstream-server and CLI.
#
# bench_setup NAME: server_bin and cli_bin from GRADSTREAM_SERVER_BIN and
# GRADSTREAM_CLI_BIN (default build/bin/ under root, which the caller sets),
# both checked to be built, jq checked, scripts/lib/server.sh sourced, work a
# fresh temporary directory, server_pid empty; on exit a live server_pid is
# killed and work removed. Failures print "NAME: ..." and exit 1.
bench_setup() {
  local name=$1 bin
  server_bin=${GRADSTREAM_SERVER_BIN:-$root/build/bin/gradstream-server}
  cli_bin=${GRADSTREAM_CLI_BIN:-$root/build/bin/gradstream}
  for bin in "$server_bin" "$cli_bin"; do
    [[ -x $bin ]] || { echo "$name: $bin not built" >&2; exit 1; }
  done
  command -v jq >/dev/null || { echo "$name: jq missing" >&2; exit 1; }
  source "$root/scripts/lib/server.sh"
  work=$(mktemp -d)
  server_pid=
  trap bench_cleanup EXIT
}

bench_cleanup() {
  [[ -n $server_pid ]] && kill -KILL "$server_pid" 2>/dev/null
  rm -rf "$work"
}
