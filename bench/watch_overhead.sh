#!/usr/bin/env bash
# How much a watcher at step_every=1 adds to training time. Starts
# gradstream-server (--threads-per-job 2) on a free loopback port and trains
# examples/fashion-mnist-mlp.json with 3 epochs and reporting.stepEvery 1 (every
# step is an event), alternating runs without a watcher and with
# `gradstream watch JOB --json --step-every 1 > /dev/null` attached from submit
# on. A run's training seconds are the sum of its epoch events' `seconds` (the
# training loop; the job's data loading is outside it). Prints each run, then
# the median without and with a watcher and the overhead in %.
# usage: bench/watch_overhead.sh [--runs N] [--epochs N]   (N runs of each kind; default 2, 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=2
epochs=3
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--epochs N]" >&2; exit 2 ;;
  esac
done
readonly kThreadsPerJob=2

source "$root/scripts/lib/bench.sh"
bench_setup watch_overhead
die() { echo "watch_overhead: $*" >&2; exit 1; }
step_event_spec "$root" "$epochs" "$work/spec.json" ||
  die "could not set epochs and stepEvery in the example spec"

start_server "$server_bin" "$work/server.log" --data-dir "$work/var" \
  --threads-per-job $kThreadsPerJob || die "server did not start"

# run_job with|without: trains the spec once, prints its training seconds.
run_job() {
  local job state
  job=$("$cli_bin" submit "$work/spec.json")
  if [[ $1 == with ]]; then
    "$cli_bin" watch "$job" --json --step-every 1 >/dev/null &
    bench_pids=($!)
    wait "${bench_pids[0]}" || die "watcher of $job exited $?"
    bench_pids=()
  fi
  state=$(wait_job "$job")
  [[ $state == SUCCEEDED ]] || die "$job ended $state"
  training_seconds "$job" "$1 watcher"
}

: >"$work/without"
: >"$work/with"
for _ in $(seq 1 "$runs"); do
  run_job without >>"$work/without"
  run_job with >>"$work/with"
done

without=$(median <"$work/without")
with=$(median <"$work/with")
awk -v a="$without" -v b="$with" -v runs="$runs" -v epochs="$epochs" 'BEGIN {
  printf "median training seconds over %d runs of %d epochs: without watcher %.3f, with watcher %.3f, overhead %+.1f %%\n",
    runs, epochs, a, b, (b - a) / a * 100 }'

kill -TERM "$server_pid"
wait "$server_pid" || die "server exited $? on SIGTERM"
server_pid=
