#!/usr/bin/env bash
# A formula activation against the catalog entry it writes out: the spec's
# hidden activations become {"name": CATALOG} in one variant and
# {"expression": FORMULA} in the other (jq), and gradstream-bench trains them
# alternately, the order flipped every round so a drift in machine speed hits
# both. Prints each run's epoch seconds, then per variant the median and the
# fastest epoch, and formula / catalog for both (the fastest epochs are the
# figure least touched by a busy machine).
# usage: bench/formula_vs_catalog.sh [--rounds N] [--epochs N] [--catalog NAME]
#                                    [--formula TEXT] [SPEC]
#   defaults: 5 rounds, 3 epochs, silu against "x * sigmoid(x)",
#   examples/fashion-mnist-mlp.json
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bench_bin=${GRADSTREAM_BENCH_BIN:-$root/build/bin/gradstream-bench}
rounds=5
epochs=3
catalog=silu
formula='x * sigmoid(x)'
spec=$root/examples/fashion-mnist-mlp.json
usage() {
  echo "usage: $0 [--rounds N] [--epochs N] [--catalog NAME] [--formula TEXT] [SPEC]" >&2
  exit 2
}
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --catalog) catalog=$2; shift 2 ;;
    --formula) formula=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) usage ;;
    *) spec=$1; shift ;;
  esac
done
[[ -x $bench_bin ]] || { echo "formula_vs_catalog: $bench_bin not built" >&2; exit 1; }
command -v jq >/dev/null || { echo "formula_vs_catalog: jq missing" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Every activation that names an entry other than softmax/log_softmax (the
# output) becomes the variant's activation.
variant() {
  jq --argjson activation "$1" '
    (.. | objects | select(has("activation")) | .activation
        | select(.name != "softmax" and .name != "log_softmax")) |= $activation' "$spec"
}
variant "$(jq -n --arg n "$catalog" '{name: $n}')" >"$work/catalog.json"
variant "$(jq -n --arg e "$formula" '{expression: $e}')" >"$work/formula.json"

run_once() {
  "$bench_bin" "$work/$1.json" --epochs "$epochs" 2>/dev/null | tail -n1 |
    python3 -c 'import json, sys; d = json.loads(sys.stdin.read());
print(" ".join("%.4f" % s for s in d["epoch_seconds"]), d["run"]["isa"], d["final_train_loss"])'
}

: >"$work/catalog.epochs"
: >"$work/formula.epochs"
for ((i = 1; i <= rounds; i++)); do
  if ((i % 2)); then order=(catalog formula); else order=(formula catalog); fi
  for kind in "${order[@]}"; do
    line=$(run_once "$kind")
    echo "round $i $kind: $line"
    cut -d' ' -f1-"$epochs" <<<"$line" | tr ' ' '\n' >>"$work/$kind.epochs"
  done
done

python3 - "$work" "$catalog" "$formula" <<'PY'
import statistics, sys
work, catalog, formula = sys.argv[1:]
read = lambda kind: [float(v) for v in open(f"{work}/{kind}.epochs").read().split()]
c, f = read("catalog"), read("formula")
print(f"{catalog}: median epoch {statistics.median(c):.3f} s, fastest {min(c):.3f} s")
print(f"{formula}: median epoch {statistics.median(f):.3f} s, fastest {min(f):.3f} s")
print(f"formula / catalog: median {statistics.median(f) / statistics.median(c):.2f}, "
      f"fastest {min(f) / min(c):.2f}")
PY
