#!/usr/bin/env bash
# End to end: jobs outlive the server process.
#   1. A job trained to SUCCEEDED, then SIGTERM and a new server on the same
#      --data-dir: list and get show it as before (its run line included),
#      export gives the same bytes, predict answers the same, watch replays it
#      to the end, and its idempotency key still returns it.
#   2. A RUNNING and a QUEUED job when the server is killed (SIGKILL): after a
#      restart the running one resumes from its checkpoint and the queued one
#      starts; both SUCCEED and watch exits 0 (resume_test.sh checks exactness).
#   3. A second server on the same --data-dir refuses to start, naming the
#      directory and the first server's pid.
#   4. A damaged jobs.sqlite: the server refuses to start, naming the file.
# usage: restart_test.sh SERVER_BIN CLI_BIN SOURCE_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"
data=$work/var
serve() { start_server "$server_bin" "$work/server.log" --data-dir "$data" --threads-per-job 2 ||
  fail "server did not start: $(cat "$work/server.log")"; }
stop() { kill -TERM "$server_pid"; wait "$server_pid" || fail "server exited $? on SIGTERM"; server_pid=; }

small_spec 1 >"$work/small.json"
# Two samples for predict: a blank image and a bright one.
python3 -c 'print(",".join(["0"] * 784)); print(",".join(["0.8"] * 784))' >"$work/inputs.csv"

# 1. A finished job survives a graceful restart.
serve
gs submit "$work/small.json" --idempotency-key restart-e2e --watch >/dev/null || fail "submit --watch exited $?"
id=$(gs list | awk 'NR == 2 { print $1 }')
[[ $id == job-* ]] || fail "no job id in list: $(gs list)"
gs get "$id" | grep -v '^last sequence' >"$work/get.before"
# The record of the run (checked here, kept across the restart by the diff below).
grep -Eq '^run: .+, oneDNN [0-9]+\.[0-9]+\.[0-9]+ [a-z0-9_]+, [0-9]+ threads?, seed [0-9]+$' \
  "$work/get.before" || fail "get shows no run line: $(cat "$work/get.before")"
gs export "$id" -o "$work/model.before" || fail "export exited $?"
gs predict "$id" --input "$work/inputs.csv" --json >"$work/predict.before" || fail "predict exited $?"
gs watch "$id" --json >"$work/watch.before" || fail "watch exited $?"
stop
serve
gs list >"$work/list" || fail "list exited $?"
grep -q "^$id  *SUCCEEDED" "$work/list" || fail "job not SUCCEEDED after restart: $(cat "$work/list")"
gs get "$id" | grep -v '^last sequence' >"$work/get.after"
diff "$work/get.before" "$work/get.after" >&2 || fail "get differs after restart"
gs export "$id" -o "$work/model.after" || fail "export after restart exited $?"
cmp -s "$work/model.before" "$work/model.after" || fail "exported model differs after restart"
gs predict "$id" --input "$work/inputs.csv" --json >"$work/predict.after" || fail "predict after restart exited $?"
diff "$work/predict.before" "$work/predict.after" >&2 || fail "predictions differ after restart"
gs watch "$id" --json >"$work/watch.after" || fail "watch after restart exited $?"
diff "$work/watch.before" "$work/watch.after" >&2 || fail "replayed events differ after restart"
[[ $(gs submit "$work/small.json" --idempotency-key restart-e2e --json | jq -r .id) == "$id" ]] ||
  fail "the idempotency key no longer returns the job"
pass "a finished job survives a restart: get (with its run), export, predict, watch, idempotency key"

# 2. Unfinished jobs of a killed server go on: the running one from its
# checkpoint, the queued one from the start.
small_spec 4 >"$work/long.json"
running=$(gs submit "$work/long.json" --json | jq -r .id)
queued=$(gs submit "$work/long.json" --json | jq -r .id)
# Killed once it has finished an epoch: the epoch count it reached is kept.
for _ in $(seq 1 600); do
  gs get "$running" | grep -q '^epochs: [1-9]' && break
  sleep 0.1
done
gs get "$running" | grep -q '^epochs: [1-9]' || fail "job never finished an epoch: $(gs get "$running")"
kill -KILL "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=
serve
for job in "$running" "$queued"; do
  gs get "$job" >"$work/get" || fail "$job unknown after restart"
  grep -Eq '^state: (RUNNING|QUEUED)' "$work/get" || fail "$job: $(cat "$work/get")"
  status=0
  gs watch "$job" >/dev/null 2>&1 || status=$?
  [[ $status -eq 0 ]] || fail "watch of $job exited $status, want 0 (SUCCEEDED)"
  gs get "$job" --json >"$work/get.json"
  [[ $(jq -r .state "$work/get.json") == SUCCEEDED ]] || fail "$job: $(cat "$work/get.json")"
done
[[ $(jq -r '.resumes // 0' <(gs get "$running" --json)) -eq 1 ]] ||
  fail "the running job was not resumed: $(gs get "$running")"
grep -q "^$id  *SUCCEEDED" <(gs list) || fail "the finished job is gone after a kill"
pass "jobs of a killed server go on after a restart and succeed"

# 3. One server per data dir.
if "$server_bin" --listen 127.0.0.1:0 --metrics-address "" --data-dir "$data" 2>"$work/second.log"; then
  fail "a second server started on the same data dir"
fi
grep -q "data_dir: $data is in use by another gradstream-server (pid $server_pid)" "$work/second.log" ||
  fail "unclear error: $(cat "$work/second.log")"
gs list >/dev/null || fail "the first server stopped serving"
pass "a second server on the same data dir is refused, naming it and the first's pid"
stop

# 4. A damaged store.
head -c 8192 /dev/urandom >"$data/jobs.sqlite"
rm -f "$data/jobs.sqlite-wal" "$data/jobs.sqlite-shm"
if "$server_bin" --listen 127.0.0.1:0 --metrics-address "" --data-dir "$data" 2>"$work/bad.log"; then
  fail "server started on a damaged job store"
fi
grep -q "$data/jobs.sqlite" "$work/bad.log" || fail "error does not name the file: $(cat "$work/bad.log")"
pass "a damaged job store is refused, naming the file"
echo "restart: $passed checks passed"
