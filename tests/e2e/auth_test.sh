#!/usr/bin/env bash
# End to end: tokens and tenants through the real server and CLI.
#   1. health answers without a token; every other command without a token,
#      with a malformed one or a wrong one is UNAUTHENTICATED (exit 16).
#   2. Tenant alpha uploads a dataset and trains on it. Tenant beta gets, for
#      alpha's job, what an unknown id gets: get, watch, export, predict and
#      cancel are NOT_FOUND (exit 5) with the same message; training on
#      alpha's dataset is NOT_FOUND; beta's list is empty. The admin lists
#      both tenants' jobs, watches, exports and predicts with alpha's.
#   3. A token removed from the file is refused after the reload interval
#      (no restart); the tenant's other token goes on working.
#   4. Limits under 4 concurrent CLI clients: alpha's jobs past
#      --tenant-max-queued-jobs are RESOURCE_EXHAUSTED (exit 8) naming it; at
#      most --tenant-max-running-jobs of alpha's run at once while beta's job
#      takes the other slot; a dataset past --tenant-max-dataset-bytes is
#      refused naming that flag.
#   5. /metrics (--metrics-auth) answers 401 without the scraper's password
#      and is scraped by a real Prometheus with basic_auth; no token or digest
#      appears on /metrics or in the server's log.
# usage: auth_test.sh SERVER_BIN CLI_BIN SOURCE_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"
for tool in jq curl prometheus; do
  command -v "$tool" >/dev/null || fail "$tool missing (scripts/install-deps.sh)"
done
readonly kUnauthenticated=16 kNotFound=5 kResourceExhausted=8

# token_line TOKEN TENANT ROLE: the token file's line for TOKEN.
token_line() { printf 'sha256:%s %s %s\n' "$(printf %s "$1" | sha256sum | cut -d' ' -f1)" "$2" "$3"; }
# as TOKEN ARGS...: the CLI with TOKEN in GRADSTREAM_TOKEN.
as() { local token=$1; shift; GRADSTREAM_TOKEN=$token gs "$@"; }
# write_tokens LINES...: the token file replaced in one rename, as a Secret update does.
write_tokens() { printf '%s\n' "$@" >"$work/tokens.next"; mv "$work/tokens.next" "$work/tokens"; }

readonly alpha_line=$(token_line alpha-token-1 alpha user)
readonly alpha2_line=$(token_line alpha-token-2 alpha user)
readonly beta_line=$(token_line beta-token beta user)
readonly ops_line=$(token_line ops-token ops admin)
write_tokens "# tenants of the e2e test" "$alpha_line" "$alpha2_line" "$beta_line" "$ops_line"

# blobs N SHIFT: N CSV rows "label,x,y" of three 2-D blobs (300 rows: 7.2 kB stored).
blobs() {
  awk -v n="$1" -v shift="$2" 'BEGIN {
    split("-3 3 0", cx, " "); split("0 0 4", cy, " ");
    for (i = 0; i < n; i++) {
      c = i % 3;
      printf "%d,%.4f,%.4f\n", c, cx[c + 1] + 0.9 * sin(i * 1.7) + shift, cy[c + 1] + 0.9 * cos(i * 2.3);
    }
  }'
}
# spec DATASET_ID EPOCHS: a small MLP on the blobs.
spec() {
  cat <<SPEC
{"model": {"inputShape": [2], "layers": [
   {"dense": {"units": 16, "activation": {"name": "relu"}}}, {"dense": {"units": 3}}]},
 "optimizer": {"adam": {}, "learningRate": 0.01},
 "data": {"datasetId": "$1"}, "epochs": $2, "batchSize": 4, "seed": 1, "threads": 1}
SPEC
}
blobs 300 0 >"$work/alpha.csv"
blobs 300 1 >"$work/alpha2.csv"
blobs 300 2 >"$work/alpha3.csv"
printf '1.0,-0.5\n-3.0,0.2\n' >"$work/rows.csv"

write_metrics_users "$work/metrics-users"
# 300 samples x (2 float features + 1 int32 label) = 3600 bytes per dataset:
# room for two of alpha's.
start_server "$server_bin" "$work/server.log" --data-dir "$work/var" \
  --auth-tokens "$work/tokens" --auth-reload-seconds 1 \
  --max-concurrent-jobs 2 --threads-per-job 1 \
  --tenant-max-queued-jobs 3 --tenant-max-running-jobs 1 --tenant-max-dataset-bytes 8000 \
  --metrics-auth "$work/metrics-users" ||
  fail "server did not start"

