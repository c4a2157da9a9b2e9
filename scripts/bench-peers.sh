#!/usr/bin/env bash
# Trains the same spec with gradstream-bench and with the PyTorch peer
# (bench/peers/torch_mlp.py, Debian's python3-torch on OpenBLAS-OpenMP), one after
# the other on the same settings, for a number of rounds, and prints a table and, as
# the last line (bench/peers/summarize.py),
#   {"gradstream_samples_per_s":..., "pytorch_samples_per_s":..., "ratio":...,
#    "ratio_min":..., "ratio_max":..., "rounds": [...], "threads":..., "cpu": "...",
#    "peer_coretype": "...", "isa": "..."}
# where ratio = the median over rounds of gradstream / pytorch samples per second
# (> 1: gradstream is faster).
#
# usage: scripts/bench-peers.sh [SPEC] [--epochs N] [--threads N] [--batch N]
#                               [--rounds N] [--peer-coretype NAME] [--no-setup]
#   SPEC defaults to examples/fashion-mnist-mlp.json; epochs 3, threads 2, batch 128,
#   rounds 3 (each round runs both, back to back).
#   --peer-coretype NAME  the peer's OpenBLAS kernel set, passed to torch_mlp.py
#       --coretype (a name such as SkylakeX, auto or env). By default the peer
#       calibrates once, before the rounds (torch_mlp.py --calibrate-only times each
#       kernel set this CPU can run), and every round uses the winner.
#   --no-setup skips install-deps.sh and build.sh (use an existing build/).
# Environment:
#   OPENBLAS_CORETYPE        ignored unless --peer-coretype env (the machine's own
#                            setting is no choice of kernel for this benchmark)
#   GRADSTREAM_BENCH_BIN     the gradstream-bench to run (default build/bin/gradstream-bench)
#   GRADSTREAM_PEER_SCRIPT   the peer to run (default bench/peers/torch_mlp.py)
#   GRADSTREAM_BENCH_QUIET_WAIT  seconds to wait, before each run, for the machine
#                            to go idle (default 120); the runs happen anyway after it,
#                            with a warning and "quiet": false in the JSON line.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
spec=examples/fashion-mnist-mlp.json
epochs=3
threads=2
batch=128
rounds=3
setup=1

usage() { sed -n '12,28s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit "${1:-2}"; }
need_value() { [[ $# -ge 2 && $2 =~ ^[0-9]+$ && $2 -ge 1 ]] || { echo "bench-peers: $1 needs a positive integer" >&2; exit 2; }; }
peer_coretype=
spec_set=0
while (($#)); do
  case $1 in
    --epochs) need_value "$@"; epochs=$2; shift 2 ;;
    --threads) need_value "$@"; threads=$2; shift 2 ;;
    --batch) need_value "$@"; batch=$2; shift 2 ;;
    --rounds) need_value "$@"; rounds=$2; shift 2 ;;
    --peer-coretype)
      [[ $# -ge 2 && -n $2 ]] || { echo "bench-peers: --peer-coretype needs a name" >&2; exit 2; }
      peer_coretype=$2; shift 2 ;;
    --epochs=*|--threads=*|--batch=*|--rounds=*|--peer-coretype=*) set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
    --no-setup) setup=0; shift ;;
    -h|--help) usage 0 ;;
    -*) echo "bench-peers: unknown option $1" >&2; usage ;;
    *) ((spec_set == 0)) || usage; spec=$1; spec_set=1; shift ;;
  esac
done

# A relative SPEC is taken from the caller's directory, else from the repository root.
if [[ -f $spec ]]; then spec=$(cd "$(dirname "$spec")" && pwd)/$(basename "$spec")
elif [[ -f $root/$spec ]]; then spec=$root/$spec
else echo "bench-peers: spec $spec not found" >&2; exit 2; fi

py=/usr/bin/python3   # Debian's interpreter: python3-torch is installed for it only
bench=${GRADSTREAM_BENCH_BIN:-$root/build/bin/gradstream-bench}
peer=${GRADSTREAM_PEER_SCRIPT:-$root/bench/peers/torch_mlp.py}

if ((setup)); then
  GRADSTREAM_WITH_PEERS=1 "$root/scripts/install-deps.sh"
  "$root/scripts/build.sh"
fi
[[ -x $bench ]] || { echo "bench-peers: $bench was not built" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Idle share of both cores over one second, from /proc/stat.
idle_percent() {
  local a b
  read -r -a a < /proc/stat; sleep 1; read -r -a b < /proc/stat
  local t1=0 t2=0 k
  for k in 1 2 3 4 5 6 7 8; do t1=$((t1 + a[k])); t2=$((t2 + b[k])); done
  local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=$((t2 - t1))
  ((total > 0)) || { echo 100; return; }
  echo $((100 * idle / total))
}

# Waits (bounded) until nothing else keeps the CPUs busy, so that neither run shares
# the machine with a compiler or another benchmark. Sets quiet=false if it never was.
quiet=true
wait_quiet() {
  local deadline=$((SECONDS + ${GRADSTREAM_BENCH_QUIET_WAIT:-120})) idle
  while :; do
    idle=$(idle_percent)
    ((idle >= 85)) && return 0
    if ((SECONDS >= deadline)); then
      echo "bench-peers: warning: machine only ${idle}% idle before the $1 run; figures are unreliable" >&2
      quiet=false
      return 0
    fi
    sleep 2
  done
}

# Runs one benchmark with its output shown on stderr and kept in $work/$name.log.
run() {
  local name=$1; shift
  wait_quiet "$name"
  echo "bench-peers: running $name: $*" >&2
  "$@" 2>&1 | tee "$work/$name.log" >&2
}

# OMP_NUM_THREADS is set for both: gradstream (oneDNN, OpenMP) and the peer (torch and
# OpenBLAS share one libgomp pool).
export OMP_NUM_THREADS=$threads
peer_settings=("$spec" --epochs "$epochs" --threads "$threads" --batch "$batch")

# The peer's OpenBLAS kernel is calibrated once, so that every round runs the same one.
calibration=()
if [[ -z $peer_coretype ]]; then
  run calibration "$py" "$peer" "${peer_settings[@]}" --calibrate-only
  calibration=(--calibration "$work/calibration.log")
  last=$(tail -n1 "$work/calibration.log")
  peer_coretype=$("$py" -c 'import json, sys; print(json.loads(sys.argv[1])["openblas_coretype"])' \
    "$last" 2>/dev/null) ||
    { echo "bench-peers: the peer's calibration printed no winner: ${last:0:200}" >&2; exit 1; }
fi
echo "bench-peers: peer OpenBLAS kernel: $peer_coretype" >&2

# Odd rounds run gradstream first, even rounds the peer first, so a machine that
# speeds up or slows down during the rounds favours neither.
logs=()
for ((r = 1; r <= rounds; r++)); do
  g=(run "gradstream.$r" "$bench" "$spec" --epochs "$epochs" --threads "$threads" --batch "$batch")
  p=(run "pytorch.$r" "$py" "$peer" "${peer_settings[@]}" --coretype "$peer_coretype")
  if ((r % 2)); then "${g[@]}"; "${p[@]}"; else "${p[@]}"; "${g[@]}"; fi
  logs+=("$work/gradstream.$r.log" "$work/pytorch.$r.log")
done

cpu=$(LC_ALL=C lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)
busy=(); [[ $quiet == true ]] || busy=(--busy)
"$py" "$root/bench/peers/summarize.py" --threads "$threads" --batch "$batch" --epochs "$epochs" \
  --cpu "$cpu" --spec "$spec" "${busy[@]}" "${calibration[@]}" "${logs[@]}"
