#!/usr/bin/env bash
# End to end: activations written as formulas, through the real server and CLI.
# A job whose hidden activation is swish with a learned beta trains; its
# stream carries beta's gradient and the formula layer's flatness; /metrics has
# the layer's dead and saturated fractions; the model exports (the formula and
# beta with it) and predicts. A misspelt function is INVALID_ARGUMENT naming
# the field and the column. compare runs examples/fashion-mnist-mlp.json over
# three formulas and a catalog name.
# usage: cli_formula_test.sh SERVER_BIN CLI_BIN SOURCE_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"
command -v jq >/dev/null || fail "jq missing (scripts/install-deps.sh)"
start_server "$server_bin" "$work/server.log" --data-dir "$work/var" \
  --max-concurrent-jobs 2 --threads-per-job 1 || fail "server did not start"
readonly kJobTimeoutSeconds=600

cat >"$work/swish.json" <<'SPEC'
{"model": {"inputShape": [784], "layers": [
   {"dense": {"units": 64, "activation": {"expression": "x * sigmoid(beta * x)",
                                          "name": "swish_beta", "parameters": {"beta": 1.0}}}},
   {"dense": {"units": 10}}]},
 "optimizer": {"adam": {}, "learningRate": 0.002},
 "data": {"builtin": "fashion-mnist", "preprocess": "SCALE"}, "epochs": 1, "batchSize": 256,
 "seed": 3, "threads": 1,
 "reporting": {"stepEvery": 20, "activationEvery": 50, "gradientEvery": 50}}
SPEC

# 1. The job trains, beta learns and is reported, the layer's flatness streams.
timeout $kJobTimeoutSeconds "$cli_bin" submit "$work/swish.json" --watch --json >"$work/events" \
  2>"$work/watch.err" || fail "submit --watch exited $? (124: timed out): $(cat "$work/watch.err")"
job=$(jq -r 'select(.jobId) | .jobId' "$work/events" | head -n1)
[[ $job == job-* ]] || fail "no job id in the stream: $(head -c 300 "$work/events")"
[[ $(jq -r 'select(.state) | .state' "$work/events" | tail -n1) == SUCCEEDED ]] ||
  fail "the job did not succeed: $(tail -n 3 "$work/events")"
