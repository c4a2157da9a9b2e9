#!/usr/bin/env bash
# Checks deploy/ against the code it deploys:
#   1. promtool accepts deploy/prometheus/alerts.yml and prometheus.yml (its
#      rule_files path pointed at this checkout);
#   2. the Grafana dashboard is JSON with a job_id variable and a query in
#      every panel;
#   3. every server flag in the Dockerfile, deploy/k8s and docker-compose.yml
#      (the commented-out examples too) is one that gradstream-server --help lists, and the Dockerfile's runtime stage
#      ships the three binaries and installs the package of every shared
#      library they load;
#   4. every gradstream_* metric the dashboard and the alerts use is in
#      docs/metrics.md and on the /metrics of a real gradstream-server right
#      after two tiny jobs ended (one tanh, one with a dead ReLU layer, so that
#      saturated, dead and warnings series exist) and a gradstream-worker joined
#      it (the per-worker series); histograms are checked without their
#      _bucket/_sum/_count suffixes;
#   5. `gradstream health` answers SERVING from that server.
#   The TLS component deploy/k8s/tls is checked with 3: its flags exist, its
#   files come from the Secret it mounts. The workers' recipes:
#   deploy_workers_test.sh.
# usage: deploy_config_test.sh SERVER_BIN CLI_BIN SOURCE_DIR WORKER_BIN
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init_with_worker "$@"
deploy=$source_dir/deploy
dashboard=$deploy/grafana/dashboards/gradstream.json
alerts=$deploy/prometheus/alerts.yml
command -v promtool >/dev/null || fail "promtool missing (Debian package prometheus; scripts/install-deps.sh)"
command -v jq >/dev/null || fail "jq missing (scripts/install-deps.sh)"

# 1. Prometheus configuration.
promtool check rules "$alerts" >"$work/promtool.out" 2>&1 || fail "promtool check rules: $(cat "$work/promtool.out")"
cp "$alerts" "$work/alerts.yml"
sed "s|/etc/prometheus/alerts.yml|$work/alerts.yml|" "$deploy/prometheus/prometheus.yml" >"$work/prometheus.yml"
grep -q "$work/alerts.yml" "$work/prometheus.yml" || fail "prometheus.yml does not load /etc/prometheus/alerts.yml"
promtool check config "$work/prometheus.yml" >"$work/promtool.out" 2>&1 ||
  fail "promtool check config: $(cat "$work/promtool.out")"
grep -q 'gradstream:9464' "$work/prometheus.yml" || fail "prometheus.yml does not scrape gradstream:9464"
pass "promtool: rules and config"

# 2. Grafana dashboard.
jq -e . "$dashboard" >/dev/null 2>"$work/jq.err" || fail "dashboard is not JSON: $(cat "$work/jq.err")"
jq -e '.templating.list | map(select(.name == "job_id")) | length == 1' "$dashboard" >/dev/null ||
  fail "dashboard has no job_id variable"
empty=$(jq -r '.panels[] | select(.type != "row") | select([.targets[]?.expr | select(length > 0)] | length == 0) | .title' "$dashboard")
[[ -z $empty ]] || fail "panels without a query: $empty"
[[ $(jq '[.panels[].id] | length == (unique | length)' "$dashboard") == true ]] || fail "panel ids repeat"
pass "dashboard: JSON, job_id variable, $(jq '[.panels[] | select(.type != "row")] | length' "$dashboard") panels with queries"

# 3. Server flags used by the container recipes exist.
"$server_bin" --help >"$work/help.txt" 2>&1 || true
flags=$( (grep -A2 '^ENTRYPOINT' "$source_dir/Dockerfile"
  grep -E '^\s+(# )?- --' "$deploy/k8s/deployment.yaml"
  grep -E '^\s+(# )?command:' "$deploy/docker-compose.yml") |
  grep -oE -- '--[a-z][a-z-]+' | sort -u)
[[ -n $flags ]] || fail "no server flags found in Dockerfile / deployment.yaml"
for flag in $flags; do
  grep -qE -- "$flag([ =,]|$)" "$work/help.txt" || fail "$flag is not a gradstream-server flag"
done
pass "server flags in Dockerfile, deployment.yaml and docker-compose.yml: $(echo $flags)"

# 3a. The TLS component (deploy/k8s/tls): its server flags exist, its files
# come from the Secret it mounts, its probes run CLI flags that exist, and the
# base kustomization names it (commented out: TLS is opt-in).
tls_patch=$deploy/k8s/tls/deployment-tls.yaml
tls_flags=$(grep -oE -- 'value: --[a-z][a-z-]+' "$tls_patch" | cut -d' ' -f2 | sort -u)
[[ -n $tls_flags ]] || fail "no server flags in $tls_patch"
for flag in $tls_flags; do
  grep -qE -- "$flag([ =,]|$)" "$work/help.txt" || fail "$flag ($tls_patch) is not a gradstream-server flag"
done
grep -q 'secretName: gradstream-tls' "$tls_patch" || fail "$tls_patch does not mount the Secret gradstream-tls"
mount=$(grep -oE 'mountPath: \S+' "$tls_patch" | cut -d' ' -f2)
for file in tls.crt tls.key ca.crt; do
  grep -q "$mount/$file" "$tls_patch" || fail "$tls_patch does not use $mount/$file"
