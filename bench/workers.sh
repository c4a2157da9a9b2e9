#!/usr/bin/env bash
# Job throughput through workers, against the same jobs trained in the
# server's own process: N copies of SPEC (threads 1) on
#   in-process W: gradstream-server --max-concurrent-jobs W --threads-per-job 1
#   workers W:    gradstream-server --coordinator and W gradstream-worker
#                 processes, --max-jobs 1 --threads-per-job 1 each
# for W = 1 and 2. Prints, per setup, the wall time from the first submit to
# the last job's end, the jobs' median training seconds (their epoch events:
# loading data is outside them) and the aggregate samples/s over the wall time.
# Then one data-parallel job of SPEC (distributed.workers W) on W workers, for
# W = 1 and 2: its training samples/s and, from its step reports, the mean
# allreduce seconds, straggler seconds and bytes per step.
# usage: bench/workers.sh [--jobs N] [--epochs N] [SPEC]
#   defaults: 8 jobs, 2 epochs, examples/fashion-mnist-mlp.json
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=8
epochs=2
spec=$root/examples/fashion-mnist-mlp.json
usage() { echo "usage: $0 [--jobs N] [--epochs N] [SPEC]" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --jobs) jobs=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) usage ;;
    *) spec=$1; shift ;;
  esac
done
source "$root/scripts/lib/bench.sh"
bench_setup workers
worker_bin=${GRADSTREAM_WORKER_BIN:-$root/build/bin/gradstream-worker}
[[ -x $worker_bin ]] || { echo "workers: $worker_bin not built" >&2; exit 1; }
jq --argjson e "$epochs" '.epochs = $e | .threads = 1' "$spec" >"$work/spec.json"
samples_per_job=$((60000 * epochs))  # Fashion-MNIST's training split, validation off in the examples

# measure LABEL: submits the jobs to the running server, waits for them all;
# prints "LABEL: wall W s, median training T s, S samples/s".
measure() {
  local start end ids=() id
  start=$(date +%s.%N)
  for _ in $(seq 1 "$jobs"); do ids+=("$("$cli_bin" submit "$work/spec.json" --json | jq -r .id)"); done
  for id in "${ids[@]}"; do
    [[ $(wait_job "$id") == SUCCEEDED ]] || { echo "workers: job $id did not succeed" >&2; exit 1; }
  done
  end=$(date +%s.%N)
  local median_training
  median_training=$(for id in "${ids[@]}"; do training_seconds "$id" "$1" 2>/dev/null; done | median)
  awk -v l="$1" -v s="$start" -v e="$end" -v t="$median_training" -v n="$jobs" -v per="$samples_per_job" \
    'BEGIN { printf "%s: wall %.2f s, median training %.2f s, %.0f samples/s\n", l, e - s, t, n * per / (e - s) }'
}
stop_all() {
  local pid
  for pid in "${bench_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${bench_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  bench_pids=()
  kill -TERM "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

# data_parallel W: one job of SPEC with distributed.workers W on the W workers
# running; prints its samples/s and allreduce figures.
data_parallel() {
  jq --argjson w "$1" '.distributed = {"workers": $w} | .reporting.stepEvery = 1' "$work/spec.json" \
    >"$work/dp.json"
  "$cli_bin" submit "$work/dp.json" --watch --json >"$work/dp.events" ||
    { echo "workers: the data-parallel job failed" >&2; exit 1; }
  jq -rs --arg w "$1" --argjson n "$samples_per_job" '
    ([.[] | select(.epoch) | .epoch.seconds] | add) as $t
    | [.[] | select(.step) | .step] as $s
    | "data-parallel \($w) worker(s): \($n / $t | floor) samples/s, allreduce \(($s | map(.allreduceSeconds // 0) | add / length) * 1000 | . * 100 | round / 100) ms/step, straggler \(($s | map(.stragglerSeconds // 0) | add / length) * 1000 | . * 100 | round / 100) ms/step, \($s | map(.allreduceBytes // "0" | tonumber) | max) bytes/step"
  ' "$work/dp.events"
}

echo "workers: $jobs jobs of $(basename "$spec"), $epochs epochs, 1 thread each; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores" >&2
for w in 1 2; do
  start_server "$server_bin" "$work/server.log" --metrics-address "" --data-dir "$work/in-$w" \
    --max-concurrent-jobs "$w" --threads-per-job 1 >/dev/null || exit 1
  measure "in-process $w"
  stop_all
  start_server "$server_bin" "$work/server.log" --metrics-address "" --data-dir "$work/co-$w" \
    --coordinator --heartbeat-seconds 0.2 >/dev/null || exit 1
  for i in $(seq 1 "$w"); do
    "$worker_bin" --coordinator "$GRADSTREAM_SERVER" --name "bench-$i" --max-jobs 1 \
      --threads-per-job 1 --gloo-address 127.0.0.1 2>>"$work/worker-$i.log" &
    bench_pids+=($!)
  done
  measure "workers $w"
  data_parallel "$w"
  stop_all
done
