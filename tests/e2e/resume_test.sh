#!/usr/bin/env bash
# End to end: a job survives kill -9 and SIGTERM and ends exactly where an
# uninterrupted run of the same spec ends.
#   1. A 200-epoch job on a server killed with SIGKILL 20 times at random
#      moments, restarted on the same port each time, with a `gradstream
#      watch` that reconnects by itself. Every other server checkpoints after
#      every step (--checkpoint-every 0.001), so its kill most likely lands in
#      a checkpoint's write; every fifth kill lands while `gradstream upload`
#      sends the Fashion-MNIST training set (its upload directory exists).
#      The job resumes each time and SUCCEEDS; its exported model is
#      byte-identical to an uninterrupted run's; the watch printed every event
#      once (sequences 1, 2, 3, ...) and the loss of every step equals the
#      uninterrupted run's; a replay from sequence 1 says the same; the cut
#      uploads failed, left nothing behind, and the set uploads whole after;
#      no temporary file is left in the data dir.
#   2. SIGTERM with two running jobs, one queued and twenty watchers: the
#      server exits 0 within 10 s; watchers that may not reconnect end with
#      UNAVAILABLE "server shutting down; reconnect with from_sequence N";
#      after a restart all three jobs SUCCEED with the uninterrupted model and
#      the reconnecting watchers exit 0.
# usage: resume_test.sh SERVER_BIN CLI_BIN SOURCE_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"
command -v jq >/dev/null || fail "jq missing (scripts/install-deps.sh)"
readonly kKills=20
readonly kEpochs=200
readonly kWatchers=20
readonly kFashionMnist=/usr/share/datasets/fashion-mnist
readonly kTimeoutSeconds=600

# spec EPOCHS: a small Fashion-MNIST job, one thread, every step reported.
spec() {
  cat <<SPEC
{"model": {"inputShape": [784], "layers": [
   {"dense": {"units": 32, "activation": {"name": "relu"}}},
   {"dropout": {"rate": 0.2}},
   {"dense": {"units": 10}}]},
 "optimizer": {"adam": {}, "learningRate": 0.002, "schedule": {"cosine": {}}},
 "data": {"builtin": "fashion-mnist", "preprocess": "SCALE"}, "epochs": $1, "batchSize": 256,
 "seed": 7, "threads": 1, "reporting": {"stepEvery": 1}}
SPEC
}
# losses FILE: "step loss" per step event of a --json event stream.
losses() { jq -r 'select(.step) | "\(.step.step) \(.step.loss)"' "$1"; }
# serve DATA_DIR PORT [FLAGS...]
serve() {
  local data=$1 port=$2
  shift 2
  start_server "$server_bin" "$work/server.log" --listen "127.0.0.1:$port" --metrics-address "" \
    --data-dir "$data" "$@" || fail "server did not start: $(cat "$work/server.log")"
}
# reference EPOCHS FLAGS...: an uninterrupted run on a server with FLAGS (the
# job's spec, which the model file holds, depends on them: the thread budget
# decides data.no_prefetch); its events in ref-EPOCHS.events, model in ref-EPOCHS.pb.
reference() {
  local epochs=$1
  shift
  spec "$epochs" >"$work/spec-$epochs.json"
  serve "$work/ref-$epochs" 0 "$@"
  gs submit "$work/spec-$epochs.json" --watch --json >"$work/ref-$epochs.events" ||
    fail "the reference run exited $?"
  gs export "$(jq -r 'select(.jobId) | .jobId' "$work/ref-$epochs.events" | head -n1)" \
    -o "$work/ref-$epochs.pb" || fail "reference export exited $?"
  kill -TERM "$server_pid"
  wait "$server_pid" || fail "the reference server exited $?"
  server_pid=
}
state_of() { gs get "$1" --json | jq -r .state; }

