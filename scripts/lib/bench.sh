# Sourced by the benchmarks that drive the real gradstream-server and CLI.
#
# bench_setup NAME: server_bin and cli_bin from GRADSTREAM_SERVER_BIN and
# GRADSTREAM_CLI_BIN (default build/bin/ under root, which the caller sets),
# both checked to be built, jq checked, scripts/lib/server.sh sourced, work a
# fresh temporary directory, server_pid empty, bench_pids empty; on exit a
# live server_pid and every pid in bench_pids (background clients) are killed
# and work removed. Failures print "NAME: ..." and exit 1.
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
  bench_pids=()
  trap bench_cleanup EXIT
}

bench_cleanup() {
  local pid
  for pid in "${bench_pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  [[ -n $server_pid ]] && kill -KILL "$server_pid" 2>/dev/null
  rm -rf "$work"
}


# wait_job JOB: polls until JOB has ended; prints its final state.
wait_job() {
  local state
  while state=$("$cli_bin" get "$1" --json | grep -o '"state":"[A-Z_]*"' | head -n1 | cut -d'"' -f4)
    [[ $state == QUEUED || $state == RUNNING ]]; do
    sleep 0.5
  done
  echo "$state"
}

# training_seconds JOB LABEL: the sum of the ended JOB's epoch events'
# `seconds` (the training loop; the job's data loading is outside it), read by
# replaying its events, which costs the run nothing. Logs the figure with
# LABEL on stderr.
training_seconds() {
  local events
  events=$("$cli_bin" watch "$1" --json)
  local steps
  steps=$(grep -c '"step":{' <<<"$events" || true)
  grep -o '"epoch":{[^}]*' <<<"$events" | grep -o '"seconds":[0-9.e+-]*' | cut -d: -f2 |
    awk -v job="$1" -v label="$2" -v steps="$steps" \
      '{ s += $1; n++ } END { printf "%s %s: %d epochs, %d step events, %.3f s\n", job, label, n, steps, s > "/dev/stderr"; printf "%.3f\n", s }'
}

# median: of the numbers on stdin, one per line.
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# step_event_spec ROOT EPOCHS OUT: writes ROOT/examples/fashion-mnist-mlp.json
# with EPOCHS epochs and reporting.stepEvery 1 to OUT; returns 1 when either
# field could not be set (the example changed shape).
step_event_spec() {
  local root=$1 epochs=$2 out=$3
  sed -E -e "s/\"epochs\": *[0-9]+/\"epochs\": $epochs/" -e 's/"stepEvery": *[0-9]+/"stepEvery": 1/' \
    "$root/examples/fashion-mnist-mlp.json" >"$out"
  grep -q "\"epochs\": $epochs" "$out" && grep -q '"stepEvery": 1' "$out"
}
