#!/usr/bin/env bash
# End to end: a data-parallel job (spec.distributed.workers 2) on two workers
# of one thread each, against the same spec in one process of one thread.
#   1. Per-step losses agree within 1e-5 (relative) for the first 200 steps
#      and the final test accuracy within 0.002; the job's allreduce series
#      are on /metrics.
#      The same for an MLP with batch norm and distributed.sync_batch_norm:
#      the ranks normalize with the global batch's statistics, as one process.
#   2. kill -9 of one of its workers mid-job: the job waits for two workers
#      (and says so: Job.waiting, `gradstream get`), resumes from its checkpoint once the killed one is back, and ends with
#      the model of an uninterrupted 2-worker run, byte for byte.
# usage: data_parallel_test.sh SERVER_BIN CLI_BIN SOURCE_DIR WORKER_BIN
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init_with_worker "$@"
command -v jq >/dev/null || fail "jq missing (scripts/install-deps.sh)"
readonly kTimeoutSeconds=300
readonly kCompareSteps=200

# spec WORKERS EPOCHS [bn]: a Fashion-MNIST MLP, one thread per rank, every
# step reported; with bn, its hidden layer batch-normalized over the global batch.
spec() {
  local hidden='{"dense": {"units": 64, "activation": {"name": "relu"}}}' sync=false
  if [[ ${3:-} == bn ]]; then
    hidden='{"dense": {"units": 64, "noBias": true}}, {"batchNorm": {}},
   {"activation": {"name": "relu"}}'
    sync=true
  fi
  cat <<SPEC
{"model": {"inputShape": [784], "layers": [
   $hidden,
   {"dense": {"units": 10}}]},
 "optimizer": {"adam": {}, "learningRate": 0.002},
 "data": {"builtin": "fashion-mnist"}, "epochs": $2, "batchSize": 128,
 "seed": 5, "threads": 1, "reporting": {"stepEvery": 1},
 "distributed": {"workers": $1, "syncBatchNorm": $sync}}
SPEC
}
spec 1 1 >"$work/one.json"
spec 2 1 >"$work/two.json"
spec 2 4 >"$work/long.json"
spec 1 1 bn >"$work/one-bn.json"
spec 2 1 bn >"$work/two-bn.json"
losses() { jq -r 'select(.step) | "\(.step.step) \(.step.loss)"' "$1"; }
accuracy() { jq -r 'select(.done) | .done.finalTestAccuracy // 0' "$1"; }
# compare_runs ONE_EVENTS TWO_EVENTS: the first kCompareSteps losses within 1e-5
# (relative) and the final test accuracies within 0.002.
compare_runs() {
  join <(losses "$1") <(losses "$2") >"$work/pairs"
  (($(wc -l <"$work/pairs") >= kCompareSteps)) || fail "fewer than $kCompareSteps steps to compare"
  head -n $kCompareSteps "$work/pairs" | awk '
    { d = $2 - $3; if (d < 0) d = -d; r = d / ($2 < 0 ? -$2 : $2); if (r > worst) { worst = r; at = $1 } }
    END { printf "largest relative loss difference over the first %d steps: %.3g (step %d)\n", NR, worst, at
          exit worst > 1e-5 }' || fail "per-step losses differ by more than 1e-5"
  awk '{ d = $2 - $3; if (d < 0) d = -d; r = d / ($2 < 0 ? -$2 : $2); if (r > w) w = r }
    END { printf "over all %d steps: %.3g\n", NR, w }' "$work/pairs"
  awk -v a="$(accuracy "$1")" -v b="$(accuracy "$2")" 'BEGIN { d = a - b; if (d < 0) d = -d
    printf "test accuracy: one process %.4f, two workers %.4f\n", a, b; exit d > 0.002 }' ||
    fail "final test accuracy differs by more than 0.002"
}

# The reference: one process, one thread, the same global batch.
start_server "$server_bin" "$work/reference.log" --data-dir "$work/reference" \
  --threads-per-job 1 || fail "reference server did not start"
gs submit "$work/one.json" --watch --json >"$work/one.events" || fail "reference run exited $?"
gs submit "$work/one-bn.json" --watch --json >"$work/one-bn.events" ||
  fail "reference batch-norm run exited $?"
kill -TERM "$server_pid"
wait "$server_pid" || fail "reference server exited $?"
server_pid=

