#!/usr/bin/env bash
# End to end: jobs on uploaded datasets train on workers, and clients see no
# difference from a server that trains in-process.
#   1. A CSV uploaded with `gradstream upload` to a plain server; a job on its
#      dataset_id trains there: the reference model and predictions.
#   2. The same CSV uploaded to a --coordinator with one worker: the same id;
#      a job on it SUCCEEDS on the worker (`gradstream get` shows worker: w1)
#      and its exported model and predictions equal the reference's, byte for
#      byte. The worker fetched the dataset (its log says so).
#   3. A data-parallel job on the dataset over two workers: every rank
#      fetches it, and the job SUCCEEDS.
#   4. The stored copy damaged on the coordinator's disk: the worker finds
#      that it no longer hashes to its id and the job FAILS naming
#      data.dataset_id.
# usage: worker_datasets_test.sh SERVER_BIN CLI_BIN SOURCE_DIR WORKER_BIN
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init_with_worker "$@"
command -v jq >/dev/null || fail "jq missing (scripts/install-deps.sh)"

blobs_csv >"$work/blobs.csv"
# Raw rows to predict: one near each blob's centre and three between them.
printf '%s\n' '-3,0.2' '2.8,-0.1' '0.1,3.9' '0,0' '-1.5,2' '1.5,2' >"$work/rows.csv"

# spec DATASET_ID WORKERS: a small MLP on the blobs, one thread.
spec() {
  cat <<SPEC
{"model": {"inputShape": [2], "layers": [
   {"dense": {"units": 16, "activation": {"name": "relu"}}}, {"dense": {"units": 3}}]},
 "optimizer": {"adam": {}, "learningRate": 0.01},
 "data": {"datasetId": "$1", "validationFraction": 0.2},
 "epochs": 10, "batchSize": 32, "seed": 1, "threads": 1,
 "distributed": {"workers": $2}}
SPEC
}

# 1. The reference: a plain server trains the job in-process.
start_server "$server_bin" "$work/reference.log" --data-dir "$work/reference" \
  --threads-per-job 1 --max-concurrent-jobs 1 || fail "reference server did not start"
id=$(gs upload "$work/blobs.csv" --name blobs) || fail "upload to the plain server exited $?"
[[ $id =~ ^sha256:[0-9a-f]{64}$ ]] || fail "upload printed '$id', not a dataset id"
spec "$id" 1 >"$work/one.json"
reference=$(gs submit "$work/one.json" --json | jq -r .id)
wait_for_state "$reference" SUCCEEDED
[[ $(job_field "$reference" worker) == "" ]] || fail "the plain server's job names a worker"
save_outputs "$reference" reference
kill -TERM "$server_pid"
wait "$server_pid" || fail "reference server exited $?"
server_pid=
pass "reference: job $reference on $id trained in-process"

# 2. A coordinator with one worker: the job trains on the worker, same model.
start_server "$server_bin" "$work/server.log" --data-dir "$work/coordinator" --coordinator \
  --heartbeat-seconds 0.2 --worker-lost-seconds 5 ||
  fail "coordinator did not start: $(cat "$work/server.log")"
start_worker w1 --gloo-address 127.0.0.1
uploaded=$(gs upload "$work/blobs.csv" --name blobs) || fail "upload to the coordinator exited $?"
[[ $uploaded == "$id" ]] || fail "the coordinator stored the CSV as $uploaded, not $id"
job=$(gs submit "$work/one.json" --json | jq -r .id) || fail "submit to the coordinator exited $?"
wait_for_state "$job" SUCCEEDED
gs get "$job" >"$work/get.txt" || fail "get exited $?"
grep -q '^worker: w1$' "$work/get.txt" || fail "get does not show worker: w1: $(cat "$work/get.txt")"
grep -q "\"dataset fetched\",\"job_id\":\"$job\",\"dataset_id\":\"$id\"" "$work/w1.log" ||
  fail "w1 never logged fetching $id for job $job: $(tail -n3 "$work/w1.log")"
same_outputs "$job" worker
(($(wc -l <"$work/worker.predictions") >= 6)) || fail "fewer than 6 predictions"
pass "job $job on $id SUCCEEDED on w1: model and predictions equal the in-process run's"

# 3. Data-parallel over two workers: each rank fetches the dataset.
start_worker w2 --gloo-address 127.0.0.1
spec "$id" 2 >"$work/two.json"
pair=$(gs submit "$work/two.json" --json | jq -r .id) || fail "data-parallel submit exited $?"
wait_for_state "$pair" SUCCEEDED
grep -q "\"job_id\":\"$pair\",\"workers\":\[\"w[12]\",\"w[12]\"\]" "$work/server.log" ||
  fail "job $pair was not dispatched to both workers: $(grep "$pair" "$work/server.log" | head -3)"
for name in w1 w2; do
  grep -q "\"dataset fetched\",\"job_id\":\"$pair\"" "$work/$name.log" ||
    fail "$name never logged fetching the dataset of job $pair"
done
pass "data-parallel job $pair on $id SUCCEEDED over w1 and w2"

# 4. One bit of the stored features flipped (a float stays finite): the
# server sends what it has; the worker's hash check refuses it.
features=$work/coordinator/datasets/${id#sha256:}/features.bin
[[ -f $features ]] || fail "no stored features at $features"
byte=$(od -An -tu1 -j5 -N1 "$features" | tr -d ' ')
printf "\\x$(printf %02x $((byte ^ 1)))" | dd of="$features" bs=1 seek=5 conv=notrunc status=none
[[ $(od -An -tu1 -j5 -N1 "$features" | tr -d ' ') == $((byte ^ 1)) ]] || fail "the byte did not change"
damaged=$(gs submit "$work/one.json" --json | jq -r .id) || fail "submit exited $?"
wait_for_state "$damaged" FAILED
reason=$(job_field "$damaged" reason)
[[ $reason == "data.dataset_id: \"$id\": the fetched copy hashes to \"sha256:"*"\", not to its id"* ]] ||
  fail "job $damaged failed with '$reason', not the hash check naming data.dataset_id"
pass "a damaged stored copy fails job $damaged: $reason"

stop_worker_and_server "${worker_pids[w1]}" "$work/w1.log"
echo "worker_datasets: $passed checks passed"
