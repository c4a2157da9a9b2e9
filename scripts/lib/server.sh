# Sourced by the end-to-end tests and benchmarks that need a gradstream-server
# on a free loopback port.
#
# start_server BIN LOG [FLAGS...]: starts BIN --listen 127.0.0.1:0
# --metrics-address 127.0.0.1:0 FLAGS... with its log in LOG (a later
# --metrics-address in FLAGS wins), waits for the port it reports, sets
# server_pid and exports GRADSTREAM_SERVER for the CLI, and
# GRADSTREAM_METRICS_PORT when the server serves /metrics. Returns 1, with the
# log on stderr, if the server never reports a port.
start_server() {
  local bin=$1 log=$2
  shift 2
  # Emptied here, not by the child's redirection: the loop below must never
  # read a previous server's port from the same log.
  : >"$log"
  "$bin" --listen 127.0.0.1:0 --metrics-address 127.0.0.1:0 "$@" 2>>"$log" &
  server_pid=$!
  local port=
  for _ in $(seq 1 100); do  # 10 s
    port=$(grep -o '"port":[0-9]*' "$log" | head -n1 | cut -d: -f2 || true)
    [[ -n $port ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $port ]]; then
    echo "server did not report its port: $(cat "$log")" >&2
    return 1
  fi
  export GRADSTREAM_SERVER=127.0.0.1:$port
  unset GRADSTREAM_METRICS_PORT
  local metrics_port
  metrics_port=$(grep -o '"metrics_port":[0-9]*' "$log" | head -n1 | cut -d: -f2 || true)
  if [[ -n $metrics_port ]]; then export GRADSTREAM_METRICS_PORT=$metrics_port; fi
}