start_server "$server_bin" "$work/server.log" --data-dir "$work/coordinator" --coordinator \
  --checkpoint-every 0.2 --heartbeat-seconds 0.2 --worker-lost-seconds 2 ||
  fail "coordinator did not start: $(cat "$work/server.log")"
port=${GRADSTREAM_SERVER##*:}
start_worker w1 --gloo-address 127.0.0.1
start_worker w2 --gloo-address 127.0.0.1

# 1. Two workers against one process.
gs submit "$work/two.json" --watch --json >"$work/two.events" || fail "2-worker run exited $?"
job=$(jq -r 'select(.jobId) | .jobId' "$work/two.events" | sed -n 1p)
[[ $(job_field "$job" state) == SUCCEEDED ]] || fail "the 2-worker job ended $(job_field "$job" state)"
grep -q "\"job_id\":\"$job\",\"workers\":\[\"w[12]\",\"w[12]\"\]" "$work/server.log" ||
  fail "the job was not dispatched to both workers: $(grep "$job" "$work/server.log" | head -3)"
compare_runs "$work/one.events" "$work/two.events"
curl -sf "http://127.0.0.1:$GRADSTREAM_METRICS_PORT/metrics" >"$work/metrics" || fail "no /metrics"
grep -Eq "^gradstream_job_allreduce_bytes\{job_id=\"$job\"\} [1-9]" "$work/metrics" ||
  fail "no allreduce bytes for the job on /metrics"
grep -q "^gradstream_job_straggler_seconds{job_id=\"$job\"}" "$work/metrics" ||
  fail "no straggler series for the job on /metrics"
pass "2 workers x 1 thread agree with 1 process x 1 thread: losses within 1e-5 for $kCompareSteps steps, accuracy within 0.002"

gs submit "$work/two-bn.json" --watch --json >"$work/two-bn.events" ||
  fail "2-worker batch-norm run exited $?"
compare_runs "$work/one-bn.events" "$work/two-bn.events"
pass "with synchronised batch norm too: losses within 1e-5 for $kCompareSteps steps, accuracy within 0.002"

# 2. A worker killed mid-job.
reference=$(gs submit "$work/long.json" --json | jq -r .id)
wait_for_state "$reference" SUCCEEDED
gs export "$reference" -o "$work/reference.pb" || fail "export exited $?"
job=$(gs submit "$work/long.json" --json | jq -r .id)
wait_for_state "$job" RUNNING
for _ in $(seq 1 $((kTimeoutSeconds * 20))); do
  steps=$(job_field "$job" steps)
  ((${steps:-0} >= 900)) && break
  sleep 0.05
done
kill -KILL "${worker_pids[w2]}"
wait "${worker_pids[w2]}" 2>/dev/null || true
# Lost after 2 s: the job needs two workers again.
for _ in $(seq 1 100); do
  grep -q '"job moved off a lost worker"' "$work/server.log" && break
  sleep 0.1
done
grep -q '"job moved off a lost worker"' "$work/server.log" ||
  fail "the job never moved off the killed worker: $(gs get "$job" --json | jq -c '{state, reason}'); $(tail -n 3 "$work/server.log")"
[[ $(job_field "$job" state) == RUNNING ]] || fail "the moved job is $(job_field "$job" state)"
# It says what it waits for (w1's slot is free once its rank is dropped).
want="2 workers with a free slot, one rank on each; 1 joined, 1 with a free slot"
for _ in $(seq 1 100); do
  [[ $(job_field "$job" waiting) == "$want" ]] && break
  sleep 0.1
done
[[ $(job_field "$job" waiting) == "$want" ]] ||
  fail "the moved job waits for '$(job_field "$job" waiting)', not '$want'"
gs get "$job" | grep -qx "waiting for: $want" || fail "gradstream get does not say what the job waits for"
start_worker w2 --gloo-address 127.0.0.1
wait_for_state "$job" SUCCEEDED
from=$(job_field "$job" resumedFromStep)
((${from:-0} > 0)) || fail "job $job resumed from step '${from}', not from a checkpoint"
gs export "$job" -o "$work/resumed.pb" || fail "export exited $?"
cmp -s "$work/reference.pb" "$work/resumed.pb" ||
  fail "the resumed 2-worker job's model differs from the uninterrupted 2-worker run's"
pass "kill -9 of a rank's worker: resumed from step $from once two workers were back; same model"
echo "data_parallel: $passed checks passed"
