#!/usr/bin/env bash
# What checkpoints cost a job, measured through the real server: the same
# spec trained on gradstream-server with --checkpoint-every 0 ("off": only a
# shutdown would take one) and with --checkpoint-every SECONDS ("on"),
# alternately, the order flipped every round. A run's time is the sum of its
# epochs' training seconds from the job's epoch events (a checkpoint is taken
# and stored inside the timed loop, on the job's thread). Prints each run, the
# medians and on/off, and how long a resume of the spec takes (a SIGKILL
# mid-run, a restart, the time until the server logs the job resumed: data
# loaded, trainer built, checkpoint restored).
# usage: bench/checkpoint_overhead.sh [--rounds N] [--every SECONDS] [--epochs N] [SPEC]
#   defaults: 3 rounds, every 1 s (the default is 30 s: 30 times rarer), 3 epochs,
#   examples/fashion-mnist-mlp.json
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=3
every=1
epochs=3
spec=$root/examples/fashion-mnist-mlp.json
usage() { echo "usage: $0 [--rounds N] [--every SECONDS] [--epochs N] [SPEC]" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --every) every=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) usage ;;
    *) spec=$1; shift ;;
  esac
done
source "$root/scripts/lib/bench.sh"
bench_setup checkpoint_overhead
jq --argjson e "$epochs" '.epochs = $e' "$spec" >"$work/spec.json"

# run_once SECONDS: one job on a fresh server; prints its training seconds.
run_once() {
  local data=$work/data-$RANDOM
  start_server "$server_bin" "$work/server.log" --metrics-address "" --data-dir "$data" \
    --checkpoint-every "$1" >/dev/null || exit 1
  "$cli_bin" submit "$work/spec.json" --watch --json >"$work/events"
  local seconds
  seconds=$(jq -s '[.[] | select(.epoch) | .epoch.seconds] | add' "$work/events")
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=
  rm -rf "$data"
  echo "$seconds"
}

off=()
on=()
for ((i = 1; i <= rounds; i++)); do
  if ((i % 2)); then order=(off on); else order=(on off); fi
  for kind in "${order[@]}"; do
    if [[ $kind == off ]]; then s=$(run_once 0); off+=("$s"); else s=$(run_once "$every"); on+=("$s"); fi
    echo "round $i checkpoints $kind: ${s}s"
  done
done
python3 - "${off[*]}" "${on[*]}" "$every" <<'PY'
import statistics, sys
off = [float(v) for v in sys.argv[1].split()]
on = [float(v) for v in sys.argv[2].split()]
every = float(sys.argv[3])
print(f"off: median {statistics.median(off):.3f} s; every {every:g} s: median "
      f"{statistics.median(on):.3f} s; on/off {statistics.median(on) / statistics.median(off):.4f}")
PY

# Resume: kill mid-run after a checkpoint, restart, time to the next step.
data=$work/resume
start_server "$server_bin" "$work/server.log" --metrics-address "" --data-dir "$data" \
  --checkpoint-every 0.5 >/dev/null || exit 1
port=${GRADSTREAM_SERVER##*:}
job=$("$cli_bin" submit "$work/spec.json" --json | jq -r .id)
sleep 2
kill -KILL "$server_pid"
wait "$server_pid" 2>/dev/null || true
before=$(date +%s.%N)
start_server "$server_bin" "$work/server.log" --listen "127.0.0.1:$port" --metrics-address "" \
  --data-dir "$data" >/dev/null || exit 1
listening=$(date +%s.%N)
for _ in $(seq 1 600); do
  grep -q '"job resumed"' "$work/server.log" && break
  sleep 0.01
done
resumed=$(date +%s.%N)
from=$(grep -o '"from_step":[0-9]*' "$work/server.log" | tail -n1 | cut -d: -f2)
awk -v a="$before" -v b="$listening" -v c="$resumed" -v s="$from" 'BEGIN {
  printf "resume: listening %.2f s after the restart, the job resumed (from step %s) %.2f s after it\n",
         b - a, s, c - a }'
"$cli_bin" cancel "$job" >/dev/null 2>&1 || true
