#!/usr/bin/env bash
# End to end: the real gradstream-server (--metrics-address 127.0.0.1:0)
# scraped every second by a real Prometheus (/usr/bin/prometheus) on loopback.
# 1. A job run with the real CLI shows up in Prometheus' query API as
#    gradstream_job_loss and gradstream_job_samples_total for its job_id, and
#    `promtool check metrics` accepts the server's /metrics text.
# 2. Churn: with --metrics-max-jobs 3 --metrics-job-retention-seconds 1, ten
#    tiny jobs never put more than 3 distinct job_id values on /metrics.
# usage: prometheus_test.sh SERVER_BIN CLI_BIN SOURCE_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"
command -v prometheus >/dev/null || fail "prometheus not installed (scripts/install-deps.sh)"
command -v promtool >/dev/null || fail "promtool not installed (scripts/install-deps.sh)"
command -v curl >/dev/null || fail "curl not installed (scripts/install-deps.sh)"

# Limits of the polling loops, in tenths of a second.
readonly kQueryTenths=400

metrics_text() { curl -sf "http://127.0.0.1:$GRADSTREAM_METRICS_PORT/metrics"; }
# The distinct job_id label values on /metrics right now, one per line.
exported_job_ids() { metrics_text | { grep -o 'job_id="[^"]*"' || true; } | sort -u; }
# Prints the first value of an instant query, or nothing when it has no result.
query_value() {
  curl -sf "http://127.0.0.1:$prometheus_port/api/v1/query" --data-urlencode "query=$1" |
    grep -o '"value":\[[0-9.]*,"[^"]*"\]' | head -n1 | cut -d'"' -f4 || true
}

# spec EPOCHS: a one-hidden-layer Fashion-MNIST MLP, one thread.
spec() {
  cat <<SPEC
{"model": {"inputShape": [784], "layers": [
   {"dense": {"units": 16, "activation": {"name": "relu"}}}, {"dense": {"units": 10}}]},
 "optimizer": {"adam": {}, "learningRate": 0.002},
 "data": {"builtin": "fashion-mnist"}, "epochs": $1, "batchSize": 1000, "seed": 1, "threads": 1,
 "reporting": {"stepEvery": 10}}
SPEC
}
spec 2 >"$work/small.json"
spec 1 >"$work/tiny.json"

# 1. Prometheus scrapes a job's series.
start_server "$server_bin" "$work/server.log" --data-dir "$work/var" --threads-per-job 1 ||
  fail "server did not start"
[[ -n ${GRADSTREAM_METRICS_PORT:-} ]] || fail "server log has no metrics_port: $(cat "$work/server.log")"
metrics_text >/dev/null || fail "no /metrics on port $GRADSTREAM_METRICS_PORT"

cat >"$work/prometheus.yml" <<CONFIG
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: gradstream
    static_configs:
      - targets: ["127.0.0.1:$GRADSTREAM_METRICS_PORT"]
CONFIG
start_prometheus "$work/prometheus.yml"
pass "prometheus ready on port $prometheus_port"

"$cli_bin" submit "$work/small.json" --watch >"$work/watch.txt" || fail "submit --watch exited $?"
job=$(head -n1 "$work/watch.txt")
[[ $job == job-* ]] || fail "submit printed '$job', not a job id"
grep -q SUCCEEDED "$work/watch.txt" || fail "job did not succeed: $(tail -n3 "$work/watch.txt")"

loss= samples=
for ((i = 0; i < kQueryTenths; i++)); do
  loss=$(query_value "gradstream_job_loss{job_id=\"$job\"}")
  samples=$(query_value "gradstream_job_samples_total{job_id=\"$job\"}")
  [[ -n $loss && -n $samples ]] && break
  sleep 0.1
done
[[ -n $loss ]] || fail "prometheus has no gradstream_job_loss for $job"
[[ -n $samples ]] || fail "prometheus has no gradstream_job_samples_total for $job"
# Two epochs over Fashion-MNIST's 60000 training samples; a finite positive loss.
[[ $samples == 120000 ]] || fail "gradstream_job_samples_total is $samples, want 120000"
awk -v l="$loss" 'BEGIN { exit !(l > 0 && l < 10) }' || fail "gradstream_job_loss is $loss"
pass "prometheus scraped $job: loss $loss, samples $samples"

metrics_text >"$work/metrics.txt" || fail "scrape failed"
promtool check metrics <"$work/metrics.txt" >"$work/promtool.txt" 2>&1 ||
  fail "promtool check metrics: $(cat "$work/promtool.txt")"
pass "promtool check metrics accepts /metrics"

kill -TERM "$prometheus_pid"
wait "$prometheus_pid" 2>/dev/null || true
background_pids=()
kill -TERM "$server_pid"
wait "$server_pid" || fail "server exited $? on SIGTERM"
server_pid=

# 2. Churn: ten tiny jobs through a bound of three exported jobs.
start_server "$server_bin" "$work/churn.log" --data-dir "$work/var2" --threads-per-job 1 \
  --metrics-max-jobs 3 --metrics-job-retention-seconds 1 || fail "churn server did not start"
max_seen=0
samples_taken=0
sample_ids() {
  local n
  n=$(exported_job_ids | wc -l)
  if ((n > max_seen)); then max_seen=$n; fi
  samples_taken=$((samples_taken + 1))
}
for i in $(seq 1 10); do
  "$cli_bin" submit "$work/tiny.json" >/dev/null || fail "churn submit $i exited $?"
  sample_ids
done
for _ in $(seq 1 20); do  # while the queue drains
  sample_ids
  sleep 0.25
done
metrics_text >"$work/churn_metrics.txt"
finished=$(grep -o '^gradstream_jobs_finished_total{state="succeeded"} [0-9]*' \
  "$work/churn_metrics.txt" | awk '{print $2}')
((max_seen <= 3)) || fail "$max_seen distinct job_id values on /metrics, bound is 3"
((max_seen >= 1)) || fail "no job was ever exported"
echo "churn: $finished jobs succeeded; at most $max_seen job ids over $samples_taken scrapes"
pass "churn: never more than 3 exported jobs"

kill -TERM "$server_pid"
wait "$server_pid" || fail "churn server exited $? on SIGTERM"
server_pid=
echo "prometheus_test: all passed"
