# shellcheck shell=bash
# Sourced by the end-to-end scripts: the arguments every one takes, a scratch
# directory, cleanup on every exit, and the fail/pass reporting.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   e2e_init "$@"
#
# e2e_init SERVER_BIN CLI_BIN SOURCE_DIR sets server_bin, cli_bin, source_dir,
# work (a fresh temporary directory), server_pid (empty; start_server from
# scripts/lib/server.sh sets it), background_pids (empty) and passed (0), and
# sources scripts/lib/server.sh. On exit, for any reason, every pid in
# background_pids and a live server_pid are killed and work is removed: a
# script puts the pids of its background processes in background_pids while
# they run, and sets server_pid= once it has stopped the server itself.
#
# Under a sanitized build (scripts/test.sh --sanitize) the server and the CLI
# write every sanitizer report to $work/sanitizer.PID (log_path), whatever their
# stderr was sent to and whatever exit code the script expected of them; cleanup
# prints each report and fails the test. A process killed with SIGKILL writes no
# leak report: only those that exit (SIGTERM, or the CLI) are checked for leaks.

# fail MESSAGE: "FAIL: MESSAGE" on stderr, exit 1.
fail() { echo "FAIL: $*" >&2; exit 1; }
# pass MESSAGE: "ok: MESSAGE", counted in passed.
pass() { passed=$((passed + 1)); echo "ok: $*"; }
# gs ARGS...: the CLI under test.
gs() { "$cli_bin" "$@"; }
# expect_error EXIT_CODE PATTERN COMMAND...: the CLI run with COMMAND exits
# EXIT_CODE with a message on stderr matching the extended regex PATTERN.
expect_error() {
  local want_exit=$1 pattern=$2 got
  shift 2
  "$cli_bin" "$@" >/dev/null 2>"$work/err" && got=0 || got=$?
  [[ $got -eq $want_exit ]] || fail "'$*' exited $got, not $want_exit: $(cat "$work/err")"
  grep -Eq "$pattern" "$work/err" || fail "'$*': message '$(cat "$work/err")' does not match $pattern"
}

# small_spec EPOCHS: a small Fashion-MNIST job (784-32-10, relu, Adam, batch
# 256, 2 threads, a step event every 20 steps) as JSON on stdout.
small_spec() {
  cat <<SPEC
{"model": {"inputShape": [784], "layers": [
   {"dense": {"units": 32, "activation": {"name": "relu"}}}, {"dense": {"units": 10}}]},
 "optimizer": {"adam": {}, "learningRate": 0.002},
 "data": {"builtin": "fashion-mnist"}, "epochs": $1, "batchSize": 256, "seed": 1, "threads": 2,
 "reporting": {"stepEvery": 20}}
SPEC
}

# blobs_csv: 300 rows "label,x,y" on stdout, three blobs around (-3,0), (3,0),
# (0,4) spread by a deterministic wobble (no RNG, so every awk writes the same
# file): a small dataset to upload.
blobs_csv() {
  awk 'BEGIN {
    split("-3 3 0", cx, " "); split("0 0 4", cy, " ");
    for (i = 0; i < 300; i++) {
      c = i % 3;
      printf "%d,%.4f,%.4f\n", c, cx[c + 1] + 0.9 * sin(i * 1.7), cy[c + 1] + 0.9 * cos(i * 2.3);
    }
  }'
}

# start_prometheus CONFIG: a real Prometheus (/usr/bin/prometheus) reading the
# prometheus.yml CONFIG, on a free loopback port, its data and log in work; sets
# prometheus_port and prometheus_pid (in background_pids too) and returns once it
# is ready (fails after 30 s, or when it exits, with its log's tail).
start_prometheus() {
  prometheus_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  prometheus --config.file "$1" --storage.tsdb.path "$work/tsdb" \
    --web.listen-address "127.0.0.1:$prometheus_port" --log.level warn \
    >"$work/prometheus.log" 2>&1 &
  prometheus_pid=$!
  background_pids+=("$prometheus_pid")
  local i
  for ((i = 0; i < 300; i++)); do  # tenths of a second
    curl -sf "http://127.0.0.1:$prometheus_port/-/ready" >/dev/null 2>&1 && return 0
    kill -0 "$prometheus_pid" 2>/dev/null || fail "prometheus exited: $(tail -n5 "$work/prometheus.log")"
    sleep 0.1
  done
  fail "prometheus never became ready: $(tail -n5 "$work/prometheus.log")"
}

# write_metrics_users FILE: a --metrics-auth file allowing user prom with
# password s3cret (what scrape_config_with_basic_auth sends).
write_metrics_users() { echo "prom sha256:$(printf %s s3cret | sha256sum | cut -d' ' -f1)" >"$1"; }
# scrape_config_with_basic_auth FILE [YAML_LINES]: a prometheus.yml scraping
# this server's /metrics every second as prom:s3cret; YAML_LINES (indented
# for the scrape job, e.g. scheme and tls_config) are added to the job.
scrape_config_with_basic_auth() {
  cat >"$1" <<CONFIG
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: gradstream
${2:-}
    basic_auth:
      username: prom
      password: s3cret
    static_configs:
      - targets: ["127.0.0.1:$GRADSTREAM_METRICS_PORT"]
CONFIG
}

