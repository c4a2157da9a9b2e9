#!/usr/bin/env bash
# What watchers cost a job. Starts gradstream-server (--threads-per-job 2 or N,
# --watch-stall-seconds 2) on a free loopback port and trains
# examples/fashion-mnist-mlp.json with every step an event (reporting.stepEvery
# 1): unwatched, and with N watchers (gradstream-watch-bench, every step,
# attached from submit on), alternating --runs times; then once with one
# watcher that reads nothing (a client that stopped reading). Per run it prints
# the job's training seconds (sum of its epoch events' `seconds`), the server's
# CPU seconds over the run (utime + stime from /proc/PID/stat), its peak RSS so
# far (VmHWM) and what the watchers received; then the medians. Last, the
# streaming cost alone: N watchers replay a finished job's log (no training
# competes), with the server's CPU seconds for it.
# A server without --watch-stall-seconds (GRADSTREAM_SERVER_BIN of an older
# build, for a before/after) runs without it and skips the stalled case.
# usage: bench/watchers.sh [--watchers N] [--epochs N] [--runs N] [--threads-per-job N]
#   (default 200, 2, 1, 2)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bench_bin=${GRADSTREAM_WATCH_BENCH_BIN:-$root/build/bin/gradstream-watch-bench}
watchers=200
epochs=2
runs=1
threads_per_job=2
while [[ $# -gt 0 ]]; do
  case $1 in
    --watchers) watchers=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --threads-per-job) threads_per_job=$2; shift 2 ;;
    *) echo "usage: $0 [--watchers N] [--epochs N] [--runs N] [--threads-per-job N]" >&2; exit 2 ;;
  esac
done
readonly kStallSeconds=2
readonly kPollSeconds=0.2

source "$root/scripts/lib/bench.sh"
bench_setup watchers
die() { echo "watchers: $*" >&2; exit 1; }
step_event_spec "$root" "$epochs" "$work/spec.json" ||
  die "could not set epochs and stepEvery in the example spec"
stall_flags=()
if "$server_bin" --help | grep -q -- --watch-stall-seconds; then
  stall_flags=(--watch-stall-seconds $kStallSeconds)
fi
start_server "$server_bin" "$work/server.log" --data-dir "$work/var" \
  --threads-per-job $threads_per_job "${stall_flags[@]}" || die "server did not start"

ticks=$(getconf CLK_TCK)
# utime + stime of the server, in seconds (fields 14 and 15; 12 and 13 after the ")").
server_cpu() { sed 's/.*) //' "/proc/$server_pid/stat" | awk -v t="$ticks" '{ printf "%.2f", ($12 + $13) / t }'; }
server_hwm_mb() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$server_pid/status"; }
job_state() { "$cli_bin" get "$1" --json | grep -o '"state":"[A-Z_]*"' | head -n1 | cut -d'"' -f4; }
wait_job() {
  local state
  while state=$(job_state "$1"); [[ $state == QUEUED || $state == RUNNING ]]; do sleep $kPollSeconds; done
  [[ $state == SUCCEEDED ]] || die "$1 ended $state"
}
train_seconds() {
  "$cli_bin" watch "$1" --json | grep -o '"epoch":{[^}]*' | grep -o '"seconds":[0-9.e+-]*' |
    cut -d: -f2 | awk '{ s += $1 } END { printf "%.2f", s }'
}
# median FILE COLUMN
median() {
  cut -d' ' -f"$2" "$1" | sort -n |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# run KIND [watch-bench flags...]: one job, watched by gradstream-watch-bench
# with the flags (none: unwatched); prints one line and appends
# "train_seconds cpu_seconds" to $work/KIND; sets last_job.
run() {
  local kind=$1
  shift
  local cpu_before job bench_pid= watched=
  cpu_before=$(server_cpu)
  job=$("$cli_bin" submit "$work/spec.json")
  if [[ $# -gt 0 ]]; then
    # At the lowest priority: the watchers stand for clients on other machines,
    # and here they share the job's cores.
    nice -n 19 "$bench_bin" --server "$GRADSTREAM_SERVER" --job "$job" "$@" >"$work/$job.bench" &
    bench_pid=$!
    bench_pids=("$bench_pid")
  fi
  wait_job "$job"
  if [[ -n $bench_pid ]]; then
    wait "$bench_pid" || die "gradstream-watch-bench exited $?"
    watched=" watchers: $(cat "$work/$job.bench")"
  fi
  local cpu train
  cpu=$(awk -v a="$cpu_before" -v b="$(server_cpu)" 'BEGIN { printf "%.2f", b - a }')
  train=$(train_seconds "$job")
  echo "$train $cpu" >>"$work/$kind"
  last_job=$job
  echo "$kind: train $train s, server CPU $cpu s, server VmHWM $(server_hwm_mb) MB;$watched"
}

echo "fashion-mnist-mlp, $epochs epochs, every step an event, --threads-per-job $threads_per_job, $watchers watchers"
for _ in $(seq 1 "$runs"); do
  run unwatched
  run watched --watchers "$watchers" --step-every 1
done
for kind in unwatched watched; do
  echo "median of $runs $kind: train $(median "$work/$kind" 1) s, server CPU $(median "$work/$kind" 2) s"
done
# The last job has ended: replaying its log costs the server streaming alone.
for _ in $(seq 1 "$runs"); do
  cpu_before=$(server_cpu)
  replayed=$("$bench_bin" --server "$GRADSTREAM_SERVER" --job "$last_job" --watchers "$watchers")
  echo "replay of $last_job: server CPU $(awk -v a="$cpu_before" -v b="$(server_cpu)" 'BEGIN { printf "%.2f", b - a }') s; watchers: $replayed"
done
if [[ ${#stall_flags[@]} -gt 0 ]]; then
  # Reads nothing for longer than the job takes plus the stall limit: it must
  # be cut off (status 1, CANCELLED) without slowing the job.
  run stalled --watchers 1 --step-every 1 --stall-seconds $((epochs * 10 + kStallSeconds * 3))
  curl -s "http://127.0.0.1:$GRADSTREAM_METRICS_PORT/metrics" | grep '^gradstream_watchers_cut_total' ||
    true
fi

kill -TERM "$server_pid"
wait "$server_pid" || die "server exited $? on SIGTERM"
server_pid=
