#!/usr/bin/env bash
# End to end: `gradstream compare` and `gradstream health` against the real
# gradstream-server on a free loopback port. A tiny spec trained with two
# hidden activations gives a CSV of two SUCCEEDED rows with every number
# present, each job training the activation it names; an unknown activation is
# INVALID_ARGUMENT naming it; examples/deep-sigmoid.json shows vanishing
# gradients with sigmoid and none with relu, and the table's verdict says so;
# health exits 0 while the server serves and
# non-zero once its port is closed.
# usage: cli_compare_test.sh SERVER_BIN CLI_BIN SOURCE_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"
start_server "$server_bin" "$work/server.log" --data-dir "$work/var" \
  --max-concurrent-jobs 2 --threads-per-job 1 --metrics-address 127.0.0.1:0 || fail "server did not start"
# Two 1-epoch jobs take seconds; a stream that never ends fails here, not at
# ctest's timeout.
readonly kCompareTimeoutSeconds=300

cat >"$work/tiny.json" <<'SPEC'
{"model": {"inputShape": [784], "layers": [
   {"dense": {"units": 16, "activation": {"name": "leaky_relu", "alpha": 0.2}}},
   {"dense": {"units": 10}}]},
 "optimizer": {"adam": {}, "learningRate": 0.002},
 "data": {"builtin": "fashion-mnist"}, "epochs": 1, "batchSize": 1000, "seed": 1, "threads": 1,
 "reporting": {"stepEvery": 20}}
SPEC

# 1. Two activations, CSV: a header and two SUCCEEDED rows with every number.
timeout $kCompareTimeoutSeconds "$cli_bin" compare "$work/tiny.json" --activations relu,tanh --csv \
  >"$work/compare.csv" 2>"$work/compare.err" ||
  fail "compare exited $? (124: timed out): $(cat "$work/compare.err")"
header=$(head -n1 "$work/compare.csv")
[[ $header == activation,job_id,state,final_train_loss,train_accuracy,test_accuracy,seconds,samples_per_second,mean_dead_fraction,mean_saturated_fraction,first_layer_gradient_norm,warnings,reason ]] ||
  fail "CSV header is '$header'"
[[ $(tail -n +2 "$work/compare.csv" | wc -l) -eq 2 ]] || fail "not 2 rows: $(cat "$work/compare.csv")"
number='^-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?$'
row=0
expected=(relu tanh)
while IFS=, read -r activation job state loss train_acc test_acc seconds rate dead saturated grad warnings reason; do
  [[ $activation == "${expected[$row]}" ]] || fail "row $row is '$activation', not ${expected[$row]}"
  [[ $job == job-* ]] || fail "$activation: job id '$job'"
  [[ $state == SUCCEEDED ]] || fail "$activation: state $state ($reason)"
  for field in loss train_acc test_acc seconds rate dead saturated grad; do
    [[ ${!field} =~ $number ]] || fail "$activation: $field is '${!field}', not a number"
  done
  awk -v a="$train_acc" -v t="$test_acc" 'BEGIN { exit !(a > 0.1 && a <= 1 && t > 0.1 && t <= 1) }' ||
    fail "$activation: accuracies $train_acc / $test_acc are not in (0.1, 1]"
  awk -v r="$rate" 'BEGIN { exit !(r > 0) }' || fail "$activation: samples/s $rate"
  # The job trained the activation its row names, without the old alpha.
  gs get "$job" --json >"$work/job.json" || fail "get $job exited $?"
  grep -q "\"activation\":{\"name\":\"$activation\"}" "$work/job.json" ||
    fail "$job does not train $activation: $(grep -o '"activation":{[^}]*}' "$work/job.json")"
  row=$((row + 1))
done < <(tail -n +2 "$work/compare.csv")
grep -q 'relu (job-.*) SUCCEEDED' "$work/compare.err" || fail "no progress line: $(cat "$work/compare.err")"
pass "compare relu,tanh --csv: 2 SUCCEEDED rows with numbers"

# 2. An unknown activation: INVALID_ARGUMENT naming it, exit 3 (the gRPC code).
gs compare "$work/tiny.json" --activations relu,swishy --csv >"$work/bad.csv" 2>"$work/bad.err" &&
  status=0 || status=$?
[[ $status -eq 3 ]] || fail "unknown activation exited $status: $(cat "$work/bad.err")"
grep -q '^gradstream: INVALID_ARGUMENT: activation "swishy": .*swishy' "$work/bad.err" ||
  fail "unknown activation: $(cat "$work/bad.err")"