# 1. Health needs no token; everything else does.
gs health >/dev/null || fail "health without a token exited $?"
unset GRADSTREAM_TOKEN
expect_error $kUnauthenticated 'UNAUTHENTICATED.*authorization: missing.*--token' list
expect_error $kUnauthenticated 'UNAUTHENTICATED.*not valid \(unknown or revoked\)' list --token nobody
expect_error $kUnauthenticated 'UNAUTHENTICATED' upload "$work/alpha.csv" --token "$(printf %s alpha-token-1 | sha256sum | cut -d' ' -f1)"
GRADSTREAM_TOKEN=wrong expect_error $kUnauthenticated 'not valid' get job-00000000000000000000000000000000
pass "health without a token; no, wrong and digest-as-token tokens are UNAUTHENTICATED"

# 2. Tenants.
data=$(as alpha-token-1 upload "$work/alpha.csv" --name alpha) || fail "alpha's upload exited $?"
spec "$data" 3 >"$work/spec.json"
job=$(as alpha-token-1 submit "$work/spec.json") || fail "alpha's submit exited $?"
as alpha-token-1 watch "$job" >/dev/null || fail "alpha's watch exited $?"
[[ $(as alpha-token-1 get "$job" --json | jq -r '.state + " " + .tenant') == "SUCCEEDED alpha" ]] ||
  fail "alpha's job: $(as alpha-token-1 get "$job" --json)"
unknown=job-0123456789abcdef0123456789abcdef
for command in get watch export predict cancel; do
  extra=()
  [[ $command == export ]] && extra=(-o "$work/stolen.pb")
  [[ $command == predict ]] && extra=(--input "$work/rows.csv")
  GRADSTREAM_TOKEN=beta-token expect_error $kNotFound "NOT_FOUND.*job \"$job\" not found" \
    "$command" "$job" "${extra[@]}"
  GRADSTREAM_TOKEN=beta-token expect_error $kNotFound "NOT_FOUND.*job \"$unknown\" not found" \
    "$command" "$unknown" "${extra[@]}"
done
[[ ! -e $work/stolen.pb ]] || fail "beta's export wrote a model file"
GRADSTREAM_TOKEN=beta-token expect_error $kNotFound "dataset \"$data\" not found on this server" \
  submit "$work/spec.json"
[[ $(as beta-token list --json | wc -l) -eq 0 ]] || fail "beta lists $(as beta-token list --json)"
pass "beta: alpha's job is NOT_FOUND like an unknown id for get, watch, export, predict, cancel; alpha's dataset too"

as ops-token list --json >"$work/all.jsonl" || fail "admin list exited $?"
grep -q "\"id\":\"$job\"" "$work/all.jsonl" || fail "admin does not list alpha's job"
as ops-token watch "$job" >/dev/null || fail "admin watch exited $?"
as ops-token export "$job" -o "$work/admin.pb" || fail "admin export exited $?"
as alpha-token-2 export "$job" -o "$work/alpha.pb" || fail "alpha's second token export exited $?"
cmp -s "$work/admin.pb" "$work/alpha.pb" || fail "admin and alpha export different models"
as ops-token predict "$job" --input "$work/rows.csv" >"$work/admin.pred" || fail "admin predict exited $?"
as alpha-token-1 predict "$job" --input "$work/rows.csv" >"$work/alpha.pred" || fail "alpha predict exited $?"
cmp -s "$work/admin.pred" "$work/alpha.pred" || fail "admin and alpha predictions differ"
pass "admin lists, watches, exports and predicts with alpha's job; alpha's two tokens are one tenant"

# 3. Revocation without a restart.
write_tokens "$alpha_line" "$beta_line" "$ops_line"
sleep 1.5
GRADSTREAM_TOKEN=alpha-token-2 expect_error $kUnauthenticated 'unknown or revoked' get "$job"
as alpha-token-1 get "$job" >/dev/null || fail "alpha's remaining token is refused after the reload"
grep -q '"msg":"auth tokens reloaded"' "$work/server.log" || fail "no reload in the log"
pass "a revoked token is UNAUTHENTICATED after the reload interval; the other token works"

