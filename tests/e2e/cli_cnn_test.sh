#!/usr/bin/env bash
# End to end: a convolutional network through the real server and CLI.
#   1. submit --watch --json: the job trains to SUCCEEDED and its activation
#      reports give conv2d_0/relu a dead fraction of 0.25 (2 of its 8 channels
#      start with a bias of -100: dead for every sample and position);
#   2. /metrics carries that per-layer dead fraction (no per-channel series);
#   3. export gives a model file; predict answers image rows from CSV and the
#      same images from an .npy array with the same probabilities;
#   4. compare examples/fashion-mnist-cnn.json (1 epoch) over relu, tanh,
#      sigmoid, elu and swish: five SUCCEEDED rows.
# usage: cli_cnn_test.sh SERVER_BIN CLI_BIN SOURCE_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"
command -v jq >/dev/null || fail "jq missing (scripts/install-deps.sh)"
start_server "$server_bin" "$work/server.log" --data-dir "$work/var" \
  --max-concurrent-jobs 2 --threads-per-job 1 || fail "server did not start"
readonly kJobTimeoutSeconds=600

cat >"$work/cnn.json" <<'SPEC'
{"model": {"inputShape": [1, 28, 28], "layers": [
   {"conv2d": {"filters": 8, "kernel": [3], "padding": [1], "activation": {"name": "relu"},
               "initialBias": [-100, -100, 0, 0, 0, 0, 0, 0]}},
   {"maxPool2d": {"kernel": [2]}},
   {"conv2d": {"filters": 16, "kernel": [3], "padding": [1], "activation": {"name": "relu"}}},
   {"maxPool2d": {"kernel": [2]}},
   {"flatten": {}},
   {"dense": {"units": 10}}]},
 "optimizer": {"adam": {}, "learningRate": 0.002},
 "data": {"builtin": "fashion-mnist"}, "epochs": 1, "batchSize": 256, "seed": 3, "threads": 1,
 "reporting": {"stepEvery": 20, "activationEvery": 50}}
SPEC

# 1. Submit and watch live.
timeout $kJobTimeoutSeconds "$cli_bin" submit "$work/cnn.json" --watch --json >"$work/events" \
  2>"$work/watch.err" || fail "submit --watch exited $? (124: timed out): $(cat "$work/watch.err")"
job=$(jq -r 'select(.jobId) | .jobId' "$work/events" | head -n1)
[[ $job == job-* ]] || fail "no job id in the stream: $(head -c 300 "$work/events")"
[[ $(jq -r 'select(.state) | .state' "$work/events" | tail -n1) == SUCCEEDED ]] ||
  fail "the job did not succeed: $(tail -n 3 "$work/events")"
dead=$(jq -r 'select(.activations) | .activations.layers[] | select(.layer == "conv2d_0/relu")
              | .deadFraction' "$work/events" | sort -u)
[[ $dead == 0.25 ]] || fail "conv2d_0/relu dead fractions in the stream: '$dead', not 0.25"
pass "a CNN job trains live, its first convolution 2 of 8 channels dead"

# 2. The same figure on /metrics, one series for the layer.
metrics=$(curl -sf "http://127.0.0.1:$GRADSTREAM_METRICS_PORT/metrics") || fail "no /metrics"
line=$(grep "^gradstream_layer_dead_fraction{" <<<"$metrics" | grep "job_id=\"$job\"" |
       grep 'layer="conv2d_0/relu"') || fail "no dead-fraction series for conv2d_0/relu"
[[ $(wc -l <<<"$line") -eq 1 ]] || fail "more than one series for the layer: $line"
[[ ${line##* } == 0.25 ]] || fail "dead fraction on /metrics: $line"
pass "/metrics: gradstream_layer_dead_fraction of conv2d_0/relu is 0.25"

# 3. Export, and predict three images given as rows and as an .npy array.
gs export "$job" -o "$work/model.pb" || fail "export exited $?"
[[ -s $work/model.pb ]] || fail "export wrote nothing"
python3 - "$work" <<'PY'
import struct, sys
work = sys.argv[1]
# Float32 values, printed with 9 digits (which give a float back exactly).
f32 = lambda v: struct.unpack("<f", struct.pack("<f", v))[0]
images = [[f32(((i * 37 + j * 11) % 256) / 255.0) for j in range(784)] for i in range(3)]
with open(work + "/rows.csv", "w") as f:
    for image in images:
        f.write(",".join("%.9g" % v for v in image) + "\n")
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 28, 28), }"
header += " " * (63 - (10 + len(header)) % 64) + "\n"
with open(work + "/images.npy", "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    for image in images:
        f.write(struct.pack("<784f", *image))
PY
gs predict "$job" --input "$work/rows.csv" >"$work/from_rows" || fail "predict on rows exited $?"
gs predict "$job" --input "$work/images.npy" >"$work/from_npy" || fail "predict on .npy exited $?"
[[ $(wc -l <"$work/from_rows") -eq 3 ]] || fail "not 3 predictions: $(cat "$work/from_rows")"
cmp -s "$work/from_rows" "$work/from_npy" ||
  fail "rows and .npy images predicted differently: $(paste "$work/from_rows" "$work/from_npy")"
awk -F, '{ s = 0; for (i = 1; i <= NF; ++i) s += $i; if (NF != 10 || s < 0.999 || s > 1.001) exit 1 }' \
  "$work/from_rows" || fail "each prediction should be 10 probabilities: $(cat "$work/from_rows")"
pass "export, and predict on image rows and .npy images"

# 4. compare over five activations, one epoch each.
jq '.epochs = 1 | .threads = 1' "$source_dir/examples/fashion-mnist-cnn.json" >"$work/example.json"
timeout $kJobTimeoutSeconds "$cli_bin" compare "$work/example.json" \
  --activations relu,tanh,sigmoid,elu,swish --csv >"$work/compare.csv" 2>"$work/compare.err" ||
  fail "compare exited $? (124: timed out): $(cat "$work/compare.err")"
[[ $(tail -n +2 "$work/compare.csv" | cut -d, -f1 | paste -sd,) == relu,tanh,sigmoid,elu,swish ]] ||
  fail "compare rows: $(cat "$work/compare.csv")"
[[ $(tail -n +2 "$work/compare.csv" | cut -d, -f3 | sort -u) == SUCCEEDED ]] ||
  fail "a compared job did not succeed: $(cat "$work/compare.csv")"
pass "compare fashion-mnist-cnn over relu, tanh, sigmoid, elu, swish"

echo "cli_cnn: $passed checks passed"
