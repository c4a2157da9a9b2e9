#!/usr/bin/env bash
# Checks deploy/'s coordinator-and-workers recipes against the binaries:
#   1. deploy_workers_manifests.py: the YAML parses; compose's and Kubernetes'
#      workers run gradstream-worker with flags its --help lists, join the
#      server's service and port, fit their threads in their CPUs, leave time
#      to checkpoint; the HPA scales the worker Deployment on the metric the
#      prometheus-adapter rule serves (details in the script);
#   2. promtool's unit tests of the worker alerts (deploy_worker_alerts.test.yml):
#      each fires when it should and stays quiet when it should not;
#   3. live: a coordinator started with deploy/k8s's server args plus the
#      workers component's, a worker with the worker Deployment's args, and a
#      real Prometheus scraping /metrics with the namespace label a
#      Kubernetes pod scrape adds. The adapter rule's seriesQuery finds the
#      server's series, and its metricsQuery, with the label matchers the
#      adapter puts in, counts the workers the work wants: 1 for one queued job
#      and no worker yet, 2 for two jobs once a worker has taken one (the
#      queue alone would say 1), 0 once both are cancelled.
# usage: deploy_workers_test.sh SERVER_BIN CLI_BIN SOURCE_DIR WORKER_BIN
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init_with_worker "$@"
deploy=$source_dir/deploy
component=$deploy/k8s/workers
python=/usr/bin/python3  # Debian's, with python3-yaml (scripts/install-deps.sh)
readonly kNamespace=gradstream-test  # the namespace label of the scrape below
readonly kTimeoutSeconds=120
command -v promtool >/dev/null || fail "promtool missing (Debian package prometheus; scripts/install-deps.sh)"
command -v jq >/dev/null || fail "jq missing (scripts/install-deps.sh)"
"$python" -c 'import yaml' 2>/dev/null || fail "python3-yaml missing (scripts/install-deps.sh)"

# 1. The manifests.
"$server_bin" --help >"$work/server_help.txt" 2>&1 || true
"$worker_bin" --help >"$work/worker_help.txt" 2>&1 || true
"$python" "$(dirname "${BASH_SOURCE[0]}")/deploy_workers_manifests.py" "$source_dir" \
  "$work/server_help.txt" "$work/worker_help.txt" "$worker_bin" >"$work/manifests.out" ||
  fail "manifests (above)"
cat "$work/manifests.out"
passed=$((passed + $(grep -c '^ok:' "$work/manifests.out")))

# 2. The worker alerts' unit tests.
cp "$source_dir/tests/e2e/deploy_worker_alerts.test.yml" "$work/"
sed '/^\s*description: /d' "$deploy/prometheus/alerts.yml" >"$work/alerts.yml"
promtool test rules "$work/deploy_worker_alerts.test.yml" >"$work/promtool.out" 2>&1 ||
  fail "promtool test rules: $(cat "$work/promtool.out")"
pass "promtool test rules: the worker alerts fire and stay quiet as the test file says"

# 3. Live. yaml_query FILE EXPR: a Python expression over the YAML document `d`.
yaml_query() { "$python" -c "import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print($2)" "$1"; }
# The server's args as deployed, without the addresses and the data dir (this
# test's own, below), and the workers component's additions.
mapfile -t server_args < <(yaml_query "$deploy/k8s/deployment.yaml" \
  "'\n'.join(d['spec']['template']['spec']['containers'][0]['args'])" |
  grep -vE '^--(listen|metrics-address|data-dir)=')
mapfile -t coordinator_args < <(yaml_query "$component/coordinator.yaml" \
  "'\n'.join(op['value'] for op in d if op['path'].endswith('/args/-'))")
[[ " ${coordinator_args[*]} " == *" --coordinator "* ]] || fail "coordinator.yaml adds no --coordinator"
start_server "$server_bin" "$work/server.log" --data-dir "$work/var" "${server_args[@]}" \
  "${coordinator_args[@]}" || fail "the coordinator did not start with ${server_args[*]} ${coordinator_args[*]}"
pass "coordinator started with ${server_args[*]} ${coordinator_args[*]}"

cat >"$work/prometheus.yml" <<CONFIG
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: gradstream
    static_configs:
      - targets: ["127.0.0.1:$GRADSTREAM_METRICS_PORT"]
        labels:
          namespace: $kNamespace
