#!/usr/bin/env bash
# Checks scripts/bench-peers.sh's plumbing with the real gradstream-bench and a
# stand-in peer (the PyTorch peer needs packages CI does not install):
#   1. rounds alternate which runs first (gradstream, peer | peer, gradstream);
#   2. each round's ratio is that round's gradstream figure over the peer's, and
#      the reported ratio is their median, with the spread beside it;
#   3. a peer that prints no JSON, and --rounds 0, are errors that say so.
# usage: bench_peers_test.sh SERVER_BIN CLI_BIN SOURCE_DIR
#   (gradstream-bench is taken from SERVER_BIN's directory)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"
command -v jq >/dev/null || fail "jq missing (scripts/install-deps.sh)"
bench_bin=$(dirname "$server_bin")/gradstream-bench
[[ -x $bench_bin ]] || fail "$bench_bin missing"

# The stand-in peer answers 40000, 80000 and 10000 samples/s on its three calls,
# so the per-round ratios are far apart and their median is not their mean;
# both stand-ins log the order in which they ran.
order=$work/order
cat >"$work/peer.py" <<PEER
import json, os
calls = "$work/peer_calls"
n = int(open(calls).read()) if os.path.exists(calls) else 0
open(calls, "w").write(str(n + 1))
open("$order", "a").write("peer\n")
print(json.dumps({"peer": "stand-in", "blas": "none", "samples_per_s": [40000.0, 80000.0, 10000.0][n],
                  "epoch_seconds": [1.5], "test_accuracy": 0.5}))
PEER
cat >"$work/bench.sh" <<BENCH
#!/usr/bin/env bash
echo gradstream >>"$order"
exec "$bench_bin" "\$@"
BENCH
chmod +x "$work/bench.sh"

peers() {
  GRADSTREAM_BENCH_BIN=$work/bench.sh GRADSTREAM_PEER_SCRIPT=$work/peer.py \
    GRADSTREAM_BENCH_QUIET_WAIT=0 "$source_dir/scripts/bench-peers.sh" --no-setup --epochs 1 "$@"
}

# 1-2. Three rounds.
peers --rounds 3 >"$work/out" 2>"$work/err" || fail "bench-peers failed: $(tail -5 "$work/err")"
[[ $(paste -sd' ' "$order") == "gradstream peer peer gradstream gradstream peer" ]] ||
  fail "run order was: $(paste -sd' ' "$order")"
pass "rounds alternate which runs first"

result=$(tail -n1 "$work/out")
jq -e '.rounds | length == 3' <<<"$result" >/dev/null || fail "not three rounds: $result"
jq -e '[.rounds[].pytorch_samples_per_s] == [40000, 80000, 10000]' <<<"$result" >/dev/null ||
  fail "peer figures not taken from the peer's runs: $result"
jq -e '.rounds | all(.gradstream_samples_per_s > 1000)' <<<"$result" >/dev/null ||
  fail "gradstream figures missing: $result"
jq -e '.rounds | all((.ratio - .gradstream_samples_per_s / .pytorch_samples_per_s) | fabs < 0.001)' \
  <<<"$result" >/dev/null || fail "a round's ratio is not gradstream / peer: $result"
jq -e '(.ratio - ([.rounds[].ratio] | sort | .[1])) | fabs < 0.002' <<<"$result" >/dev/null ||
  fail "ratio is not the median of the rounds: $result"
jq -e '(.ratio - ([.rounds[].ratio] | add / 3)) | fabs > 0.1' <<<"$result" >/dev/null ||
  fail "the rounds did not separate median from mean: $result"
jq -e '.ratio_min == ([.rounds[].ratio] | min) and .ratio_max == ([.rounds[].ratio] | max)' \
  <<<"$result" >/dev/null || fail "spread does not match the rounds: $result"
grep -q "median of 3 rounds" "$work/out" || fail "table does not say how the ratio was formed: $(cat "$work/out")"
pass "per-round ratios, their median and spread"

# 3. Errors.
echo 'print("no json here")' >"$work/peer.py"
: >"$order"
if peers --rounds 1 >"$work/out" 2>"$work/err"; then fail "a peer without JSON was accepted"; fi
grep -q "last line of the peer is not JSON" "$work/err" || fail "unclear error: $(tail -3 "$work/err")"
if peers --rounds 0 >"$work/out" 2>"$work/err"; then fail "--rounds 0 was accepted"; fi
grep -q -- "--rounds needs a positive integer" "$work/err" || fail "unclear error: $(cat "$work/err")"
pass "a peer without JSON and --rounds 0 are errors"
echo "bench_peers: $passed checks passed"