done
{ "$cli_bin" --help; "$cli_bin" health --help; } >"$work/cli_help.txt" 2>&1 || true
probe_flags=$(grep -oE 'command: \[gradstream, health[^]]*\]' "$tls_patch" | grep -oE -- '--[a-z][a-z-]+' | sort -u)
[[ -n $probe_flags ]] || fail "no gradstream health probe in $tls_patch"
for flag in $probe_flags; do
  grep -qE -- "$flag([ =,]|$)" "$work/cli_help.txt" || fail "probe flag $flag is not a gradstream flag"
done
grep -qE '^#\s+- tls$' "$deploy/k8s/kustomization.yaml" || fail "deploy/k8s/kustomization.yaml does not name the tls component"
pass "TLS component: server flags $(echo $tls_flags), Secret files under $mount, probe flags $(echo $probe_flags)"

# 3c. The auth component (deploy/k8s/auth): its server flags exist, the token
# file comes from the Secret it mounts, and the base kustomization names it.
auth_patch=$deploy/k8s/auth/deployment-auth.yaml
auth_flags=$(grep -oE -- 'value: --[a-z][a-z-]+' "$auth_patch" | cut -d' ' -f2 | sort -u)
[[ $auth_flags == *--auth-tokens* ]] || fail "no --auth-tokens in $auth_patch"
for flag in $auth_flags; do
  grep -qE -- "$flag([ =,]|$)" "$work/help.txt" || fail "$flag ($auth_patch) is not a gradstream-server flag"
done
grep -q 'secretName: gradstream-auth' "$auth_patch" || fail "$auth_patch does not mount the Secret gradstream-auth"
auth_mount=$(grep -oE 'mountPath: \S+' "$auth_patch" | cut -d' ' -f2)
grep -q -- "--auth-tokens=$auth_mount/tokens" "$auth_patch" || fail "$auth_patch does not read $auth_mount/tokens"
grep -qE '^#\s+- auth$' "$deploy/k8s/kustomization.yaml" || fail "deploy/k8s/kustomization.yaml does not name the auth component"
pass "auth component: server flags $(echo $auth_flags), the token file from the Secret under $auth_mount"

# 3b. The runtime image ships the three binaries and installs (directly or as
# dependencies) the Debian package of every shared library they load; debian:12-slim has the C and
# C++ runtimes. The image ships a Release build: a sanitized test tree's
# sanitizer runtimes (libasan, libubsan, libtsan) are not its libraries.
listed=$(sed -n '/^FROM debian:12-slim/,/rm -rf/p' "$source_dir/Dockerfile" |
  grep -E '^\s+(lib|ocl-|zlib|dataset-)' | tr -s ' \\' '\n' | grep -v '^$')
[[ -n $listed ]] || fail "no runtime packages found in the Dockerfile's debian:12-slim stage"
# shellcheck disable=SC2086  # one package per word
apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances $listed | grep -v '^ ' | sort -u >"$work/installed"
printf '%s\n' libc6 libgcc-s1 libstdc++6 >>"$work/installed"
package_of() {  # usrmerge: a library may be registered under /lib or /usr/lib
  dpkg -S "$1" 2>/dev/null || dpkg -S "${1#/usr}" 2>/dev/null || dpkg -S "/usr$1" 2>/dev/null ||
    fail "no Debian package holds $1"
}
copied=$(sed -n '/^FROM debian:12-slim/,$p' "$source_dir/Dockerfile" | sed -n '/^COPY --from=build/,/\/usr\/local\/bin\/$/p')
for bin in "$server_bin" "$cli_bin" "$worker_bin"; do
  grep -qE "/build/bin/$(basename "$bin")( |$)" <<<"$copied" ||
    fail "the runtime image does not ship $(basename "$bin"): $copied"
  while read -r lib; do
    package=$(package_of "$lib" | head -n1 | cut -d: -f1)
    grep -qx "$package" "$work/installed" ||
      fail "$(basename "$bin") loads $lib from $package, which the runtime image does not install"
  done < <(ldd "$bin" | awk '/=> \// && !/\/lib(asan|ubsan|tsan|lsan)\.so/ { print $3 }')
done
pass "the runtime image ships the three binaries and installs every shared library they load"

# 4. Metric names: documented, and served.
strip_histogram() { sed -E 's/_(bucket|sum|count)$//' | sort -u; }
{
  jq -r '.. | objects | (.expr?, .definition?) // empty | strings' "$dashboard"
  cat "$alerts"
} | grep -oE 'gradstream_[a-z0-9_]+' | strip_histogram >"$work/used"
[[ -s $work/used ]] || fail "no gradstream_ metric found in the dashboard and alerts"
grep -oE '`gradstream_[a-z0-9_]+`' "$source_dir/docs/metrics.md" | tr -d '`' | sort -u >"$work/documented"
undocumented=$(comm -23 "$work/used" "$work/documented")
[[ -z $undocumented ]] || fail "used but not in docs/metrics.md: $(echo $undocumented)"
pass "$(wc -l <"$work/used") metric names used, all in docs/metrics.md"

