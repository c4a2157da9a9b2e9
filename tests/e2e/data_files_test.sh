#!/usr/bin/env bash
# End to end: jobs on server-side files (data.files).
#   1. A CSV with a bad cell deep in the file: CreateJob accepts it (it reads
#      headers only), and the job ends FAILED naming file, line and column,
#      never the cell's text.
#   2. A job on a CSV records the file's size and sha256 (gs get --json shows
#      them); the server is killed with SIGKILL, the file edited, the server
#      restarted: the job ends FAILED naming the file that changed.
# usage: data_files_test.sh SERVER_BIN CLI_BIN SOURCE_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"
command -v jq >/dev/null || fail "jq missing (scripts/install-deps.sh)"
readonly kWaitTenths=600  # 60 s
# The server keeps data.files paths resolved: write them canonical from the start.
work=$(realpath "$work")

# spec CSV EPOCHS: a tiny MLP on a 4-feature CSV with the label last.
spec() {
  cat <<SPEC
{"model": {"inputShape": [4], "layers": [
   {"dense": {"units": 16, "activation": {"name": "tanh"}}}, {"dense": {"units": 2}}]},
 "optimizer": {"adam": {}, "learningRate": 0.01},
 "data": {"files": {"trainFeatures": "$1", "labelColumn": -1}},
 "epochs": $2, "batchSize": 16, "seed": 1, "threads": 1}
SPEC
}
# rows N: N CSV rows of 4 features and a 0/1 label.
rows() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "%d.5,0.25,-1,%d,%d\n", i % 7, i % 3, i % 2 }'; }
# wait_for JOB JQ_CONDITION: until gs get --json satisfies it, or fail.
wait_for() {
  for _ in $(seq 1 $kWaitTenths); do
    gs get "$1" --json | jq -e "$2" >/dev/null && return 0
    sleep 0.1
  done
  fail "$1 never reached $2: $(gs get "$1" --json)"
}
serve() {
  start_server "$server_bin" "$work/server.log" --metrics-address "" --data-dir "$work/var" \
    --data-root "$work" --checkpoint-every 0.2 --threads-per-job 1 "$@" ||
    fail "server did not start: $(cat "$work/server.log")"
}

serve
# 1. The bad cell is the job's reason, not CreateJob's error.
{ rows 5000; echo "1,private-text,0,0,1"; rows 10; } >"$work/bad.csv"
spec "$work/bad.csv" 1 >"$work/bad.json"
bad=$(gs submit "$work/bad.json" --json | jq -r .id) || fail "CreateJob rejected a file whose headers are fine"
wait_for "$bad" '.state == "FAILED"'
reason=$(gs get "$bad" --json | jq -r .reason)
[[ $reason == "$work/bad.csv: line 5001, column 2: the feature is not a number"* ]] ||
  fail "bad cell reason: $reason"
[[ $reason != *private-text* ]] || fail "the reason quotes the file: $reason"
pass "a bad cell at line 5001 fails the job, naming file, line and column"

# 2. A file edited between a kill -9 and the restart fails the resumed job.
rows 2000 >"$work/train.csv"
spec "$work/train.csv" 10000 >"$work/train.json"
job=$(gs submit "$work/train.json" --json | jq -r .id)
wait_for "$job" '(.steps // "0" | tonumber) > 0'
want=$(sha256sum "$work/train.csv" | cut -d' ' -f1)
gs get "$job" --json | jq -e --arg path "$work/train.csv" --arg sha "$want" \
  '.dataFiles == [{"role": "train_features", "path": $path, "sizeBytes": (.dataFiles[0].sizeBytes), "sha256": $sha}]' \
  >/dev/null || fail "fingerprints: $(gs get "$job" --json | jq -c .dataFiles)"
size=$(gs get "$job" --json | jq -r .dataFiles[0].sizeBytes)
[[ $size == "$(stat -c %s "$work/train.csv")" ]] || fail "recorded size $size"
port=${GRADSTREAM_SERVER##*:}
kill -KILL "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=
echo "0.5,0.25,-1,0,1" >>"$work/train.csv"
serve --listen "127.0.0.1:$port"
wait_for "$job" '.state == "FAILED"'
reason=$(gs get "$job" --json | jq -r .reason)
[[ $reason == "data.files.train_features: $work/train.csv changed since the job started (sha256 $want -> "* ]] ||
  fail "changed file reason: $reason"
[[ $reason == *"size $size -> $((size + 16)) bytes)" ]] || fail "sizes in the reason: $reason"
pass "the file changed between kill -9 and restart: the job failed naming it"
kill -TERM "$server_pid"
wait "$server_pid" || fail "server exited $? on SIGTERM"
server_pid=
echo "data_files: $passed checks passed"
