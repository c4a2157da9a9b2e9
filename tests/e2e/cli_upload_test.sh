#!/usr/bin/env bash
# End to end: `gradstream upload` against the real gradstream-server (started
# with --max-message-bytes 65536). A CSV of three 2-D blobs is uploaded, a job
# trains on its dataset_id well above chance; re-uploading gives the same id,
# also after a server restart; broken files and bad labels exit non-zero
# naming the file or field; shape and id errors at submit; a message over the
# limit is RESOURCE_EXHAUSTED and the server keeps serving.
# usage: cli_upload_test.sh SERVER_BIN CLI_BIN SOURCE_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"
server_flags=(--data-dir "$work/var" --metrics-address 127.0.0.1:0 --max-message-bytes 65536
  --max-concurrent-jobs 1
  --threads-per-job 1)
start_server "$server_bin" "$work/server.log" "${server_flags[@]}" || fail "server did not start"

blobs_csv >"$work/blobs.csv"

# spec DATASET_ID INPUT_SHAPE: a small MLP on the uploaded 2-D blobs.
spec() {
  cat <<SPEC
{"model": {"inputShape": $2, "layers": [
   {"dense": {"units": 16, "activation": {"name": "relu"}}}, {"dense": {"units": 3}}]},
 "optimizer": {"adam": {}, "learningRate": 0.01},
 "data": {"datasetId": "$1", "validationFraction": 0.2},
 "epochs": 15, "batchSize": 32, "seed": 1, "threads": 1}
SPEC
}

# 1. Upload prints a sha256 id; a job on it trains well above chance (1/3).
id=$(gs upload "$work/blobs.csv" --name blobs) || fail "upload exited $?"
[[ $id =~ ^sha256:[0-9a-f]{64}$ ]] || fail "upload printed '$id', not a dataset id"
spec "$id" '[2]' >"$work/blobs.json"
gs submit "$work/blobs.json" --watch --json >"$work/watch.jsonl" || fail "submit --watch exited $?"
tail -n1 "$work/watch.jsonl" | grep -q '"state":"SUCCEEDED"' || fail "job did not end SUCCEEDED"
accuracy=$(grep '"epoch":{' "$work/watch.jsonl" | tail -n1 |
  grep -o '"validationAccuracy":[0-9.e-]*' | cut -d: -f2)
[[ -n $accuracy ]] || fail "no validation accuracy in the last epoch event"
awk -v a="$accuracy" 'BEGIN { exit !(a >= 0.9) }' || fail "validation accuracy $accuracy is below 0.9"
job=$(grep -m1 -o '"jobId":"[^"]*"' "$work/watch.jsonl" | cut -d'"' -f4)
pass "upload + train: $id, validation accuracy $accuracy"

# 2. Re-upload: the same id, already present (the name is not part of it).
gs upload "$work/blobs.csv" --name again --json >"$work/again.json" || fail "re-upload exited $?"
grep -q "\"id\":\"$id\"" "$work/again.json" || fail "re-upload gave $(cat "$work/again.json")"
grep -q '"alreadyPresent":true' "$work/again.json" || fail "re-upload is not alreadyPresent"
pass "re-upload: same id, alreadyPresent"
# A file name outside the name characters is made one by default, not refused.
cp "$work/blobs.csv" "$work/my blobs (v2).csv"
gs upload "$work/my blobs (v2).csv" --json >"$work/spaced.json" || fail "upload of a spaced file name exited $?"
grep -q "\"id\":\"$id\"" "$work/spaced.json" || fail "spaced-name upload gave $(cat "$work/spaced.json")"
pass "a file name with spaces and parentheses uploads under a cleaned default name"

# 3. Broken files and bad labels exit non-zero naming the file or field.
{ head -n 10 "$work/blobs.csv"; echo "1,0.5"; tail -n 5 "$work/blobs.csv"; } >"$work/ragged.csv"
expect_error 64 'ragged\.csv' upload "$work/ragged.csv"
expect_error 64 'labels file' upload "$work/blobs.npy"
# npy FILE DESCR SHAPE DATA_BYTES: a version 1.0 .npy file of zero bytes.
npy() {
  local dict="{'descr': '$2', 'fortran_order': False, 'shape': $3, }"
  local hlen=$(((${#dict} + 1 + 10 + 63) / 64 * 64 - 10))
  {
    printf '\x93NUMPY\x01\x00'
    printf "\\x$(printf %02x $((hlen & 255)))\\x$(printf %02x $((hlen >> 8)))"
    printf '%s%*s\n' "$dict" $((hlen - ${#dict} - 1)) ''
    head -c "$4" /dev/zero
  } >"$1"
}
npy "$work/x.npy" '<f4' '(4, 2)' 32
npy "$work/y.npy" '<i4' '(3,)' 12
expect_error 64 'y\.npy' upload "$work/x.npy" --labels "$work/y.npy"
expect_error 3 '^gradstream: INVALID_ARGUMENT: labels\[[0-9]+\]: 2 is out of range \[0, 2\)' \
  upload "$work/blobs.csv" --num-classes 2
pass "bad uploads: ragged CSV, missing labels file, NPY label count, label out of range"

# 4. Submit errors: a shape that does not fit, an unknown id.
spec "$id" '[3]' >"$work/shape.json"
expect_error 3 '^gradstream: INVALID_ARGUMENT: model\.input_shape: \[3\]' submit "$work/shape.json"
unknown="sha256:$(printf '0%.0s' {1..64})"
spec "$unknown" '[2]' >"$work/unknown.json"
expect_error 5 "^gradstream: NOT_FOUND: data\.dataset_id: .*$unknown" submit "$work/unknown.json"
pass "submit errors: model.input_shape, unknown dataset_id"

# 5. A Predict request over 64 KiB is RESOURCE_EXHAUSTED; the server keeps serving.
awk 'BEGIN { for (i = 0; i < 20000; i++) print "0.5,0.25" }' >"$work/big.csv"
expect_error 8 'RESOURCE_EXHAUSTED' predict "$job" --input "$work/big.csv"
gs list >/dev/null || fail "list after the oversized message exited $?"
gs predict "$job" --inputs 3,0 --shape 1,2 >/dev/null || fail "small predict exited $?"
pass "oversized message: RESOURCE_EXHAUSTED, server still serving"

# 6. The store survives a restart: the same upload is already present.
kill -TERM "$server_pid"
wait "$server_pid" || fail "server exited $? on SIGTERM"
start_server "$server_bin" "$work/server2.log" "${server_flags[@]}" || fail "restart failed"
gs upload "$work/blobs.csv" --json >"$work/restarted.json" || fail "upload after restart exited $?"
grep -q "\"id\":\"$id\".*\"alreadyPresent\":true" "$work/restarted.json" ||
  fail "after restart: $(cat "$work/restarted.json")"
kill -TERM "$server_pid"
wait "$server_pid" || fail "restarted server exited $? on SIGTERM"
server_pid=
pass "restart: dataset still present"

echo "$passed passed, 0 failed"
