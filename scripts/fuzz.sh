#!/usr/bin/env bash
# Runs the libFuzzer targets (fuzz/, docs/security.md "Fuzzing").
#   scripts/fuzz.sh [TARGET|all] [SECONDS]   each target for SECONDS (default 20)
#   scripts/fuzz.sh seeds                    rewrites fuzz/corpus/ with fuzz_seeds
# Builds build-fuzz/ (clang-14, ASan + UBSan) first; runs on a copy of each seed
# corpus so the repository is not modified. Prints each target's executions,
# coverage and corpus; a crash, leak, timeout or out-of-memory is a finding:
# its reproducer is kept in build-fuzz/artifacts/ and the script exits 1.
# Replay one with build-fuzz/bin/TARGET REPRODUCER. One process per target, one
# target at a time (libFuzzer's -jobs would write fuzz-N.log into the cwd).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build-fuzz"
targets=(spec_json spec_text spec_proto idx idx_gzip csv npy upload model_file job_row checkpoint
         formula)
# A header may claim gigabytes; the readers bound what they allocate by the
# input's size, so a legitimate input stays far below these.
rss_limit_mb=2048
malloc_limit_mb=1024
timeout_seconds=10

which=${1:-all}
seconds=${2:-20}

"$root/scripts/install-deps.sh"
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  launcher=()  # the sanitized engine is a long build: reuse it where ccache is there
  if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  cmake -S "$root" -B "$build" -DGRADSTREAM_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++-14 "${launcher[@]}" >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target gradstream_fuzzers fuzz_seeds >/dev/null

if [[ "$which" == seeds ]]; then
  rm -rf "$root/fuzz/corpus"
  "$build/bin/fuzz_seeds" "$root" "$root/fuzz/corpus"
  echo "fuzz: seeds written to fuzz/corpus/"
  exit 0
fi
if [[ "$which" != all ]]; then
  if [[ ! " ${targets[*]} " == *" ${which%_fuzzer} "* ]]; then
    echo "fuzz: unknown target '$which' (${targets[*]})" >&2
    exit 64
  fi
  targets=("${which%_fuzzer}")
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMP_NUM_THREADS=1
findings=0
for target in "${targets[@]}"; do
  fuzzer="${target}_fuzzer"
  corpus="$work/$fuzzer"
  mkdir -p "$corpus"
  cp -r "$root/fuzz/corpus/$fuzzer/." "$corpus/"
  dict=()
  if [[ -f "$root/fuzz/dict/$fuzzer.dict" ]]; then dict=(-dict="$root/fuzz/dict/$fuzzer.dict"); fi
  log="$work/$fuzzer.log"
  status=0
  "$build/bin/$fuzzer" "$corpus" "${dict[@]}" -max_total_time="$seconds" \
    -rss_limit_mb="$rss_limit_mb" -malloc_limit_mb="$malloc_limit_mb" \
    -timeout="$timeout_seconds" -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$fuzzer-" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' || true)
  printf 'fuzz: %-18s %10s runs %7s exec/s  %s\n' "$fuzzer" "${runs:-?}" "${speed:-?}" "$last"
  if ((status != 0)); then
    findings=$((findings + 1))
    echo "fuzz: $fuzzer FOUND A BUG (exit $status):" >&2
    grep -E 'ERROR: |runtime error|SUMMARY|Test unit written to|out-of-memory|timeout' "$log" >&2 || tail -30 "$log" >&2
  fi
done
if ((findings > 0)); then
  echo "fuzz: $findings target(s) found bugs; reproducers in $build/artifacts/" >&2
  exit 1
fi
