#!/usr/bin/env bash
# End to end scenarios: the real gradstream-server binary on a free loopback
# port (--max-concurrent-jobs 2 --threads-per-job 1), driven by the real CLI.
# Two watchers see the same events; a reconnect with --from replays exactly the
# tail; cancel mid-run; cancel of a finished job; a burst of 20 jobs through a
# two-slot queue; bad inputs with their statuses; SIGTERM exits 0.
# usage: cli_scenarios_test.sh SERVER_BIN CLI_BIN SOURCE_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"

# Limits of the polling loops, in tenths of a second.
readonly kJobWaitTenths=900

start_server "$server_bin" "$work/server.log" --data-dir "$work/var" \
  --max-concurrent-jobs 2 --threads-per-job 1 || fail "server did not start"

# spec UNITS EPOCHS BATCH STEP_EVERY: a one-hidden-layer Fashion-MNIST MLP.
spec() {
  cat <<SPEC
{"model": {"inputShape": [784], "layers": [
   {"dense": {"units": $1, "activation": {"name": "relu"}}}, {"dense": {"units": 10}}]},
 "optimizer": {"adam": {}, "learningRate": 0.002},
 "data": {"builtin": "fashion-mnist"}, "epochs": $2, "batchSize": $3, "seed": 1, "threads": 1,
 "reporting": {"stepEvery": $4}}
SPEC
}
# "SEQUENCE KIND" per event line of `watch --json` (protobuf JSON writes uint64 as strings).
event_kinds() {
  sed -E 's/^\{"sequence":"([0-9]+)","jobId":"[^"]*","time":"[^"]*","([A-Za-z]+)".*/\1 \2/' "$1"
}
job_state() { gs get "$1" --json | grep -o '"state":"[A-Z_]*"' | head -n1 | cut -d'"' -f4; }

spec 32 3 256 10 >"$work/small.json"
spec 32 500 256 5 >"$work/long.json"
spec 16 1 1000 20 >"$work/tiny.json"

# 1. Two watchers on one job see identical event sequences.
job=$(gs submit "$work/small.json") || fail "submit small exited $?"
[[ $job == job-* ]] || fail "submit printed '$job', not a job id"
gs watch "$job" --json >"$work/watch_a.jsonl" 2>"$work/watch_a.err" &
watch_a=$!
gs watch "$job" --json >"$work/watch_b.jsonl" 2>"$work/watch_b.err" &
watch_b=$!
background_pids+=("$watch_a" "$watch_b")
wait "$watch_a" && status_a=0 || status_a=$?
wait "$watch_b" && status_b=0 || status_b=$?
background_pids=()
[[ $status_a -eq 0 && $status_b -eq 0 ]] || fail "watchers exited $status_a and $status_b"
event_kinds "$work/watch_a.jsonl" >"$work/kinds_a"
event_kinds "$work/watch_b.jsonl" >"$work/kinds_b"
cmp -s "$work/kinds_a" "$work/kinds_b" ||
  fail "watchers differ: $(diff "$work/kinds_a" "$work/kinds_b" | head -n5)"
events=$(wc -l <"$work/kinds_a")
[[ $(cut -d' ' -f1 "$work/kinds_a") == "$(seq 1 "$events")" ]] || fail "sequence numbers are not 1..$events"
grep -q ' step$' "$work/kinds_a" || fail "no step events"
[[ $(grep -c ' epoch$' "$work/kinds_a") -eq 3 ]] || fail "not 3 epoch events"
[[ $(grep -c ' done$' "$work/kinds_a") -eq 1 ]] || fail "not exactly one done event"
tail -n1 "$work/watch_a.jsonl" | grep -q '"state":"SUCCEEDED"' || fail "last event is not state SUCCEEDED"
pass "two watchers: identical $events events"

# 2. Reconnect after the job finished: --from K gives exactly events K..N.
from=$((events / 2))
gs watch "$job" --from "$from" --json >"$work/watch_from.jsonl" || fail "watch --from exited $?"
event_kinds "$work/watch_from.jsonl" >"$work/kinds_from"
tail -n +"$from" "$work/kinds_a" >"$work/kinds_tail"
cmp -s "$work/kinds_from" "$work/kinds_tail" ||
  fail "--from $from is not events $from..$events: $(diff "$work/kinds_tail" "$work/kinds_from" | head -n5)"
[[ $(head -n1 "$work/kinds_from" | cut -d' ' -f1) -eq $from ]] || fail "--from $from starts elsewhere"
pass "reconnect --from $from: events $from..$events"

# 3. Cancel mid-run: the live watcher and a later one exit 65, the job is CANCELLED.
long=$(gs submit "$work/long.json") || fail "submit long exited $?"
gs watch "$long" --json >"$work/watch_long.jsonl" 2>"$work/watch_long.err" &
watch_long=$!
background_pids+=("$watch_long")
for _ in $(seq 1 $kJobWaitTenths); do
  grep -q '"step":{' "$work/watch_long.jsonl" && break
  sleep 0.1
done
grep -q '"step":{' "$work/watch_long.jsonl" || fail "no step event from the long job"
gs cancel "$long" >"$work/cancel_out" || fail "cancel of a running job exited $?"
grep -q "^$long" "$work/cancel_out" || fail "cancel printed '$(cat "$work/cancel_out")'"
wait "$watch_long" && status=0 || status=$?
background_pids=()
[[ $status -eq 65 ]] || fail "live watcher of the cancelled job exited $status, not 65"
grep -q '"done":{"outcome":"CANCELLED"' "$work/watch_long.jsonl" || fail "no CANCELLED done event"
gs watch "$long" >"$work/watch_after" 2>&1 && status=0 || status=$?
[[ $status -eq 65 ]] || fail "watch after cancel exited $status, not 65: $(cat "$work/watch_after")"
[[ $(job_state "$long") == CANCELLED ]] || fail "cancelled job is $(job_state "$long")"
pass "cancel mid-run: watchers exit 65, state CANCELLED"

