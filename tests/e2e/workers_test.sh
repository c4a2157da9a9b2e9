#!/usr/bin/env bash
# End to end: a coordinator and two workers (1 thread each) on this machine.
#   1. 20 jobs submitted through the CLI spread over both workers; all SUCCEED.
#   2. kill -9 of the worker training a job: the coordinator declares it lost
#      after --worker-lost-seconds and the job resumes from its last checkpoint
#      on the other worker; its model (and so its predictions) equals an
#      uninterrupted run's, byte for byte. The killed worker comes back.
#   3. A worker paused (SIGSTOP) past the lost time: its job moves; resumed
#      (SIGCONT), it is told its work is no longer its own, drops it and joins
#      again; the job still ends with the uninterrupted model.
#   4. The coordinator restarting while both workers train: SIGTERM (the jobs
#      checkpoint on the workers and wait for the next coordinator) and kill -9
#      (they resume from their last periodic checkpoint); the workers join the
#      new coordinator by themselves and every job ends with the uninterrupted
#      model: nothing is lost.
# usage: workers_test.sh SERVER_BIN CLI_BIN SOURCE_DIR WORKER_BIN
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init_with_worker "$@"
command -v jq >/dev/null || fail "jq missing (scripts/install-deps.sh)"
readonly kJobs=20
readonly kTimeoutSeconds=300

# spec EPOCHS SEED: a small Fashion-MNIST MLP with dropout, one thread.
spec() {
  cat <<SPEC
{"model": {"inputShape": [784], "layers": [
   {"dense": {"units": 32, "activation": {"name": "relu"}}},
   {"dropout": {"rate": 0.2}},
   {"dense": {"units": 10}}]},
 "optimizer": {"adam": {}, "learningRate": 0.002},
 "data": {"builtin": "fashion-mnist"}, "epochs": $1, "batchSize": 128,
 "seed": $2, "threads": 1, "reporting": {"stepEvery": 10}}
SPEC
}
spec 1 1 >"$work/quick.json"
spec 8 7 >"$work/long.json"
# Raw rows for predict: 16 samples of 784 pixel values.
awk 'BEGIN { srand(3); for (r = 0; r < 16; ++r) { line = ""; for (c = 0; c < 784; ++c)
  line = line (c ? "," : "") int(rand() * 256); print line } }' >"$work/rows.csv"

