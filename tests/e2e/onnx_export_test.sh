#!/usr/bin/env bash
# End to end: ONNX export checked by a real runtime. Every example network
# (shortened: one epoch on the first 3000 Fashion-MNIST training images,
# uploaded as raw 0-255 pixels), a network chaining every catalog activation
# and a formula with where and a learned parameter, a STANDARDIZE job and a
# log_softmax + MSE network each train on the real server; then
#   1. `gradstream export JOB --format onnx -o model.onnx` passes
#      onnx.checker.check_model(full_check=True) (python3-onnx);
#   2. ONNX Runtime (onnxruntime-node from npm, driven by onnx_runtime_compare.js)
#      on 1000 raw test images gives Predict's outputs for the same raw rows
#      (class probabilities) within 1e-5;
#   3. the comparison fails where it must: another job's model, or the right
#      model given rows already scaled (its graph scales them again).
# onnxruntime-node is installed once into the build tree (npm install
# --ignore-scripts: its install script fetches GPU files) and reused.
# usage: onnx_export_test.sh SERVER_BIN CLI_BIN SOURCE_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"
readonly kTolerance=1e-5
readonly kTrainImages=3000
readonly kTestRows=1000
readonly kJobTimeoutSeconds=300
readonly here=$source_dir/tests/e2e
readonly mnist=${GRADSTREAM_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
for tool in jq node npm; do command -v $tool >/dev/null || fail "$tool missing (scripts/install-deps.sh)"; done
/usr/bin/python3 -c 'import onnx' 2>/dev/null || fail "python3-onnx missing (scripts/install-deps.sh)"

# onnxruntime-node, cached in the build tree next to the binaries.
npm_dir=$(cd "$(dirname "$cli_bin")/.." && pwd)/onnxruntime-npm
if [[ ! -f $npm_dir/node_modules/onnxruntime-node/package.json ]]; then
  mkdir -p "$npm_dir"
  (cd "$npm_dir" && npm install --ignore-scripts --no-audit --no-fund --prefix . onnxruntime-node \
    >"$work/npm.log" 2>&1) || fail "npm install onnxruntime-node failed: $(tail -n 5 "$work/npm.log")"
fi

/usr/bin/python3 "$here/fashion_mnist_csv.py" "$mnist/train-images-idx3-ubyte.gz" \
  "$mnist/train-labels-idx1-ubyte.gz" $kTrainImages "$work/train.csv"
/usr/bin/python3 "$here/fashion_mnist_csv.py" "$mnist/t10k-images-idx3-ubyte.gz" \
  "$mnist/t10k-labels-idx1-ubyte.gz" $kTestRows "$work/test_rows.csv" --no-labels

start_server "$server_bin" "$work/server.log" --data-dir "$work/var" \
  --max-concurrent-jobs 2 --threads-per-job 1 || fail "server did not start"
dataset=$(gs upload "$work/train.csv" --label-column 0 --num-classes 10 --name fashion-3000) ||
  fail "upload exited $?"

# shorten SPEC [PREPROCESS]: one epoch on the uploaded images, preprocessing as
# the spec says (SCALE when it says nothing, as for Fashion-MNIST's uint8 files).
shorten() {
  jq --arg id "$dataset" --arg pre "${2:-}" '.epochs = 1 | .threads = 1
      | .data = {datasetId: $id, validationFraction: 0.1,
                 preprocess: (if $pre != "" then $pre else (.data.preprocess // "SCALE") end)}
      | .reporting = {stepEvery: 1000}' "$1"
}

# check NAME SPEC_FILE: trains it, exports ONNX, checks it and compares it with Predict.
check() {
  local name=$1 spec=$2 job shape
  timeout $kJobTimeoutSeconds "$cli_bin" submit "$spec" --watch --json >"$work/$name.events" \
    2>"$work/$name.err" || fail "$name: submit --watch exited $?: $(tail -c 300 "$work/$name.err")"
  job=$(jq -r 'select(.jobId) | .jobId' "$work/$name.events" | head -n1)
  [[ $(jq -r 'select(.state) | .state' "$work/$name.events" | tail -n1) == SUCCEEDED ]] ||
    fail "$name: the job did not succeed: $(tail -n 2 "$work/$name.events")"
  gs export "$job" --format onnx -o "$work/$name.onnx" || fail "$name: export --format onnx exited $?"
  /usr/bin/python3 -c 'import onnx, sys; onnx.checker.check_model(sys.argv[1], full_check=True)' \
    "$work/$name.onnx" 2>"$work/$name.checker" ||
    fail "$name: onnx.checker: $(tail -n 3 "$work/$name.checker")"
  gs predict "$job" --input "$work/test_rows.csv" --json >"$work/$name.predict" ||
    fail "$name: predict exited $?"
  shape=$(jq -r '.model.inputShape | map(tostring) | join(",")' "$spec")
  node "$here/onnx_runtime_compare.js" "$npm_dir/node_modules" "$work/$name.onnx" "$shape" \
    "$work/test_rows.csv" "$work/$name.predict" $kTolerance >"$work/$name.compare" 2>&1 ||
    fail "$name: ONNX Runtime and Predict differ by more than $kTolerance: $(cat "$work/$name.compare")"
  pass "$name: checker passes; ONNX Runtime = Predict on $kTestRows raw rows ($(cat "$work/$name.compare"))"
}

for example in "$source_dir"/examples/*.json; do
  name=$(basename "$example" .json)
  shorten "$example" >"$work/$name.json"
  check "$name" "$work/$name.json"
done

# Every catalog activation between dense layers, then a formula; softmax last.
jq -n '{model: {inputShape: [784], layers: (
          [{dense: {units: 32}}]
          + ([ "identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "swish",
               "silu", "mish", "gelu_erf", "gelu_tanh", "softplus", "hardswish", "prelu" ]
             | map([{activation: {name: .}}, {dense: {units: 32}}]) | add)
          + [{activation: {expression: "where(x > 0, x * sigmoid(b * x), k * (exp(x) - 1)) + 0.1 * cos(x)",
                           constants: {k: 0.5}, parameters: {b: 1.0}}},
             {dense: {units: 10, activation: {name: "softmax"}}}])},
        optimizer: {adam: {}, learningRate: 0.001}, batchSize: 128, seed: 5,
        data: {builtin: "fashion-mnist"}}' >"$work/activations.src.json"
shorten "$work/activations.src.json" >"$work/activations.json"
check activations "$work/activations.json"

# STANDARDIZE: the training split's mean and inverse std in the graph.
shorten "$source_dir/examples/fashion-mnist-mlp.json" STANDARDIZE >"$work/standardize.json"
check standardize "$work/standardize.json"

# Not a classifier's probabilities: log_softmax kept, MSE on one-hot labels.
jq '.loss = "MSE" | .model.layers |= (.[:-1] + [{dense: {units: 10, activation: {name: "log_softmax"}}}])' \
  "$work/fashion-mnist-mlp.json" >"$work/log_softmax_mse.json"
check log_softmax_mse "$work/log_softmax_mse.json"

# The comparison can fail: another job's model, and the right model given
# rows already scaled (its graph scales them again), both differ from Predict.
if node "$here/onnx_runtime_compare.js" "$npm_dir/node_modules" "$work/fashion-mnist-cnn.onnx" \
  1,28,28 "$work/test_rows.csv" "$work/fashion-mnist-mlp.predict" $kTolerance >"$work/other.compare" 2>&1; then
  fail "the CNN's ONNX matched the MLP's predictions: $(cat "$work/other.compare")"
fi
awk -F, -v OFS=, '{ for (i = 1; i <= NF; ++i) $i = $i / 255 } 1' "$work/test_rows.csv" >"$work/scaled_rows.csv"
if node "$here/onnx_runtime_compare.js" "$npm_dir/node_modules" "$work/fashion-mnist-mlp.onnx" \
  784 "$work/scaled_rows.csv" "$work/fashion-mnist-mlp.predict" $kTolerance >"$work/scaled.compare" 2>&1; then
  fail "ONNX on pre-scaled rows matched Predict on raw rows: $(cat "$work/scaled.compare")"
fi
pass "mismatches are caught: $(cut -d' ' -f5-6 "$work/other.compare"); pre-scaled rows $(cut -d' ' -f5-6 "$work/scaled.compare")"

echo "onnx_export: $passed checks passed"