# 4. Cancelling a finished job is FAILED_PRECONDITION.
if gs cancel "$job" 2>"$work/err"; then fail "cancel of a finished job succeeded"; fi
grep -q '^gradstream: FAILED_PRECONDITION: .*SUCCEEDED' "$work/err" || fail "cancel finished: $(cat "$work/err")"
[[ $(job_state "$job") == SUCCEEDED ]] || fail "finished job changed state to $(job_state "$job")"
pass "cancel of a finished job: FAILED_PRECONDITION"

# 5. A burst of 20 jobs through 2 slots: all SUCCEEDED, never more than 2 RUNNING.
readonly kBurstJobs=20
# Each CreateJob loads the data set inside the server's handler (~0.5 s here),
# which holds one of its callback threads: 20 at once starved new connections on
# a loaded machine, so the burst goes in waves of 5 with a generous deadline.
readonly kBurstWave=5
readonly kBurstDeadlineSeconds=300
for wave_start in $(seq 1 $kBurstWave $kBurstJobs); do
  burst_pids=()
  for i in $(seq "$wave_start" $((wave_start + kBurstWave - 1))); do
    gs --timeout $kBurstDeadlineSeconds submit "$work/tiny.json" >"$work/burst_$i" 2>&1 &
    burst_pids+=($!)
  done
  background_pids=("${burst_pids[@]}")
  for pid in "${burst_pids[@]}"; do
    wait "$pid" || fail "burst submit exited $?: $(cat "$work"/burst_*)"
  done
  background_pids=()
done
cat "$work"/burst_* >"$work/burst_ids"
[[ $(grep -c '^job-' "$work/burst_ids") -eq $kBurstJobs ]] || fail "burst ids: $(cat "$work/burst_ids")"
[[ $(sort -u "$work/burst_ids" | wc -l) -eq $kBurstJobs ]] || fail "burst ids are not distinct"
for _ in $(seq 1 $kJobWaitTenths); do
  gs list --json >"$work/list.jsonl" || fail "list exited $?"
  running=$(grep -c '"state":"RUNNING"' "$work/list.jsonl" || true)
  [[ $running -le 2 ]] || fail "$running jobs RUNNING with --max-concurrent-jobs 2"
  grep -Fq -f "$work/burst_ids" <(grep -E '"state":"(QUEUED|RUNNING)"' "$work/list.jsonl") || break
  sleep 0.1
done
succeeded=$(grep -F -f "$work/burst_ids" "$work/list.jsonl" | grep -c '"state":"SUCCEEDED"' || true)
[[ $succeeded -eq $kBurstJobs ]] ||
  fail "$succeeded of $kBurstJobs burst jobs SUCCEEDED: $(grep -F -f "$work/burst_ids" "$work/list.jsonl" | grep -o '"state":"[A-Z_]*"' | sort | uniq -c)"
gs list --state SUCCEEDED --json >"$work/list_ok.jsonl" || fail "list --state exited $?"
[[ $(grep -F -c -f "$work/burst_ids" "$work/list_ok.jsonl") -eq $kBurstJobs ]] || fail "list --state SUCCEEDED misses burst jobs"
pass "burst of $kBurstJobs jobs: all SUCCEEDED"

# 6. Bad inputs: the right status, a message naming the problem, and the server keeps serving.
printf '{"model": {"inputShape": [784],' >"$work/malformed.json"
expect_error 64 'malformed\.json' submit "$work/malformed.json"
sed 's/"relu"/"swishy"/' "$work/tiny.json" >"$work/activation.json"
expect_error 3 '^gradstream: INVALID_ARGUMENT: .*swishy' submit "$work/activation.json"
sed 's/{"name": "relu"}/{"name": "leaky_relu", "alpha": 5}/' "$work/tiny.json" >"$work/alpha.json"
expect_error 3 '^gradstream: INVALID_ARGUMENT: .*alpha' submit "$work/alpha.json"
sed 's/"fashion-mnist"/"no-such-set"/' "$work/tiny.json" >"$work/dataset.json"
expect_error 5 '^gradstream: NOT_FOUND: .*data\.builtin' submit "$work/dataset.json"
expect_error 5 '^gradstream: NOT_FOUND: .*job-does-not-exist' get job-does-not-exist
expect_error 5 '^gradstream: NOT_FOUND: .*job-does-not-exist' cancel job-does-not-exist
expect_error 5 '^gradstream: NOT_FOUND: .*job-does-not-exist' watch job-does-not-exist
[[ $(job_state "$job") == SUCCEEDED ]] || fail "get after bad inputs failed"
after=$(gs submit "$work/tiny.json") || fail "submit after bad inputs exited $?"
gs watch "$after" >/dev/null || fail "job submitted after bad inputs did not succeed"
pass "bad inputs: statuses and messages, server still serving"

# 7. SIGTERM: the server exits 0.
kill -TERM "$server_pid"
wait "$server_pid" && status=0 || status=$?
server_pid=
[[ $status -eq 0 ]] || fail "server exited $status on SIGTERM"
pass "SIGTERM: exit 0"

echo "$passed passed, 0 failed"
