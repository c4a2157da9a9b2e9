#!/usr/bin/env bash
# Installs what is missing and builds a Release tree into build/ (binaries in build/bin/).
# GRADSTREAM_BUILD_DIR picks another tree; GRADSTREAM_SANITIZE (a -fsanitize= list,
# e.g. address,undefined) builds one with sanitizers (RelWithDebInfo, for stacks).
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
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type" -DGRADSTREAM_SANITIZE="$sanitize" \
  "${launcher[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
