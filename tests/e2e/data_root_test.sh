#!/usr/bin/env bash
# End to end: server-side files (data.files) only under --data-root.
#   1. A server started without --data-root refuses every data.files path
#      with PERMISSION_DENIED naming the flag.
#   2. With --data-root DATA: an absolute path outside (a marked file,
#      /etc/passwd, /proc/self/environ of a server whose environment holds
#      the marker), a `..` escaping DATA, a symlink inside DATA leading out, a
#      sibling directory sharing DATA's name prefix and a missing file outside
#      are each PERMISSION_DENIED, and no reply or server log line holds the
#      marker; a missing file inside DATA is NOT_FOUND.
#   3. Inside DATA, directly and through a symlink that stays inside, the
#      job trains to SUCCEEDED, on the file the symlink leads to.
#   4. A server whose --data-root (flag or config file key) does not exist
#      does not start, naming the flag.
# usage: data_root_test.sh SERVER_BIN CLI_BIN SOURCE_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"
command -v jq >/dev/null || fail "jq missing (scripts/install-deps.sh)"
readonly kMarker=SECRET-TOKEN-123
readonly kPermissionDenied=7 kNotFound=5

# spec CSV: a tiny MLP, one epoch, on a 4-feature CSV with the label last.
spec() {
  cat <<SPEC
{"model": {"inputShape": [4], "layers": [
   {"dense": {"units": 8, "activation": {"name": "tanh"}}}, {"dense": {"units": 2}}]},
 "optimizer": {"adam": {}, "learningRate": 0.01},
 "data": {"files": {"trainFeatures": "$1", "format": "CSV", "labelColumn": -1}},
 "epochs": 1, "batchSize": 16, "seed": 1, "threads": 1}
SPEC
}
# rows N: N CSV rows of 4 features and a 0/1 label.
rows() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "%d.5,0.25,-1,%d,%d\n", i % 7, i % 3, i % 2 }'; }
# refused CODE PATTERN PATH: submitting a job on PATH exits CODE with a message
# matching PATTERN and without the marker.
refused() {
  spec "$3" >"$work/spec.json"
  expect_error "$1" "$2" submit "$work/spec.json"
  ! grep -q "$kMarker" "$work/err" || fail "the reply on $3 quotes the file: $(cat "$work/err")"
}
stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || fail "server exited $? on SIGTERM"
  server_pid=
}

# Canonical from the start, so the paths the server reports read as written here.
base=$(realpath "$work")
mkdir -p "$base/data/sub" "$base/data2" "$base/outside"
rows 64 >"$base/data/train.csv"
rows 64 >"$base/data/sub/rows.bin"
ln -s sub/rows.bin "$base/data/alias.csv"
{ rows 8; echo "$kMarker,1,2,3,4"; } >"$base/outside/secret.csv"
printf '%s,1,2,3,0\n' "$kMarker" >"$base/data2/train.csv"
ln -s ../outside/secret.csv "$base/data/link.csv"
ln -s ../outside "$base/data/dir_out"

# 1. No --data-root: nothing server-side.
start_server "$server_bin" "$work/none.log" --metrics-address "" --data-dir "$work/var-none" ||
  fail "server did not start"
for path in "$base/data/train.csv" "$base/outside/secret.csv" /etc/passwd; do
  refused $kPermissionDenied \
    "PERMISSION_DENIED: data.files.train_features: .*server-side files are not allowed: start the server with --data-root DIR" \
    "$path"
done
pass "without --data-root every data.files path is PERMISSION_DENIED naming --data-root"
stop_server

# 2. Outside the root, existing or not: PERMISSION_DENIED, quoting nothing.
export GRADSTREAM_E2E_MARKER=$kMarker  # in the server's /proc/self/environ
start_server "$server_bin" "$work/server.log" \
  --metrics-address "" --data-dir "$work/var" --data-root "$base/data" --threads-per-job 1 ||
  fail "server did not start: $(cat "$work/server.log")"
outside="is outside every --data-root directory of this server"
for path in "$base/outside/secret.csv" /etc/passwd /proc/self/environ \
  "$base/data/../outside/secret.csv" "$base/data/sub/../../outside/secret.csv" \
  "$base/data/link.csv" "$base/data/dir_out/secret.csv" "$base/data2/train.csv" \
  "$base/outside/missing.csv" "$base/data/dir_out/missing.csv" /etc/no-such-file; do
  refused $kPermissionDenied "PERMISSION_DENIED: data.files.train_features: \"$path\" $outside\$" "$path"
done
pass "absolute, .., symlinked, sibling-prefix and missing paths outside: PERMISSION_DENIED alike"
refused $kNotFound "NOT_FOUND: data.files.train_features: $base/data/missing.csv: no such file" \
  "$base/data/missing.csv"
pass "a missing file inside the root is NOT_FOUND"

# 3. Inside the root: trained, on the resolved file.
spec "$base/data/train.csv" >"$work/inside.json"
gs submit "$work/inside.json" --watch >/dev/null || fail "a job inside the root did not succeed"
spec "$base/data/alias.csv" >"$work/alias.json"
job=$(gs submit "$work/alias.json" --json | jq -r .id)
gs watch "$job" >/dev/null || fail "a job through a symlink inside the root did not succeed"
gs get "$job" --json | jq -e --arg path "$base/data/sub/rows.bin" \
  '.state == "SUCCEEDED" and .spec.data.files.trainFeatures == $path and .dataFiles[0].path == $path' \
  >/dev/null || fail "symlinked job: $(gs get "$job" --json | jq -c '{state, reason, dataFiles}')"
pass "inside the root, directly and through a symlink: SUCCEEDED on the resolved file"
! grep -q "$kMarker" "$work/server.log" || fail "the server log quotes a file outside the root"
pass "the server log holds no marker"
stop_server

# 4. A root that does not exist is a startup error naming the flag.
if "$server_bin" --listen 127.0.0.1:0 --metrics-address "" --data-dir "$work/var" \
  --data-root "$base/nowhere" 2>"$work/bad.log"; then
  fail "a server with a missing --data-root started"
fi
grep -q -- "--data-root \\\\\"$base/nowhere\\\\\": No such file or directory" "$work/bad.log" ||
  fail "startup error: $(cat "$work/bad.log")"
printf 'data-root = ["%s", "%s"]\n' "$base/data" "$base/gone" >"$work/server.toml"
if "$server_bin" --config "$work/server.toml" --listen 127.0.0.1:0 --metrics-address "" \
  --data-dir "$work/var" 2>"$work/bad.log"; then
  fail "a server with a missing data-root in its config file started"
fi
grep -q -- "--data-root \\\\\"$base/gone\\\\\": No such file or directory" "$work/bad.log" ||
  fail "startup error from the config file: $(cat "$work/bad.log")"
pass "a missing --data-root (flag or config file) stops the server at start, naming the flag"
echo "data_root: $passed checks passed"
