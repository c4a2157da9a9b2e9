#!/usr/bin/env bash
# End to end: bad inputs through the real CLI against the real gradstream-server
# (default 16 MiB message limit), each refused with its gRPC code (the CLI's
# exit code) and a message naming the field: a 9 MiB job name, a 1 MiB layer
# name, a label-unsafe and a duplicate layer name, NaN initial weights and
# learning rate, an output too small for an uploaded set's classes, an
# idempotency key reused with another spec, Predict on NaN and infinity, a
# watch from past a finished job's end, and truncated request bodies (sent as
# raw bytes by python3-grpcio: no CLI sends those). Then the server still
# lists, watches and trains a normal job to SUCCEEDED.
# usage: bad_inputs_test.sh SERVER_BIN CLI_BIN SOURCE_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"
start_server "$server_bin" "$work/server.log" --data-dir "$work/var" --max-concurrent-jobs 1 \
  --threads-per-job 1 || fail "server did not start"

# CLI exit codes are the gRPC codes.
readonly INVALID_ARGUMENT=3 ALREADY_EXISTS=6 OUT_OF_RANGE=11

# 90 rows "label,x,y" in three classes.
awk 'BEGIN { for (i = 0; i < 90; i++) { c = i % 3; printf "%d,%.3f,%.3f\n", c, c + 0.3 * sin(i), c - 0.3 * cos(i) } }' \
  >"$work/blobs.csv"
dataset=$(gs upload "$work/blobs.csv" --name blobs) || fail "upload exited $?"

# spec [NAME [UNITS [DENSE_FIELDS [TOP_FIELDS [LAYER_FIELDS]]]]]: a small job on
# the upload as JSON; the fields are added to the dense layer, the spec, the layer.
spec() {
  cat <<SPEC
{"name": "${1:-small}",
 "model": {"inputShape": [2], "layers": [{"dense": {"units": ${2:-3} ${3:-}} ${5:-}}]},
 "data": {"datasetId": "$dataset"}, "epochs": 2, "batchSize": 30, "seed": 1 ${4:-}}
SPEC
}

# 1. Names: too long (9 MiB; two such jobs used to break ListJobs for everyone),
# outside the label-safe set, and two layers of one name.
spec "$(head -c $((9 << 20)) /dev/zero | tr '\0' n)" >"$work/long_name.json"
expect_error $INVALID_ARGUMENT 'name: 9437184 characters, at most 64 characters of \[A-Za-z0-9._-\]' \
  submit "$work/long_name.json"
spec small 3 '' '' ", \"name\": \"$(head -c $((1 << 20)) /dev/zero | tr '\0' l)\"" >"$work/long_layer.json"
expect_error $INVALID_ARGUMENT 'model\.layers\[0\]\.name: 1048576 characters' submit "$work/long_layer.json"
spec small 3 '' '' ', "name": "a b"' >"$work/space_layer.json"
expect_error $INVALID_ARGUMENT "model\.layers\[0\]\.name: character 1 \(' '\) is not allowed" \
  submit "$work/space_layer.json"
cat >"$work/twins.json" <<SPEC
{"model": {"inputShape": [2], "layers": [{"name": "twin", "dense": {"units": 8}},
                                         {"name": "twin", "dense": {"units": 3}}]},
 "data": {"datasetId": "$dataset"}, "epochs": 1, "batchSize": 30}
SPEC
expect_error $INVALID_ARGUMENT 'model\.layers\[1\]\.name: "twin" is already the name of model\.layers\[0\]' \
  submit "$work/twins.json"
pass "names: too long, outside [A-Za-z0-9._-], duplicated: INVALID_ARGUMENT naming the field"

# 2. Non-finite numbers in the spec.
spec small 3 ', "initialWeights": [1, "NaN", 0, 0, 0, 0]' >"$work/nan_weights.json"
expect_error $INVALID_ARGUMENT 'model\.layers\[0\]\.dense\.initial_weights\[1\]: nan is not a finite number' \
  submit "$work/nan_weights.json"
spec small 3 '' ', "optimizer": {"learningRate": "NaN"}' >"$work/nan_rate.json"
expect_error $INVALID_ARGUMENT 'optimizer\.learning_rate: nan is out of range' submit "$work/nan_rate.json"
pass "NaN initial weights and learning rate: INVALID_ARGUMENT"