data=$work/coordinator
coordinate() {
  start_server "$server_bin" "$work/server.log" --listen "127.0.0.1:${port:-0}" \
    --data-dir "$data" --coordinator --checkpoint-every 0.2 --heartbeat-seconds 0.2 \
    --worker-lost-seconds 2 || fail "coordinator did not start: $(cat "$work/server.log")"
  port=${GRADSTREAM_SERVER##*:}
}
# wait_for_steps JOB N: until the job reports at least N steps.
wait_for_steps() {
  for _ in $(seq 1 $((kTimeoutSeconds * 20))); do
    local steps
    steps=$(job_field "$1" steps)
    ((${steps:-0} >= $2)) && return 0
    sleep 0.05
  done
  fail "job $1 never reached step $2"
}

coordinate
start_worker w1
start_worker w2

# 1. Twenty jobs over two workers.
for i in $(seq 1 $kJobs); do
  gs submit "$work/quick.json" --json | jq -r .id >>"$work/jobs"
done
(($(wc -l <"$work/jobs") == kJobs)) || fail "not every submit gave a job id"
while read -r job; do wait_for_state "$job" SUCCEEDED; done <"$work/jobs"
while read -r job; do job_field "$job" worker; done <"$work/jobs" | sort | uniq -c >"$work/spread"
grep -q ' w1$' "$work/spread" && grep -q ' w2$' "$work/spread" ||
  fail "the jobs did not spread over both workers: $(cat "$work/spread")"
pass "$kJobs jobs SUCCEEDED over both workers: $(tr -s ' \n' ' ' <"$work/spread")"

# The uninterrupted run everything below is held to.
reference=$(gs submit "$work/long.json" --json | jq -r .id)
wait_for_state "$reference" SUCCEEDED
[[ $(job_field "$reference" resumes) == "" ]] || fail "the reference run was resumed"
save_outputs "$reference" reference

# 2. kill -9 of the worker training a job.
job=$(gs submit "$work/long.json" --json | jq -r .id)
wait_for_state "$job" RUNNING
wait_for_steps "$job" 1200  # past a checkpoint or more (every 0.2 s)
victim=$(job_field "$job" worker)
[[ $victim == w1 || $victim == w2 ]] || fail "job $job runs on no known worker: '$victim'"
kill -KILL "${worker_pids[$victim]}"
wait "${worker_pids[$victim]}" 2>/dev/null || true
killed_at=$(job_field "$job" steps)
wait_for_state "$job" SUCCEEDED
survivor=$(job_field "$job" worker)
[[ $survivor != "$victim" ]] || fail "job $job still names the killed worker $victim"
(($(job_field "$job" resumes) >= 1)) || fail "job $job was not resumed"
from=$(job_field "$job" resumedFromStep)
# A checkpoint, not the start: it may be a few steps past the last step report
# (reports are thinned to every 10th step; a checkpoint is taken between any two).
((${from:-0} > 0 && ${from:-0} < killed_at + 10)) ||
  fail "job $job resumed from step '${from}', not from a checkpoint near step $killed_at"
same_outputs "$job" killed
grep -q '"worker lost"' "$work/server.log" || fail "the coordinator never logged the lost worker"
pass "kill -9 of $victim at step $killed_at: resumed on $survivor from step $from, same model and predictions"
start_worker "$victim"

# 3. A paused worker loses its job and drops it when it wakes.
job=$(gs submit "$work/long.json" --json | jq -r .id)
wait_for_state "$job" RUNNING
wait_for_steps "$job" 1200
paused=$(job_field "$job" worker)
kill -STOP "${worker_pids[$paused]}"
for _ in $(seq 1 200); do
  [[ $(job_field "$job" worker) != "$paused" ]] && break
  sleep 0.05
done
[[ $(job_field "$job" worker) != "$paused" ]] || fail "job $job never moved off the paused worker"
kill -CONT "${worker_pids[$paused]}"
wait_for_state "$job" SUCCEEDED
same_outputs "$job" paused
for _ in $(seq 1 100); do
  grep -q '"job dropped"' "$work/$paused.log" && grep -c '"joined"' "$work/$paused.log" | grep -qv '^1$' && break
  sleep 0.1
done
grep -q '"job dropped"' "$work/$paused.log" || fail "the paused worker never dropped its old job: $(tail -5 "$work/$paused.log")"
(($(grep -c '"joined"' "$work/$paused.log") >= 2)) || fail "the paused worker never joined again"
pass "a worker paused past the lost time dropped its moved job and joined again; same model"

# 4. The coordinator restarting while both workers train.
for signal in TERM KILL; do
  : >"$work/restart-jobs"
  for i in 1 2 3; do gs submit "$work/long.json" --json | jq -r .id >>"$work/restart-jobs"; done
  first=$(head -n1 "$work/restart-jobs")
  wait_for_steps "$first" 1200
  kill -"$signal" "$server_pid"
  wait "$server_pid" && status=0 || status=$?
  if [[ $signal == TERM ]]; then ((status == 0)) || fail "the coordinator exited $status on SIGTERM"; fi
  server_pid=
  coordinate
  while read -r job; do wait_for_state "$job" SUCCEEDED; done <"$work/restart-jobs"
  n=0
  while read -r job; do
    n=$((n + 1))
    same_outputs "$job" "restart-$signal-$n"
  done <"$work/restart-jobs"
  pass "SIG$signal of the coordinator while workers trained: 3 jobs SUCCEEDED with the uninterrupted model"
done

kill -TERM "${worker_pids[w1]}" "${worker_pids[w2]}"
for name in w1 w2; do
  wait "${worker_pids[$name]}" && status=0 || status=$?
  ((status == 0)) || fail "worker $name exited $status on SIGTERM: $(tail -3 "$work/$name.log")"
done
pass "workers exit 0 on SIGTERM"

# 5. Workers authenticate: with --auth-tokens only a worker (or admin) token joins.
kill -TERM "$server_pid"
wait "$server_pid" || fail "the coordinator exited $? on SIGTERM"
server_pid=
digest() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
cat >"$work/tokens" <<TOKENS
sha256:$(digest user-token) alpha user
sha256:$(digest worker-token) fleet worker
TOKENS
start_server "$server_bin" "$work/server.log" --data-dir "$work/auth" --coordinator \
  --auth-tokens "$work/tokens" --heartbeat-seconds 0.2 || fail "coordinator with tokens did not start"
GRADSTREAM_TOKEN=user-token timeout 20 "$worker_bin" --coordinator "$GRADSTREAM_SERVER" --name w3 \
  2>"$work/w3.log" && status=0 || status=$?
((status == 1)) || fail "a worker with a user token exited $status, not 1: $(tail -2 "$work/w3.log")"
grep -q 'token of role worker' "$work/w3.log" || fail "the refusal does not say which role: $(tail -2 "$work/w3.log")"
GRADSTREAM_TOKEN=nope timeout 20 "$worker_bin" --coordinator "$GRADSTREAM_SERVER" --name w4 \
  2>"$work/w4.log" && status=0 || status=$?
((status == 1)) || fail "a worker with an unknown token exited $status, not 1"
GRADSTREAM_TOKEN=worker-token start_worker w5
job=$(GRADSTREAM_TOKEN=user-token gs submit "$work/quick.json" --json | jq -r .id)
for _ in $(seq 1 600); do
  [[ $(GRADSTREAM_TOKEN=user-token gs get "$job" --json | jq -r .state) == SUCCEEDED ]] && break
  sleep 0.1
done
[[ $(GRADSTREAM_TOKEN=user-token gs get "$job" --json | jq -r .worker) == w5 ]] ||
  fail "the user's job did not train on the worker with a worker token"
pass "only a worker token joins; a user token is PERMISSION_DENIED naming the role"
echo "workers: $passed checks passed"
