#!/usr/bin/env bash
# What watchers cost a job. Starts gradstream-server (--threads-per-job 2,
# --watch-stall-seconds 2) on a free loopback port and trains
# examples/fashion-mnist-mlp.json with every step an event (reporting.stepEvery
# 1) three times: unwatched; with N watchers (gradstream-watch-bench, every
# step, attached from submit on); with one watcher that reads nothing (a client
# that stopped reading). Per run it prints the job's training seconds (sum of
# its epoch events' `seconds`), the server's CPU seconds over the run
# (utime + stime from /proc/PID/stat) and its peak RSS so far (VmHWM), and what
# the watchers received.
# usage: bench/watchers.sh [--watchers N] [--epochs N]   (default 200, 2)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
server_bin=${GRADSTREAM_SERVER_BIN:-$root/build/bin/gradstream-server}
cli_bin=${GRADSTREAM_CLI_BIN:-$root/build/bin/gradstream}
bench_bin=${GRADSTREAM_WATCH_BENCH_BIN:-$root/build/bin/gradstream-watch-bench}
watchers=200
epochs=2
while [[ $# -gt 0 ]]; do
  case $1 in
    --watchers) watchers=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    *) echo "usage: $0 [--watchers N] [--epochs N]" >&2; exit 2 ;;
  esac
done
readonly kThreadsPerJob=2
readonly kStallSeconds=2
readonly kPollSeconds=0.2

work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT
die() { echo "watchers: $*" >&2; exit 1; }

source "$root/bench/lib.sh"
step_event_spec "$root" "$epochs" "$work/spec.json" ||
  die "could not set epochs and stepEvery in the example spec"
source "$root/scripts/lib/server.sh"
start_server "$server_bin" "$work/server.log" --data-dir "$work/var" \
  --threads-per-job $kThreadsPerJob --watch-stall-seconds $kStallSeconds ||
  die "server did not start"

ticks=$(getconf CLK_TCK)
# utime + stime of the server, in seconds (fields 14 and 15 after the ")").
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

# run KIND [watch-bench flags...]: one job, watched by gradstream-watch-bench
# with the flags (none: unwatched); prints one line.
run() {
  local kind=$1
  shift
  local cpu_before job watched=
  cpu_before=$(server_cpu)
  job=$("$cli_bin" submit "$work/spec.json")
  if [[ $# -gt 0 ]]; then
    "$bench_bin" --server "$GRADSTREAM_SERVER" --job "$job" "$@" >"$work/$job.bench" &
    local bench_pid=$!
  fi
  wait_job "$job"
  if [[ $# -gt 0 ]]; then
    wait "$bench_pid" || die "gradstream-watch-bench exited $?"
    watched=" watchers: $(cat "$work/$job.bench")"
  fi
  local cpu_after
  cpu_after=$(server_cpu)
  echo "$kind: train $(train_seconds "$job") s, server CPU $(awk -v a="$cpu_before" -v b="$cpu_after" 'BEGIN { printf "%.2f", b - a }') s, server VmHWM $(server_hwm_mb) MB;$watched"
}

echo "fashion-mnist-mlp, $epochs epochs, every step an event, --threads-per-job $kThreadsPerJob"
run "unwatched"
run "$watchers watchers" --watchers "$watchers" --step-every 1
# Reads nothing for longer than the job takes plus the stall limit: it must be
# cut off (status 1, CANCELLED) and the job not slowed.
run "1 stalled watcher" --watchers 1 --step-every 1 --stall-seconds $((epochs * 10 + kStallSeconds * 3))
if [[ -n ${GRADSTREAM_METRICS_PORT:-} ]]; then
  curl -s "http://127.0.0.1:$GRADSTREAM_METRICS_PORT/metrics" | grep '^gradstream_watchers_cut_total' || true
fi

kill -TERM "$server_pid"
wait "$server_pid" || die "server exited $? on SIGTERM"
server_pid=