# prometheus_value QUERY: the first value of the PromQL QUERY on the
# Prometheus of start_prometheus, once it has one (it scrapes every second),
# on stdout; empty after 40 s.
prometheus_value() {
  local value= i
  for ((i = 0; i < 400; i++)); do  # tenths of a second
    value=$(curl -sf "http://127.0.0.1:$prometheus_port/api/v1/query" --data-urlencode "query=$1" |
      jq -r '.data.result[0].value[1] // empty' || true)
    [[ -n $value ]] && break
    sleep 0.1
  done
  echo "$value"
}

# e2e_init_with_worker SERVER_BIN CLI_BIN SOURCE_DIR WORKER_BIN: e2e_init, and
# worker_bin (the gradstream-worker binary).
# shellcheck disable=SC2034  # worker_bin is for the sourcing script
e2e_init_with_worker() {
  worker_bin=${4:-}
  [[ -x $worker_bin ]] || fail "usage: $(basename "$0") SERVER_BIN CLI_BIN SOURCE_DIR WORKER_BIN"
  e2e_init "$1" "$2" "$3"
}

# job_field JOB FIELD: FIELD (protobuf's JSON name) of `gradstream get JOB`,
# empty when unset.
# save_outputs JOB NAME: JOB's model in $work/NAME.pb, its predictions on
# $work/rows.csv in $work/NAME.predictions.
save_outputs() {
  gs export "$1" -o "$work/$2.pb" || fail "export of $1 exited $?"
  gs predict "$1" --input "$work/rows.csv" >"$work/$2.predictions" || fail "predict on $1 exited $?"
}
# same_outputs JOB NAME: save_outputs, and both equal those saved as "reference".
same_outputs() {
  save_outputs "$1" "$2"
  cmp -s "$work/reference.pb" "$work/$2.pb" || fail "$2: the model differs from the reference run's"
  cmp -s "$work/reference.predictions" "$work/$2.predictions" ||
    fail "$2: predictions differ from the reference run's: $(diff "$work/reference.predictions" "$work/$2.predictions" | head -4)"
}
job_field() { "$cli_bin" get "$1" --json | jq -r ".$2 // empty"; }
# wait_for_state JOB STATE [SECONDS]: returns once JOB is in STATE; fails
# after SECONDS (default 300) saying where the job is.
wait_for_state() {
  local i
  for ((i = 0; i < ${3:-300} * 10; ++i)); do
    [[ $(job_field "$1" state) == "$2" ]] && return 0
    sleep 0.1
  done
  fail "job $1 never became $2: $("$cli_bin" get "$1" --json | jq -c '{state, reason, worker, steps}')"
}
# start_worker NAME [FLAGS...]: a gradstream-worker (worker_bin) named NAME,
# one job of one thread, joined to $GRADSTREAM_SERVER, its log appended to
# work/NAME.log; its pid in worker_pids[NAME] and background_pids.
declare -A worker_pids
start_worker() {
  local name=$1
  shift
  "$worker_bin" --coordinator "$GRADSTREAM_SERVER" --name "$name" --max-jobs 1 \
    --threads-per-job 1 "$@" 2>>"$work/$name.log" &
  worker_pids[$name]=$!
  background_pids+=("${worker_pids[$name]}")
}

# stop_worker_and_server WORKER_PID WORKER_LOG: SIGTERM to a gradstream-worker,
# then to the server (server_pid, emptied); fails unless each exits 0.
stop_worker_and_server() {
  local status
  kill -TERM "$1"
  wait "$1" && status=0 || status=$?
  [[ $status -eq 0 ]] || fail "the worker exited $status on SIGTERM: $(tail -n3 "$2")"
  kill -TERM "$server_pid"
  wait "$server_pid" && status=0 || status=$?
  server_pid=
  [[ $status -eq 0 ]] || fail "the server exited $status on SIGTERM"
}

e2e_cleanup() {
  local status=$? pid report
  # Reaped here, quietly: bash's "Killed" lines would bury the FAIL line.
  for pid in "${background_pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid"; fi
  for report in "$work"/sanitizer.*; do
    [[ -e $report ]] || continue
    cat "$report" >&2
    echo "FAIL: sanitizer report $(basename "$report") (above)" >&2
    status=1
  done
  rm -rf "$work"
  exit "$status"
}

# shellcheck disable=SC2034  # the variables are for the sourcing script
e2e_init() {
  [[ $# -eq 3 ]] || fail "usage: $(basename "$0") SERVER_BIN CLI_BIN SOURCE_DIR"
  server_bin=$1
  cli_bin=$2
  source_dir=$3
  [[ -d $source_dir ]] || fail "source dir $source_dir missing"
  server_pid=
  background_pids=()
  passed=0
  work=$(mktemp -d)
  trap e2e_cleanup EXIT
  local options
  for options in ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS; do
    export "$options=${!options:+${!options}:}log_path=$work/sanitizer"
  done
  source "$source_dir/scripts/lib/server.sh"
}