# 3. An output too small for the uploaded set's 3 classes, refused at submit.
spec small 2 >"$work/two_units.json"
expect_error $INVALID_ARGUMENT 'the output has 2 units but the data has 3 classes \(data\.dataset_id sha256:' \
  submit "$work/two_units.json"
pass "output units against the upload's class count: INVALID_ARGUMENT at submit"

# 4. An idempotency key: the same spec returns the job, another is ALREADY_EXISTS.
spec >"$work/small.json"
spec small 3 '' ', "threads": 1' >"$work/other.json"
job=$(gs submit "$work/small.json" --idempotency-key e2e-key --json | jq -r .id) || fail "submit exited $?"
[[ $(gs submit "$work/small.json" --idempotency-key e2e-key --json | jq -r .id) == "$job" ]] ||
  fail "the same key and spec did not return $job"
expect_error $ALREADY_EXISTS "idempotency_key: \"e2e-key\" was already used to create job $job with another spec" \
  submit "$work/other.json" --idempotency-key e2e-key
pass "idempotency key: same spec -> $job, another spec -> ALREADY_EXISTS"

# 5. Predict on non-finite features; watch from past the end of the ended job.
gs watch "$job" --json >"$work/events.jsonl" || fail "watch exited $?"
tail -n1 "$work/events.jsonl" | grep -q '"state":"SUCCEEDED"' || fail "the job did not succeed"
last=$(tail -n1 "$work/events.jsonl" | jq -r .sequence)
expect_error $INVALID_ARGUMENT 'inputs\[1\]: nan is not a finite number' predict "$job" --shape 1,2 --inputs 0.5,nan
expect_error $INVALID_ARGUMENT 'inputs\[0\]: inf is not a finite number' predict "$job" --shape 1,2 --inputs inf,0.5
expect_error $OUT_OF_RANGE "from_sequence: $((last + 1)) is past the end of job \"$job\", which has ended; its last event is $last" \
  watch "$job" --from $((last + 1))
pass "Predict NaN/inf: INVALID_ARGUMENT; watch --from $((last + 1)): OUT_OF_RANGE naming $last"

# 6. Truncated request bodies: a field announcing 16 bytes that carries 3.
/usr/bin/python3 - "$GRADSTREAM_SERVER" >"$work/raw.txt" <<'PY'
import sys
import grpc

channel = grpc.insecure_channel(sys.argv[1])
truncated = b"\x0a\x10job"
for method in ("CreateJob", "GetJob", "ListJobs", "CancelJob", "Predict"):
    call = channel.unary_unary("/gradstream.v1.Trainer/" + method)  # bytes in, bytes out
    try:
        call(truncated, timeout=30)
        print(method, "OK")
    except grpc.RpcError as error:
        print(method, error.code().name, error.details())
for method in ("WatchJob", "ExportModel"):
    call = channel.unary_stream("/gradstream.v1.Trainer/" + method)
    try:
        for _ in call(truncated, timeout=30):
            pass
        print(method, "OK")
    except grpc.RpcError as error:
        print(method, error.code().name, error.details())
PY
for method in CreateJob GetJob ListJobs CancelJob Predict WatchJob ExportModel; do
  grep -q "^$method INVALID_ARGUMENT request: 5 bytes that are not a serialized gradstream\.v1\." "$work/raw.txt" ||
    fail "truncated $method: $(grep "^$method " "$work/raw.txt")"
done
pass "truncated bodies of all seven request messages: INVALID_ARGUMENT naming the type"

# 7. The server is still whole: it lists, watches and trains.
gs list --json >"$work/list.jsonl" || fail "list exited $?"
[[ $(wc -l <"$work/list.jsonl") -eq 1 ]] || fail "list shows $(wc -l <"$work/list.jsonl") jobs, not 1"
gs watch "$job" >/dev/null || fail "watching $job again exited $?"
gs submit "$work/other.json" --watch --json >"$work/after.jsonl" || fail "a normal job exited $?"
tail -n1 "$work/after.jsonl" | grep -q '"state":"SUCCEEDED"' || fail "the normal job did not succeed"
pass "after the bad inputs: list, watch, and a new job SUCCEEDED"
echo "bad_inputs: $passed checks passed"
