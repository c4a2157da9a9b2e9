#!/usr/bin/env bash
# What CreateJobs cost a server and the job it trains.
#  1. A burst: gradstream-load-bench sends --burst CreateJobs (default 1000) of
#     examples/fashion-mnist-mlp.json from one client, 8 in flight, to a fresh
#     server (the first CreateJob of its process included), and asks the
#     health service every 10 ms meanwhile; prints the wall time and the
#     create and health latency percentiles.
#  2. A job's slowdown: trains the example with --epochs epochs alone, then
#     with 20 CreateJobs sent 1 s after it started running (they queue behind
#     it), alternating, each run on a fresh server (--threads-per-job 2).
#     Prints each run's training seconds, the medians and the slowdown in %.
# usage: bench/create_load.sh [--runs N] [--epochs N] [--burst N]   (defaults 3, 10, 1000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
load_bin=${GRADSTREAM_LOAD_BENCH_BIN:-$root/build/bin/gradstream-load-bench}
runs=3
epochs=10
burst=1000
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --burst) burst=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--epochs N] [--burst N]" >&2; exit 2 ;;
  esac
done
readonly kThreadsPerJob=2
readonly kCreatesDuringJob=20

source "$root/scripts/lib/bench.sh"
bench_setup create_load
[[ -x $load_bin ]] || { echo "create_load: $load_bin not built" >&2; exit 1; }
die() { echo "create_load: $*" >&2; exit 1; }
spec=$root/examples/fashion-mnist-mlp.json
sed -E "s/\"epochs\": *[0-9]+/\"epochs\": $epochs/" "$spec" >"$work/spec.json"
grep -q "\"epochs\": $epochs" "$work/spec.json" || die "could not set epochs in the example spec"

# fresh_server: a new server on an empty data dir.
fresh_server() {
  rm -rf "$work/var"
  start_server "$server_bin" "$work/server.log" --data-dir "$work/var" \
    --threads-per-job $kThreadsPerJob --max-queued-jobs $((burst + 100)) || die "server did not start"
}
stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || die "server exited $? on SIGTERM"
  server_pid=
}

echo "== burst: $burst CreateJobs from one client, health every 10 ms"
fresh_server
"$load_bin" "$spec" --jobs "$burst" --clients 8 || die "the burst had failures"
stop_server

# run_job alone|loaded: trains the spec once on a fresh server, prints its training seconds.
run_job() {
  fresh_server
  local job state
  job=$("$cli_bin" submit "$work/spec.json")
  if [[ $1 == loaded ]]; then
    while [[ $("$cli_bin" get "$job" --json) != *'"state":"RUNNING"'* ]]; do sleep 0.1; done
    sleep 1
    "$load_bin" "$spec" --jobs $kCreatesDuringJob --clients 4 >"$work/load.txt" ||
      die "CreateJobs during the job failed: $(cat "$work/load.txt")"
  fi
  state=$(wait_job "$job")
  [[ $state == SUCCEEDED ]] || die "$job ended $state"
  training_seconds "$job" "$1"
  stop_server
}

echo "== slowdown: the job alone and with $kCreatesDuringJob CreateJobs during it, $runs runs each"
: >"$work/alone"
: >"$work/loaded"
for _ in $(seq 1 "$runs"); do
  run_job alone >>"$work/alone"
  run_job loaded >>"$work/loaded"
done
alone=$(median <"$work/alone")
loaded=$(median <"$work/loaded")
awk -v a="$alone" -v b="$loaded" -v runs="$runs" -v epochs="$epochs" -v n=$kCreatesDuringJob 'BEGIN {
  printf "median training seconds over %d runs of %d epochs: alone %.3f, with %d CreateJobs %.3f, slowdown %+.1f %%\n",
    runs, epochs, a, n, b, (b - a) / a * 100 }'
