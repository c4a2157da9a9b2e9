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
server_bin=${GRADSTREAM_SERVER_BIN:-$root/build/bin/gradstream-server}
cli_bin=${GRADSTREAM_CLI_BIN:-$root/build/bin/gradstream}
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
readonly kPollSeconds=0.5

work=$(mktemp -d)
server_pid=
watch_pid=
cleanup() {
  if [[ -n $watch_pid ]] && kill -0 "$watch_pid" 2>/dev/null; then kill -KILL "$watch_pid"; fi
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT
die() { echo "watch_overhead: $*" >&2; exit 1; }

source "$root/bench/lib.sh"
step_event_spec "$root" "$epochs" "$work/spec.json" ||
  die "could not set epochs and stepEvery in the example spec"
source "$root/scripts/lib/server.sh"
start_server "$server_bin" "$work/server.log" --data-dir "$work/var" \
  --threads-per-job $kThreadsPerJob || die "server did not start"

job_state() { "$cli_bin" get "$1" --json | grep -o '"state":"[A-Z_]*"' | head -n1 | cut -d'"' -f4; }

# run_job with|without: trains the spec once, prints its training seconds.
run_job() {
  local job state
  job=$("$cli_bin" submit "$work/spec.json")
  if [[ $1 == with ]]; then
    "$cli_bin" watch "$job" --json --step-every 1 >/dev/null &
    watch_pid=$!
    wait "$watch_pid" || die "watcher of $job exited $?"
    watch_pid=
  fi
  while state=$(job_state "$job"); [[ $state == QUEUED || $state == RUNNING ]]; do
    sleep $kPollSeconds
  done
  [[ $state == SUCCEEDED ]] || die "$job ended $state"
  # Replayed after the job ended, so reading it costs the run nothing.
  "$cli_bin" watch "$job" --json >"$work/$job.jsonl"
  local steps
  steps=$(grep -c '"step":{' "$work/$job.jsonl" || true)
  grep -o '"epoch":{[^}]*' "$work/$job.jsonl" | grep -o '"seconds":[0-9.e+-]*' | cut -d: -f2 |
    awk -v job="$job" -v kind="$1" -v steps="$steps" \
      '{ s += $1; n++ } END { printf "%s %s watcher: %d epochs, %d step events, %.3f s\n", job, kind, n, steps, s > "/dev/stderr"; printf "%.3f\n", s }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

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