start_server "$server_bin" "$work/server.log" --data-dir "$work/var" || fail "server did not start"
metrics_port=${GRADSTREAM_METRICS_PORT:-}
[[ -n $metrics_port ]] || fail "the listening line has no metrics_port: $(cat "$work/server.log")"

# 5. The health check the container HEALTHCHECK runs.
[[ $("$cli_bin" health) == SERVING ]] || fail "gradstream health did not answer SERVING"
pass "gradstream health: SERVING"

# spec ACTIVATION UNITS BIAS: a one-hidden-layer MLP; a relu layer with a bias of
# -100 never fires (dead_relu warning). Per-layer series exist per activation
# family (dead: ReLU family, saturated: sigmoid/tanh), hence tanh for the other.
spec() {
  local bias
  bias=$(for ((i = 0; i < $2; i++)); do printf "%s," "$3"; done)
  cat <<SPEC
{"model": {"inputShape": [784], "layers": [
   {"dense": {"units": $2, "activation": {"name": "$1"}, "initialBias": [${bias%,}]}},
   {"dense": {"units": 10}}]},
 "optimizer": {"adam": {}, "learningRate": 0.002},
 "data": {"builtin": "fashion-mnist", "validationFraction": 0.1}, "epochs": 1, "batchSize": 1000,
 "seed": 1, "threads": 1, "reporting": {"stepEvery": 5}}
SPEC
}
readonly kJobTimeoutSeconds=300  # a stuck event stream fails here, not at ctest's timeout
spec tanh 16 0 >"$work/tiny.json"
spec relu 4 -100 >"$work/dead.json"
timeout $kJobTimeoutSeconds "$cli_bin" submit "$work/tiny.json" --watch >"$work/tiny.out" 2>&1 || fail "tiny job: $(cat "$work/tiny.out")"
timeout $kJobTimeoutSeconds "$cli_bin" submit "$work/dead.json" --watch >"$work/dead.out" 2>&1 || fail "dead-relu job: $(cat "$work/dead.out")"
grep -q 'warning: dead_relu' "$work/dead.out" || fail "the dead-relu job gave no dead_relu warning"
job=$(head -n1 "$work/tiny.out")
# Two workers join (after the jobs above: they trained here) for the per-worker
# series, and train a data-parallel job for the allreduce series.
"$worker_bin" --coordinator "$GRADSTREAM_SERVER" --name deploy-check --max-jobs 1 \
  --threads-per-job 1 --gloo-address 127.0.0.1 2>"$work/worker.log" &
worker_pid=$!
background_pids+=("$worker_pid")
"$worker_bin" --coordinator "$GRADSTREAM_SERVER" --name deploy-check-2 --max-jobs 1 \
  --threads-per-job 1 --gloo-address 127.0.0.1 2>"$work/worker-2.log" &
second_worker_pid=$!
background_pids+=("$second_worker_pid")
jq '.distributed = {"workers": 2}' "$work/tiny.json" >"$work/two.json"
timeout $kJobTimeoutSeconds "$cli_bin" submit "$work/two.json" --watch >"$work/two.out" 2>&1 ||
  fail "data-parallel job: $(cat "$work/two.out")"

# /metrics over bash's /dev/tcp: no curl in the image or the dependencies.
scrape() {
  exec 3<>"/dev/tcp/127.0.0.1/$metrics_port" || fail "cannot connect to /metrics on port $metrics_port"
  printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\n\r\n' >&3
  timeout 30 cat <&3 | tr -d '\r' >"$work/metrics.txt"
  exec 3<&-
  head -n1 "$work/metrics.txt" | grep -q ' 200' || fail "/metrics answered: $(head -n1 "$work/metrics.txt")"
}
for _ in $(seq 1 $((kJobTimeoutSeconds * 10))); do
  scrape
  grep -q '^gradstream_worker_jobs{worker="deploy-check"}' "$work/metrics.txt" && break
  kill -0 "$worker_pid" 2>/dev/null || fail "the worker exited: $(cat "$work/worker.log")"
  sleep 0.1
done
grep -q '^gradstream_worker_jobs{worker="deploy-check"}' "$work/metrics.txt" ||
  fail "the worker never joined: $(tail -n3 "$work/worker.log")"
grep -qE "^gradstream_job_steps_total\{[^}]*job_id=\"$job\"" "$work/metrics.txt" ||
  fail "no gradstream_job_steps_total series for $job"
grep -oE '^gradstream_[a-z0-9_]+' "$work/metrics.txt" | strip_histogram >"$work/served"
missing=$(comm -23 "$work/used" "$work/served")
[[ -z $missing ]] || fail "used by deploy/ but not on /metrics: $(echo $missing)"
pass "every metric deploy/ uses is on /metrics ($(wc -l <"$work/served") names served)"

kill -TERM "$second_worker_pid"
wait "$second_worker_pid" || fail "the second worker exited $? on SIGTERM"
stop_worker_and_server "$worker_pid" "$work/worker.log"

echo "$passed passed, 0 failed"