# 1. kill -9 at random moments.
reference $kEpochs --threads-per-job 1
data=$work/var
# restart N: the server of the N-th start; odd ones checkpoint after every step.
restart() {
  local every=0.3
  (($1 % 2 == 1)) && every=0.001
  serve "$data" "${port:-0}" --checkpoint-every $every --threads-per-job 1
}
restart 0
port=${GRADSTREAM_SERVER##*:}
job=$(gs submit "$work/spec-$kEpochs.json" --json | jq -r .id)
[[ $job == job-* ]] || fail "submit gave no job id"
gs watch "$job" --json >"$work/watch.events" 2>"$work/watch.err" &
watcher=$!
background_pids+=("$watcher")
kills=0
upload_kills=0
for k in $(seq 1 $kKills); do
  # Each kill comes once this server trains the job (it resumed it), so every
  # kill interrupts training, not the restart's data loading.
  for _ in $(seq 1 600); do
    ((k == 1)) && [[ $(gs get "$job" --json | jq -r '.steps // "0"') != 0 ]] && break
    grep -q '"job resumed"' "$work/server.log" && break
    sleep 0.05
  done
  if ((k % 5 == 0)); then
    # Killed while the upload's directory exists: mid-upload.
    gs upload "$kFashionMnist/train-images-idx3-ubyte.gz" "$kFashionMnist/train-labels-idx1-ubyte.gz" \
      >/dev/null 2>"$work/upload-$k.err" &
    uploader=$!
    background_pids+=("$uploader")
    for _ in $(seq 1 200); do
      compgen -G "$data/datasets/.upload-*" >/dev/null && break
      sleep 0.01
    done
    compgen -G "$data/datasets/.upload-*" >/dev/null || fail "upload $k never started: $(cat "$work/upload-$k.err")"
  else
    sleep "$(awk -v r="$RANDOM" 'BEGIN { print 0.05 + r / 32768 }')"
  fi
  state=$(state_of "$job")
  [[ $state == RUNNING ]] || break
  kill -KILL "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  kills=$((kills + 1))
  if ((k % 5 == 0)); then
    wait "$uploader" && status=0 || status=$?
    [[ $status -ne 0 ]] || fail "an upload cut by kill -9 exited 0"
    upload_kills=$((upload_kills + 1))
  fi
  restart $k
done
((kills == kKills)) || fail "the job was $state after only $kills kills: $(gs get "$job" --json | jq -c '{state, reason, resumes, steps}')"
timeout $kTimeoutSeconds tail --pid="$watcher" -f /dev/null || fail "the watch never ended"
wait "$watcher" && status=0 || status=$?
[[ $status -eq 0 ]] || fail "watch exited $status: $(tail -n 5 "$work/watch.err")"
[[ $(state_of "$job") == SUCCEEDED ]] || fail "the job ended $(state_of "$job")"
resumes=$(gs get "$job" --json | jq -r '.resumes // 0')
# Every kill came after its server resumed the job, and the last server resumed it too.
((resumes == kills)) || fail "$kills kills but $resumes resumes"
gs export "$job" -o "$work/resumed.pb" || fail "export exited $?"
cmp -s "$work/ref-$kEpochs.pb" "$work/resumed.pb" ||
  fail "the resumed job's model differs from the uninterrupted run's"
jq -r .sequence "$work/watch.events" >"$work/sequences"
seq 1 "$(wc -l <"$work/sequences")" | cmp -s - "$work/sequences" ||
  fail "the watch saw sequences with gaps or repeats: $(head -c 300 "$work/sequences")"
diff <(losses "$work/ref-$kEpochs.events") <(losses "$work/watch.events") >/dev/null ||
  fail "step losses differ from the uninterrupted run's"
gs watch "$job" --json >"$work/replay.events" || fail "replay exited $?"
jq -r .sequence "$work/replay.events" | cmp -s - "$work/sequences" || fail "the replay differs"
diff <(losses "$work/ref-$kEpochs.events") <(losses "$work/replay.events") >/dev/null ||
  fail "replayed step losses differ from the uninterrupted run's"
leftovers=$(find "$data" -name '*.tmp' -o -name '.upload-*' -o -name '*-journal')
[[ -z $leftovers ]] || fail "temporary files left: $leftovers"
grep -c 'reconnecting from sequence' "$work/watch.err" >/dev/null || fail "the watch never reconnected"
id=$(gs upload "$kFashionMnist/train-images-idx3-ubyte.gz" "$kFashionMnist/train-labels-idx1-ubyte.gz") ||
  fail "the upload after the cut ones exited $?"
[[ $id =~ ^sha256:[0-9a-f]{64}$ ]] || fail "upload printed '$id'"
[[ $(find "$data/datasets" -mindepth 1 -maxdepth 1 | wc -l) -eq 1 ]] ||
  fail "the data sets dir holds more than the one whole upload: $(ls -a "$data/datasets")"
pass "$upload_kills kills during an upload: nothing left behind, the set uploads whole after"
pass "$kills kills: the job resumed $resumes times to the uninterrupted model, every step's loss and every event once"
kill -TERM "$server_pid"
wait "$server_pid" || fail "server exited $? on SIGTERM"
server_pid=

# 2. SIGTERM with running, queued and watched jobs.
reference 40 --max-concurrent-jobs 2 --threads-per-job 1
data=$work/var2
serve "$data" 0 --max-concurrent-jobs 2 --threads-per-job 1 --checkpoint-every 0
port=${GRADSTREAM_SERVER##*:}
jobs=()
for _ in 1 2 3; do jobs+=("$(gs submit "$work/spec-40.json" --json | jq -r .id)"); done
watchers=()
for i in 0 1 2; do
  gs watch "${jobs[$i]}" --json >"$work/sigterm-$i.events" 2>"$work/sigterm-$i.err" &
  watchers+=($!)
  background_pids+=($!)
done
# The rest may not reconnect, spread over the three jobs (the queued one too).
for i in $(seq 3 $((kWatchers - 1))); do
  gs watch "${jobs[$((i % 3))]}" --json --reconnect-seconds 0 >"$work/sigterm-$i.events" 2>"$work/sigterm-$i.err" &
  watchers+=($!)
  background_pids+=($!)
done
for _ in $(seq 1 300); do
  [[ $(state_of "${jobs[1]}") == RUNNING ]] && grep -q '"step"' "$work/sigterm-1.events" && break
  sleep 0.1
done
# Every watcher has its stream (it printed the replayed QUEUED event): one
# still connecting when the listener closes would hear "connection refused".
for i in $(seq 0 $((kWatchers - 1))); do
  for _ in $(seq 1 600); do
    [[ -s $work/sigterm-$i.events ]] && break
    sleep 0.05
  done
  [[ -s $work/sigterm-$i.events ]] || fail "watcher $i got no event in 30 s: $(cat "$work/sigterm-$i.err")"
done
third=$(gs get "${jobs[2]}" --json 2>"$work/get.err" | jq -r .state) || true
[[ $third == QUEUED ]] || fail "the third job is '$third', not QUEUED: $(cat "$work/get.err")"
started=$(date +%s.%N)
kill -TERM "$server_pid"
wait "$server_pid" && status=0 || status=$?
server_pid=
took=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
[[ $status -eq 0 ]] || fail "the server exited $status on SIGTERM"
awk -v t="$took" 'BEGIN { exit !(t < 10) }' || fail "SIGTERM took ${took}s"
for i in $(seq 3 $((kWatchers - 1))); do
  wait "${watchers[$i]}" && status=0 || status=$?
  [[ $status -eq 14 ]] || fail "watcher $i, which may not reconnect, exited $status: $(cat "$work/sigterm-$i.err")"
  grep -q 'UNAVAILABLE: server shutting down; reconnect with from_sequence [0-9]' \
    "$work/sigterm-$i.err" || fail "watcher $i: $(cat "$work/sigterm-$i.err")"
done
serve "$data" "$port" --max-concurrent-jobs 2 --threads-per-job 1 --checkpoint-every 0
for i in 0 1 2; do
  timeout $kTimeoutSeconds tail --pid="${watchers[$i]}" -f /dev/null || fail "watcher $i never ended"
  wait "${watchers[$i]}" && status=0 || status=$?
  [[ $status -eq 0 ]] || fail "watcher $i exited $status: $(tail -n 3 "$work/sigterm-$i.err")"
  [[ $(state_of "${jobs[$i]}") == SUCCEEDED ]] || fail "${jobs[$i]} ended $(state_of "${jobs[$i]}")"
  gs export "${jobs[$i]}" -o "$work/sigterm-$i.pb" || fail "export exited $?"
  cmp -s "$work/ref-40.pb" "$work/sigterm-$i.pb" || fail "${jobs[$i]}'s model differs from the uninterrupted run's"
  diff <(losses "$work/ref-40.events") <(losses "$work/sigterm-$i.events") >/dev/null ||
    fail "${jobs[$i]}: step losses differ from the uninterrupted run's"
done
pass "SIGTERM in ${took}s with 2 running, 1 queued, $kWatchers watchers: all three finish as uninterrupted runs"
echo "resume: $passed checks passed"