accuracy=$(jq -r 'select(.done) | .done.finalTestAccuracy' "$work/events")
awk -v a="$accuracy" 'BEGIN { exit !(a > 0.75) }' || fail "test accuracy $accuracy"
beta_norms=$(jq -r 'select(.gradients) | .gradients.parameters[]
                    | select(.layer == "dense_0/swish_beta" and .parameter == "beta")
                    | .gradientNorm' "$work/events")
[[ -n $beta_norms ]] || fail "no gradient report for beta: $(grep -m1 gradients "$work/events" | head -c 400)"
awk '{ if (!($1 > 0)) exit 1 }' <<<"$beta_norms" || fail "beta's gradient norms: $beta_norms"
layer=$(jq -c 'select(.activations) | .activations.layers[] | select(.layer == "dense_0/swish_beta")' \
  "$work/events" | tail -n1)
[[ $(jq -r .activation <<<"$layer") == swish_beta ]] || fail "activation report: $layer"
[[ $(jq -r .expression <<<"$layer") == "x * sigmoid(beta * x)" ]] || fail "activation report: $layer"
pass "swish with a learned beta trains to $accuracy, beta's gradient reported"

# 2. /metrics: both fractions for the formula layer.
metrics=$(curl -sf "http://127.0.0.1:$GRADSTREAM_METRICS_PORT/metrics") || fail "no /metrics"
for family in gradstream_layer_dead_fraction gradstream_layer_saturated_fraction; do
  grep "^$family{" <<<"$metrics" | grep "job_id=\"$job\"" | grep -q 'layer="dense_0/swish_beta"' ||
    fail "no $family series for dense_0/swish_beta"
done
pass "/metrics: dead and saturated fractions of the formula layer"

# 3. Export and predict: the model file carries the formula and the learned beta.
gs export "$job" -o "$work/model.pb" || fail "export exited $?"
grep -q "x \* sigmoid(beta \* x)" "$work/model.pb" || fail "the exported model lacks the formula"
python3 -c "
print('\n'.join(','.join('%.4f' % (((i * 31 + j * 7) % 256) / 255.0) for j in range(784)) for i in range(2)))
" >"$work/rows.csv"
gs predict "$job" --input "$work/rows.csv" >"$work/predictions" || fail "predict exited $?"
awk -F, '{ s = 0; for (i = 1; i <= NF; ++i) s += $i; if (NF != 10 || s < 0.999 || s > 1.001) exit 1 }
         END { if (NR != 2) exit 1 }' "$work/predictions" ||
  fail "predictions are not 2 rows of 10 probabilities: $(cat "$work/predictions")"
pass "export carries the formula; predict gives probabilities"

# 4. A misspelt function: INVALID_ARGUMENT with the field and the column.
jq '.model.layers[0].dense.activation = {"expression": "relu(x) + 0.1 * coss(x)"}' \
  "$work/swish.json" >"$work/bad.json"
gs submit "$work/bad.json" >"$work/bad.out" 2>"$work/bad.err" && status=0 || status=$?
[[ $status -eq 3 ]] || fail "a bad formula exited $status: $(cat "$work/bad.err")"
grep -q "INVALID_ARGUMENT: model.layers\[0\].dense.activation.expression: unknown function 'coss' at column 17" \
  "$work/bad.err" || fail "bad formula: $(cat "$work/bad.err")"
jq '.model.layers[0].dense.activation = {"expression": "1 / x"}' "$work/swish.json" >"$work/inf.json"
gs submit "$work/inf.json" >/dev/null 2>"$work/inf.err" && status=0 || status=$?
[[ $status -eq 3 ]] && grep -q "expression: is +infinite at x = 0" "$work/inf.err" ||
  fail "1 / x: exit $status, $(cat "$work/inf.err")"
pass "bad formulas: INVALID_ARGUMENT naming the field and the place or point"

# 5. compare over the MLP example, cut to one epoch: three formulas and relu.
jq '.epochs = 1 | .threads = 1' "$source_dir/examples/fashion-mnist-mlp.json" >"$work/mlp.json"
timeout $kJobTimeoutSeconds "$cli_bin" compare "$work/mlp.json" \
  --activations 'relu,x*sigmoid(x),relu(x)+0.1*cos(x),where(x > 0, x, 0.05 * x)' --json \
  >"$work/compare.json" 2>"$work/compare.err" ||
  fail "compare exited $? (124: timed out): $(cat "$work/compare.err")"
[[ $(jq -r '[.[].activation] | join(";")' "$work/compare.json") == \
   'relu;x*sigmoid(x);relu(x)+0.1*cos(x);where(x > 0, x, 0.05 * x)' ]] ||
  fail "compare rows: $(cat "$work/compare.json")"
[[ $(jq -r '[.[].state] | unique | join(",")' "$work/compare.json") == SUCCEEDED ]] ||
  fail "a compared job did not succeed: $(cat "$work/compare.json")"
jq -e 'all(.[]; .testAccuracy > 0.8)' "$work/compare.json" >/dev/null ||
  fail "a compared job learned too little: $(jq -c '[.[] | [.activation, .testAccuracy]]' "$work/compare.json")"
second=$(jq -r '.[1].jobId' "$work/compare.json")
gs get "$second" --json | jq -e '.spec.model.layers[0].dense.activation.expression == "x*sigmoid(x)"' \
  >/dev/null || fail "$second does not train x*sigmoid(x)"
pass "compare fashion-mnist-mlp over relu and three formulas"

echo "cli_formula: $passed checks passed"
