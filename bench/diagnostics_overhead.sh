#!/usr/bin/env bash
# What the diagnostics (vanishing/exploding gradients, dead ReLU, saturation)
# add to training time at their default cadence. Runs gradstream-bench on the
# same spec alternately with --no-diagnostics ("off") and without it ("on",
# reporting.diagnostics_every from the spec or its default, 20), N runs of each.
# A run's time is the sum of its epochs' training-loop seconds (the diagnostics
# run inside that loop; data loading and evaluation are outside it). Prints each
# run, then the medians and on/off as a ratio and in %, and the median of the
# runs' own on/off ratios.
# usage: bench/diagnostics_overhead.sh [--runs N] [--epochs N] [--threads N]
#                                      [--every N] [SPEC]
#   defaults: 3 runs of each, 2 epochs, 2 threads, examples/fashion-mnist-mlp.json
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bench_bin=${GRADSTREAM_BENCH_BIN:-$root/build/bin/gradstream-bench}
runs=3
epochs=2
threads=2
every=
spec=$root/examples/fashion-mnist-mlp.json
usage() { echo "usage: $0 [--runs N] [--epochs N] [--threads N] [--every N] [SPEC]" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --every) every=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) usage ;;
    *) spec=$1; shift ;;
  esac
done
[[ -x $bench_bin ]] || { echo "diagnostics_overhead: $bench_bin not built" >&2; exit 1; }

common=("$spec" --epochs "$epochs" --threads "$threads")
on_flags=()
[[ -n $every ]] && on_flags=(--diagnostics-every "$every")

# run_once on|off: trains once, prints the training-loop seconds.
run_once() {
  local flags=()
  if [[ $1 == off ]]; then flags=(--no-diagnostics); else flags=("${on_flags[@]}"); fi
  "$bench_bin" "${common[@]}" "${flags[@]}" 2>/dev/null | tail -n1 |
    python3 -c 'import json, sys; print("%.4f" % json.loads(sys.stdin.read())["train_seconds"])'
}

off=()
on=()
for ((i = 1; i <= runs; i++)); do
  # Alternate which kind goes first so a drift in machine speed hits both.
  if ((i % 2)); then order=(off on); else order=(on off); fi
  for kind in "${order[@]}"; do
    s=$(run_once "$kind")
    echo "run $i diagnostics $kind: ${s}s"
    if [[ $kind == off ]]; then off+=("$s"); else on+=("$s"); fi
  done
done

python3 - "${off[*]}" "${on[*]}" <<'EOF'
import statistics, sys
off = [float(x) for x in sys.argv[1].split()]
on = [float(x) for x in sys.argv[2].split()]
m_off, m_on = statistics.median(off), statistics.median(on)
# Each run's on/off pair ran back to back: the median of their ratios shrugs
# off a slow minute that hit only one pair.
pairs = statistics.median(b / a for a, b in zip(off, on))
print("median off %.4fs  on %.4fs  ratio on/off %.4f  overhead %+.2f%%"
      % (m_off, m_on, m_on / m_off, (m_on / m_off - 1) * 100))
print("median of per-run ratios on/off %.4f  overhead %+.2f%%" % (pairs, (pairs - 1) * 100))
EOF
