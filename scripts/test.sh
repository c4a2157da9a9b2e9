#!/usr/bin/env bash
# The test command: builds like scripts/build.sh, runs every test through ctest,
# then every fuzzer for GRADSTREAM_FUZZ_SECONDS each (default 10; 0 skips them):
# a fuzzer's finding fails the run (scripts/fuzz.sh).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure -j 1 "$@"
fuzz_seconds=${GRADSTREAM_FUZZ_SECONDS:-10}
if ((fuzz_seconds > 0)); then "$root/scripts/fuzz.sh" all "$fuzz_seconds"; fi
