#!/usr/bin/env bash
# The test command: builds like scripts/build.sh, runs every test through ctest,
# then every fuzzer for GRADSTREAM_FUZZ_SECONDS each (default 10; 0 skips them):
# a fuzzer's finding fails the run (scripts/fuzz.sh).
#   scripts/test.sh [--sanitize LIST] [CTEST_ARGS...]
# --sanitize LIST (address,undefined or thread) builds into build-sanitize-LIST
# with those sanitizers and runs the tests there (no fuzzers: they have their
# own sanitized tree); any finding fails its test.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$root/build
if [[ ${1:-} == --sanitize ]]; then
  [[ $# -ge 2 ]] || { echo "usage: $0 [--sanitize LIST] [CTEST_ARGS...]" >&2; exit 2; }
  export GRADSTREAM_SANITIZE=$2
  shift 2
  build_dir=$root/build-sanitize-${GRADSTREAM_SANITIZE//,/-}
  # Stop at the first finding, with a stack. tests/sanitizers/*.supp name the
  # uninstrumented Debian libraries whose reports are not findings, each with why.
  # TSan's history_size=7 keeps enough history to restore an old access's stack,
  # so a report through libgomp shows the frame its suppression names.
  suppressions=$root/tests/sanitizers
  export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:halt_on_error=1:detect_leaks=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:history_size=7:suppressions=$suppressions/tsan.supp}
fi
GRADSTREAM_BUILD_DIR=$build_dir "$root/scripts/build.sh"
cd "$build_dir"
ctest --output-on-failure -j 1 "$@"
fuzz_seconds=${GRADSTREAM_FUZZ_SECONDS:-10}
[[ -z ${GRADSTREAM_SANITIZE:-} ]] || fuzz_seconds=0
if ((fuzz_seconds > 0)); then "$root/scripts/fuzz.sh" all "$fuzz_seconds"; fi