[[ ! -s $work/bad.csv ]] || fail "a table was printed for a rejected comparison"
gs compare "$work/tiny.json" --activations relu,relu >/dev/null 2>&1 && status=0 || status=$?
[[ $status -eq 64 ]] || fail "a repeated activation exited $status, not 64"
pass "compare with an unknown activation: INVALID_ARGUMENT naming it"

# 3. The classic picture, from examples/deep-sigmoid.json cut to one epoch:
# the sigmoid network's gradients vanish (a warning in its row, chance
# accuracy), the same network with relu trains and has no such warning.
sed -E 's/"epochs": *[0-9]+/"epochs": 1/' "$source_dir/examples/deep-sigmoid.json" >"$work/deep.json"
grep -q '"epochs": 1' "$work/deep.json" || fail "could not set epochs in deep-sigmoid.json"
timeout $kCompareTimeoutSeconds "$cli_bin" compare "$work/deep.json" --activations sigmoid,relu --csv \
  >"$work/deep.csv" 2>"$work/deep.err" ||
  fail "compare deep-sigmoid exited $? (124: timed out): $(cat "$work/deep.err")"
while IFS=, read -r activation job state loss train_acc test_acc seconds rate dead saturated grad warnings reason; do
  [[ $state == SUCCEEDED ]] || fail "deep $activation: state $state ($reason)"
  case $activation in
    sigmoid)
      [[ $warnings == *vanishing_gradient:* ]] || fail "deep sigmoid: no vanishing_gradient in '$warnings'"
      awk -v t="$test_acc" 'BEGIN { exit !(t < 0.3) }' || fail "deep sigmoid learned: test accuracy $test_acc"
      ;;
    relu)
      [[ $warnings != *vanishing_gradient* ]] || fail "deep relu: vanishing gradients in '$warnings'"
      awk -v t="$test_acc" 'BEGIN { exit !(t > 0.7) }' || fail "deep relu: test accuracy $test_acc"
      ;;
    *) fail "unexpected row '$activation'" ;;
  esac
done < <(tail -n +2 "$work/deep.csv")
[[ $(tail -n +2 "$work/deep.csv" | wc -l) -eq 2 ]] || fail "deep: not 2 rows: $(cat "$work/deep.csv")"
pass "deep sigmoid vanishes (warning, chance accuracy) where relu trains"

# 3b. The same as a table: the verdict under it names relu best and says why
# sigmoid lags, with its gradient figures.
timeout $kCompareTimeoutSeconds "$cli_bin" compare "$work/deep.json" --activations sigmoid,relu \
  >"$work/deep.txt" 2>"$work/deep.err" ||
  fail "compare deep-sigmoid (table) exited $? (124: timed out): $(cat "$work/deep.err")"
grep -q '^verdict:$' "$work/deep.txt" || fail "no verdict: $(cat "$work/deep.txt")"
grep -Eq '^  best: relu, test accuracy 0\.[0-9]{4}$' "$work/deep.txt" ||
  fail "verdict does not name relu best: $(cat "$work/deep.txt")"
grep -Eq '^  sigmoid: test accuracy 0\.[0-9]{4}, 0\.[0-9]{4} behind relu; vanishing gradients \([0-9]+ warnings?\): first-layer gradient norm [0-9.e+-]+, [0-9.e+]+x smaller than relu.s$' \
  "$work/deep.txt" || fail "verdict does not explain sigmoid: $(cat "$work/deep.txt")"
pass "the verdict names relu best and sigmoid's vanishing gradients"

# 4. health: SERVING while up.
[[ $(gs health) == SERVING ]] || fail "health did not print SERVING"
gs health --service no.such.Service >/dev/null 2>&1 && status=0 || status=$?
[[ $status -ne 0 ]] || fail "health of an unknown service exited 0"
pass "health: SERVING, unknown service non-zero"

# 5. SIGTERM: exit 0; then health on the closed port fails.
kill -TERM "$server_pid"
wait "$server_pid" && status=0 || status=$?
server_pid=
[[ $status -eq 0 ]] || fail "server exited $status on SIGTERM"
gs health --timeout 2 >/dev/null 2>"$work/health.err" && status=0 || status=$?
[[ $status -ne 0 ]] || fail "health against a closed port exited 0"
grep -q '^gradstream: UNAVAILABLE' "$work/health.err" || fail "health closed port: $(cat "$work/health.err")"
pass "health against a closed port: exit $status"

echo "$passed passed, 0 failed"
