#!/usr/bin/env bash
# What finished jobs' models cost a server in memory, through the real server
# and CLI: JOBS jobs with big models (a dense network input -> UNITS (relu) -> 2
# on an uploaded data set of a few samples, 1 epoch, SGD: 4 x (FEATURES x UNITS
# + 3 x UNITS + 2) bytes of model file each; the defaults make 80 MB) trained to
# SUCCEEDED, then SIGTERM and a new server on the same --data-dir with
# --model-cache-mb CACHE_MB. It reads VmRSS and VmHWM (/proc/PID/status) of the
# new server once it listens and again after exporting every job once, checks
# that the first job exports the same bytes as before the restart, and prints
# one JSON object: the figures in MiB, the bound (CACHE_MB + 200 MiB), and the
# model cache's bytes from /metrics after the exports.
# usage: bench/model_cache_rss.sh [--jobs N] [--cache-mb MB] [--units N] [--features N]
#                                 [--no-cache-flag]
#   defaults: 30 jobs, 256 MiB (the server's default), 4880 units, 4096 features.
#   GRADSTREAM_SERVER_BIN / GRADSTREAM_CLI_BIN pick the binaries (default build/bin/);
#   --no-cache-flag runs a server that predates --model-cache-mb (every model in memory).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=30
cache_mb=256
units=4880
features=4096
cache_flag=1
# Samples in the uploaded set: one batch of training, a couple for validation.
readonly kSamples=10
# RSS may exceed the cache bound by this much: the server's code, oneDNN, gRPC
# and one model in flight.
readonly kHeadroomMib=200
usage() {
  echo "usage: $0 [--jobs N] [--cache-mb MB] [--units N] [--features N] [--no-cache-flag]" >&2
  exit 2
}
while [[ $# -gt 0 ]]; do
  case $1 in
    --jobs) jobs=$2; shift 2 ;;
    --cache-mb) cache_mb=$2; shift 2 ;;
    --units) units=$2; shift 2 ;;
    --features) features=$2; shift 2 ;;
    --no-cache-flag) cache_flag=0; shift ;;
    *) usage ;;
  esac
done
source "$root/scripts/lib/bench.sh"
bench_setup model_cache_rss
die() { echo "model_cache_rss: $*" >&2; exit 1; }
gs() { "$cli_bin" "$@"; }
serve() {
  local flags=(--data-dir "$work/var" --max-concurrent-jobs 1 --threads-per-job 1)
  [[ $cache_flag -eq 1 ]] && flags+=(--model-cache-mb "$cache_mb")
  start_server "$server_bin" "$work/server.log" "${flags[@]}" >/dev/null ||
    die "server did not start: $(cat "$work/server.log")"
}
stop() { kill -TERM "$server_pid"; wait "$server_pid" || die "server exited $? on SIGTERM"; server_pid=; }
# status_mib FIELD: the server's FIELD (VmRSS, VmHWM) from /proc, in MiB.
status_mib() { awk -v f="$1:" '$1 == f { printf "%.1f", $2 / 1024 }' "/proc/$server_pid/status"; }

# kSamples rows "label,x1..xF" of deterministic values.
awk -v n="$kSamples" -v f="$features" 'BEGIN {
  for (i = 0; i < n; i++) {
    line = i % 2;
    for (j = 0; j < f; j++) line = line "," sprintf("%.3f", sin(i * 0.37 + j * 0.011));
    print line;
  }
}' >"$work/wide.csv"

serve
dataset=$(gs upload "$work/wide.csv" --name wide) || die "upload exited $?"
ids=()
for ((i = 1; i <= jobs; i++)); do
  cat >"$work/spec.json" <<SPEC
{"model": {"inputShape": [$features], "layers": [
   {"dense": {"units": $units, "activation": {"name": "relu"}}}, {"dense": {"units": 2}}]},
 "optimizer": {"sgd": {}, "learningRate": 0.01},
 "data": {"datasetId": "$dataset"}, "epochs": 1, "batchSize": $kSamples, "seed": $i, "threads": 1}
SPEC
  ids+=("$(gs submit "$work/spec.json" --json | jq -r .id)")
done
started=$SECONDS
for id in "${ids[@]}"; do
  while [[ $(gs get "$id" --json | jq -r .state) =~ ^(QUEUED|RUNNING)$ ]]; do sleep 0.5; done
  [[ $(gs get "$id" --json | jq -r .state) == SUCCEEDED ]] || die "job $id: $(gs get "$id")"
done
train_seconds=$((SECONDS - started))
gs export "${ids[0]}" -o "$work/first.before" || die "export exited $?"
model_bytes=$(stat -c %s "$work/first.before")
stop

serve
sleep 1  # settled: restore done, gRPC threads up
rss_restart=$(status_mib VmRSS)
hwm_restart=$(status_mib VmHWM)
started=$SECONDS
for id in "${ids[@]}"; do
  gs export "$id" -o "$work/model" || die "export of $id after the restart exited $?"
  [[ $id == "${ids[0]}" ]] && { cmp -s "$work/first.before" "$work/model" ||
    die "job $id exports other bytes after the restart"; }
  rm -f "$work/model"
done
export_seconds=$((SECONDS - started))
rss_exports=$(status_mib VmRSS)
hwm_exports=$(status_mib VmHWM)
cache_bytes=$(curl -sf "http://127.0.0.1:$GRADSTREAM_METRICS_PORT/metrics" |
  awk '$1 == "gradstream_model_cache_bytes" { print $2 }')
stop

jq -cn --argjson jobs "$jobs" --argjson model_bytes "$model_bytes" \
  --argjson cache_mb "$([[ $cache_flag -eq 1 ]] && echo "$cache_mb" || echo null)" \
  --argjson bound_mib "$((cache_mb + kHeadroomMib))" \
  --argjson rss_after_restart_mib "$rss_restart" --argjson hwm_after_restart_mib "$hwm_restart" \
  --argjson rss_after_exports_mib "$rss_exports" --argjson hwm_after_exports_mib "$hwm_exports" \
  --argjson cache_bytes "${cache_bytes:-null}" \
  --argjson train_seconds "$train_seconds" --argjson export_seconds "$export_seconds" \
  '$ARGS.named'
