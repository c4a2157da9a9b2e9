#!/usr/bin/env bash
# Installs what is missing and builds a Release tree into build/ (binaries in build/bin/).
# GRADSTREAM_BUILD_DIR picks another tree; GRADSTREAM_SANITIZE (a -fsanitize= list,
# e.g. address,undefined) builds one with sanitizers (RelWithDebInfo, for stacks).
# A thread-sanitized tree first builds gRPC, protobuf and Abseil with TSan into
# GRADSTREAM_TSAN_DEPS (default build-tsan-deps/; scripts/build-tsan-deps.sh).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${GRADSTREAM_BUILD_DIR:-$root/build}
sanitize=${GRADSTREAM_SANITIZE:-}
build_type=Release
launcher=()
if [[ -n $sanitize ]]; then
  build_type=RelWithDebInfo
  # A sanitized tree is a long build from nothing: reuse it where ccache is there.
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  fi
fi
"$root/scripts/install-deps.sh"
tsan_libs=
if [[ $sanitize == *thread* ]]; then
  tsan_deps=${GRADSTREAM_TSAN_DEPS:-$root/build-tsan-deps}
  "$root/scripts/build-tsan-deps.sh" "$tsan_deps"
  tsan_libs=$(realpath "$tsan_deps")/lib
fi
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type" -DGRADSTREAM_SANITIZE="$sanitize" \
  -DGRADSTREAM_TSAN_LIBS="$tsan_libs" "${launcher[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