# 4. Limits, 4 concurrent clients.
spec "$data" 10000 >"$work/long.json"
beta_data=$(as beta-token upload "$work/alpha.csv") || fail "beta's upload exited $?"
[[ $beta_data == "$data" ]] || fail "the same content got another id for beta"
beta_job=$(as beta-token submit "$work/long.json") || fail "beta's long submit exited $?"
for client in 1 2 3 4; do
  (
    for j in 1 2 3; do
      if id=$(as alpha-token-1 submit "$work/long.json" 2>"$work/refused.$client.$j"); then
        echo "$id" >>"$work/accepted.$client"
      else
        echo "$?" >"$work/exit.$client.$j"
      fi
    done
  ) &
  background_pids+=("$!")
done
wait "${background_pids[@]}"
background_pids=()
accepted=$(cat "$work"/accepted.* 2>/dev/null | wc -l)
refused=$(cat "$work"/exit.* 2>/dev/null | grep -c "^$kResourceExhausted$" || true)
# 3 queued, plus the one that may have started before the burst filled the queue.
((accepted >= 3 && accepted <= 4)) || fail "alpha: $accepted of 12 jobs accepted"
((accepted + refused == 12)) || fail "alpha: $accepted accepted, $refused RESOURCE_EXHAUSTED of 12"
grep -lq 'RESOURCE_EXHAUSTED.*tenant "alpha" has 3 jobs queued.*--tenant-max-queued-jobs 3' \
  "$work"/refused.* || fail "no refusal names the limit: $(cat "$work"/refused.* | head -n3)"
for _ in $(seq 1 20); do
  as ops-token list --json >"$work/now.jsonl"
  running=$(jq -r 'select(.tenant == "alpha" and .state == "RUNNING") | .id' "$work/now.jsonl" | wc -l)
  ((running <= 1)) || fail "$running of alpha's jobs run at once"
  sleep 0.1
done
[[ $(as beta-token get "$beta_job" --json | jq -r .state) == RUNNING ]] ||
  fail "beta's job is not running beside alpha's"
pass "4 clients: $accepted of alpha's 12 jobs accepted, $refused RESOURCE_EXHAUSTED naming the limit; at most 1 of alpha's running, beta's runs"
for id in $(cat "$work"/accepted.*) "$beta_job"; do as ops-token cancel "$id" >/dev/null; done

as alpha-token-1 upload "$work/alpha2.csv" >/dev/null || fail "alpha's second dataset exited $?"
expect_error $kResourceExhausted 'tenant "alpha" stores 7200 bytes.*--tenant-max-dataset-bytes 8000' \
  upload "$work/alpha3.csv" --token alpha-token-1
pass "a third dataset passes alpha's --tenant-max-dataset-bytes: RESOURCE_EXHAUSTED naming it"

# 5. /metrics behind basic auth; secrets stay secret.
metrics_url=http://127.0.0.1:$GRADSTREAM_METRICS_PORT/metrics
for user in "" "-u prom:wrong" "-u alpha:alpha-token-1"; do
  # shellcheck disable=SC2086  # the user option is two words or none
  code=$(curl -s -o /dev/null -w '%{http_code}' $user "$metrics_url" || true)
  [[ $code == 401 ]] || fail "/metrics with '$user' answered $code, not 401"
done
curl -sf -u prom:s3cret "$metrics_url" >"$work/metrics.txt" || fail "/metrics refused prom's password"
scrape_config_with_basic_auth "$work/prometheus.yml"
start_prometheus "$work/prometheus.yml"
samples=$(prometheus_value "gradstream_job_samples_total{job_id=\"$job\"}")
# 3 epochs of the 300 blobs.
[[ $samples == 900 ]] || fail "prometheus with basic_auth: gradstream_job_samples_total is '$samples', want 900"
pass "/metrics: 401 without the scraper's password; prometheus with basic_auth scraped $samples samples of alpha's job"
for secret in alpha-token-1 alpha-token-2 beta-token ops-token; do
  digest=$(printf %s "$secret" | sha256sum | cut -d' ' -f1)
  ! grep -q -e "$secret" -e "$digest" "$work/metrics.txt" "$work/server.log" ||
    fail "$secret or its digest appears on /metrics or in the log"
done
pass "no token or digest on /metrics or in the server's log"
echo "auth: $passed checks passed"
