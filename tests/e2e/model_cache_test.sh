#!/usr/bin/env bash
# End to end: finished jobs' models live on disk, not in memory. Four jobs with
# 80 MB models (bench/model_cache_rss.sh: a 4096 -> 4880 -> 2 network) trained,
# then a restart with --model-cache-mb 100: the new server's RSS once it
# listens and after exporting every job once stays under the cache bound plus
# 200 MiB (a server that holds every model, 320 MB of them, does not), the
# first job exports the same bytes as before the restart, and /metrics says
# the cache holds one model: the last exported (two do not fit in 100 MiB).
# usage: model_cache_test.sh SERVER_BIN CLI_BIN SOURCE_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"
readonly kJobs=4 kCacheMb=100
# Under ASan (scripts/test.sh --sanitize address,undefined) freed memory waits in
# a quarantine, 256 MiB by default, to catch use after free: exported models would
# stay resident there, and the RSS would measure ASan, not the model cache. A small
# quarantine keeps the same bound meaningful; a Release build ignores the variable.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"

GRADSTREAM_SERVER_BIN=$server_bin GRADSTREAM_CLI_BIN=$cli_bin \
  bash "$source_dir/bench/model_cache_rss.sh" --jobs "$kJobs" --cache-mb "$kCacheMb" \
  >"$work/figures.json" || fail "model_cache_rss.sh exited $?"
cat "$work/figures.json"
figure() { jq -r ".$1" "$work/figures.json"; }
[[ $(figure model_bytes) -gt 80000000 ]] || fail "models of $(figure model_bytes) bytes, want > 80 MB"
bound=$(figure bound_mib)
[[ $bound -eq $((kCacheMb + 200)) ]] || fail "bound $bound MiB, want $((kCacheMb + 200))"
for when in restart exports; do
  rss=$(figure "rss_after_${when}_mib")
  awk -v r="$rss" -v b="$bound" 'BEGIN { exit !(r > 0 && r < b) }' ||
    fail "RSS after the $when is $rss MiB, not under $bound MiB"
done
pass "RSS after the restart $(figure rss_after_restart_mib) MiB, after $kJobs exports $(figure rss_after_exports_mib) MiB: under $bound MiB"
[[ $(figure cache_bytes) == "$(figure model_bytes)" ]] ||
  fail "the model cache holds $(figure cache_bytes) bytes, want one model: $(figure model_bytes)"
pass "the model cache holds the last exported model alone"
echo "model_cache: $passed checks passed"