CONFIG
start_prometheus "$work/prometheus.yml"

adapter=$component/prometheus-adapter-values.yaml
series_query=$(yaml_query "$adapter" "d['rules']['external'][0]['seriesQuery']")
metrics_query=$(yaml_query "$adapter" "d['rules']['external'][0]['metricsQuery']")
# What the adapter sends for an HPA in namespace kNamespace.
wanted_query=${metrics_query//<<.LabelMatchers>>/namespace=\"$kNamespace\"}
[[ $wanted_query != *'<<'* ]] || fail "the adapter's metricsQuery uses templates this test does not fill: $metrics_query"

# wait_for_value QUERY WANT: until QUERY's first value on Prometheus is WANT.
wait_for_value() {
  local value= i
  for ((i = 0; i < kTimeoutSeconds * 10; i++)); do  # tenths of a second
    value=$(curl -sf "http://127.0.0.1:$prometheus_port/api/v1/query" --data-urlencode "query=$1" |
      jq -r '.data.result[0].value[1] // empty' || true)
    [[ $value == "$2" ]] && return 0
    sleep 0.1
  done
  fail "$1 is '$value', not $2; jobs: $(gs list 2>&1 | tail -n +2 | awk '{ print $1, $2 }' | tr '\n' ' ')"
}
found=
for ((i = 0; i < kTimeoutSeconds * 10; i++)); do
  found=$(curl -sf "http://127.0.0.1:$prometheus_port/api/v1/series" --data-urlencode "match[]=$series_query" |
    jq -r '.data[0].__name__ // empty' || true)
  [[ -n $found ]] && break
  sleep 0.1
done
[[ -n $found ]] || fail "the adapter's seriesQuery $series_query finds no series"
pass "the adapter's seriesQuery $series_query finds $found"

# A job of ~1 GFLOP a step, 100 epochs: it trains for the better part of an
# hour on one thread, so it stays on its worker while Prometheus looks.
cat >"$work/long.json" <<SPEC
{"model": {"inputShape": [784], "layers": [
   {"dense": {"units": 512, "activation": {"name": "relu"}}},
   {"dense": {"units": 512, "activation": {"name": "relu"}}}, {"dense": {"units": 10}}]},
 "optimizer": {"adam": {}, "learningRate": 0.002},
 "data": {"builtin": "fashion-mnist"}, "epochs": 100, "batchSize": 256, "seed": 1, "threads": 1}
SPEC
first=$(gs submit "$work/long.json" --json | jq -r .id)
wait_for_value "$wanted_query" 1
pass "one job queued and no worker: the adapter's metric wants 1 worker"
second=$(gs submit "$work/long.json" --json | jq -r .id)

mapfile -t worker_args < <(yaml_query "$component/worker-deployment.yaml" \
  "'\n'.join(d['spec']['template']['spec']['containers'][0]['args'])" | grep -v '^--coordinator=')
"$worker_bin" --coordinator "$GRADSTREAM_SERVER" --name deploy-worker "${worker_args[@]}" \
  2>>"$work/worker.log" &
worker_pid=$!
background_pids+=("$worker_pid")
for ((i = 0; i < kTimeoutSeconds * 10; i++)); do
  [[ $(gs get "$first" --json | jq -r '.worker // empty') == deploy-worker ]] && break
  kill -0 "$worker_pid" 2>/dev/null || fail "the worker exited with ${worker_args[*]}: $(cat "$work/worker.log")"
  sleep 0.1
done
[[ $(gs get "$first" --json | jq -r '.worker // empty') == deploy-worker ]] ||
  fail "job $first never went to the worker: $(tail -n3 "$work/worker.log")"
[[ $(gs get "$second" --json | jq -r .state) == QUEUED ]] || fail "job $second is not QUEUED behind --max-jobs 1"
wait_for_value "gradstream_job_queue_length{namespace=\"$kNamespace\"}" 1
wait_for_value "$wanted_query" 2
pass "a worker (${worker_args[*]}) took one of two jobs: the queue says 1, the adapter's metric 2"

gs cancel "$first" >/dev/null
gs cancel "$second" >/dev/null
wait_for_value "$wanted_query" 0
pass "both jobs cancelled: the adapter's metric wants 0 workers"

stop_worker_and_server "$worker_pid" "$work/worker.log"

echo "$passed passed, 0 failed"
