#!/usr/bin/env bash
# What CreateJob costs on server-side files of Fashion-MNIST's size (60,000
# samples of 784 values): the built-in set's gzip IDX files named as
# data.files, and the same samples as a CSV (label first, 785 columns,
# written once into a scratch directory). Each round times one `gradstream
# submit` process (start, connect, CreateJob, exit), then cancels the job and
# waits until it has ended, so no job's loading overlaps the next submit.
# Prints each time and the median per format.
# usage: bench/create_job_files.sh [--rounds N]   (default 5)
#   GRADSTREAM_SERVER_BIN / GRADSTREAM_CLI_BIN pick other binaries (another build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fmnist=${GRADSTREAM_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
rounds=5
if [[ $# -eq 2 && $1 == --rounds ]]; then rounds=$2; elif [[ $# -ne 0 ]]; then
  echo "usage: $0 [--rounds N]" >&2
  exit 2
fi
command -v python3 >/dev/null || { echo "create_job_files: python3 missing" >&2; exit 1; }
source "$root/scripts/lib/bench.sh"
bench_setup create_job_files

# The CSV: label, then the 784 pixels, one sample per line.
python3 - "$fmnist" "$work/train.csv" <<'PY'
import gzip, sys
src, out = sys.argv[1], sys.argv[2]
images = gzip.open(src + "/train-images-idx3-ubyte.gz").read()[16:]
labels = gzip.open(src + "/train-labels-idx1-ubyte.gz").read()[8:]
with open(out, "w") as f:
    for i, label in enumerate(labels):
        f.write(str(label) + "," + ",".join(map(str, images[i * 784:(i + 1) * 784])) + "\n")
PY
spec_with() {  # spec_with DATA_JSON: the example MLP, one epoch, on that data
  jq --argjson data "$1" '.data = $data | .epochs = 1' "$root/examples/fashion-mnist-mlp.json"
}
spec_with "{\"files\": {\"trainFeatures\": \"$fmnist/train-images-idx3-ubyte.gz\",
  \"trainLabels\": \"$fmnist/train-labels-idx1-ubyte.gz\"}, \"preprocess\": \"SCALE\"}" \
  >"$work/idx.json"
spec_with "{\"files\": {\"trainFeatures\": \"$work/train.csv\", \"labelColumn\": 0},
  \"preprocess\": \"SCALE\"}" >"$work/csv.json"

start_server "$server_bin" "$work/server.log" --metrics-address "" --data-dir "$work/var" \
  --data-root "$fmnist" --data-root "$work" ||
  exit 1
echo "csv: $(stat -c %s "$work/train.csv") bytes; idx: $(stat -c %s "$fmnist/train-images-idx3-ubyte.gz") bytes (gzip)"
for format in idx csv; do
  times=()
  for _ in $(seq 1 "$rounds"); do
    start=$(date +%s.%N)
    job=$("$cli_bin" submit "$work/$format.json" --json | jq -r .id)
    end=$(date +%s.%N)
    times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')")
    "$cli_bin" cancel "$job" >/dev/null 2>&1 || true
    while [[ $("$cli_bin" get "$job" --json | jq -r .state) =~ ^(QUEUED|RUNNING)$ ]]; do
      sleep 0.1
    done
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  echo "$format: CreateJob via gradstream submit, s: ${times[*]}; median $median"
done
kill -TERM "$server_pid"
wait "$server_pid" || true
server_pid=
