#!/usr/bin/env bash
# End to end: gradstream-server over TLS and mutual TLS, with a CA, server and
# client certificates made here by openssl.
# 1. Bad TLS flags stop the server at start, naming the flag and file.
# 2. TLS: the CLI with --tls-ca (or GRADSTREAM_TLS_CA) submits, gets, checks
#    health; without the CA, with the wrong one, or with --tls (system roots)
#    it exits UNAVAILABLE naming TLS; an unreadable --tls-ca exits 64.
# 3. /metrics over HTTPS with basic auth (--metrics-auth): refused (401)
#    without the user's password, scraped by a real Prometheus (scheme https,
#    its CA, basic_auth).
# 4. Rotation: the certificate directory is swapped as Kubernetes swaps a
#    Secret's; a client trusting only the second CA connects, and /metrics
#    serves the new certificate with the same series, without a restart.
# 5. Mutual TLS: a client without a certificate, or with one of another CA,
#    is refused; one with a certificate the client CA signed is served.
# usage: tls_test.sh SERVER_BIN CLI_BIN SOURCE_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"
for tool in openssl prometheus curl jq; do
  command -v "$tool" >/dev/null || fail "$tool not installed (scripts/install-deps.sh)"
done

readonly kReloadSeconds=1
# Polling limit, in tenths of a second: a rotation is seen within a few
# reload intervals.
readonly kRotationTenths=100
readonly kUnavailable=14
readonly kUsage=64

tls=$work/tls
mkdir -p "$tls"
# make_ca NAME: a self-signed CA, $tls/NAME.crt and $tls/NAME.key.
make_ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$1" \
    -keyout "$tls/$1.key" -out "$tls/$1.crt" 2>"$work/openssl.err" ||
    fail "openssl could not make CA $1: $(cat "$work/openssl.err")"
}
# issue CA NAME server|client: $tls/NAME.crt and .key signed by CA; a server
# certificate names 127.0.0.1 and localhost.
issue() {
  local ca=$1 name=$2 extensions
  if [[ $3 == server ]]; then
    extensions="subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
  else
    extensions="extendedKeyUsage=clientAuth"
  fi
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
    -keyout "$tls/$name.key" -out "$tls/$name.csr" 2>"$work/openssl.err" ||
    fail "openssl req $name: $(cat "$work/openssl.err")"
  openssl x509 -req -in "$tls/$name.csr" -CA "$tls/$ca.crt" -CAkey "$tls/$ca.key" \
    -CAcreateserial -days 2 -extfile <(echo "$extensions") -out "$tls/$name.crt" \
    2>"$work/openssl.err" || fail "openssl x509 $name: $(cat "$work/openssl.err")"
}
make_ca ca1
make_ca ca2
issue ca1 server1 server
issue ca2 server2 server
issue ca1 client1 client
issue ca2 client2 client
pass "openssl made two CAs, their server certificates and client certificates"

# The server's certificate directory as a mounted Kubernetes Secret: the files
# are symlinks through ..data, a symlink to a versioned directory swapped in
# one rename.
secret=$work/secret
# publish VERSION SERVER: $secret/..VERSION holds SERVER's pair; ..data points to it.
publish() {
  mkdir -p "$secret/..$1"
  cp "$tls/$2.crt" "$secret/..$1/tls.crt"
  cp "$tls/$2.key" "$secret/..$1/tls.key"
  ln -sfn "..$1" "$secret/..data_tmp"
  mv -T "$secret/..data_tmp" "$secret/..data"
  ln -sfn ..data/tls.crt "$secret/tls.crt"
  ln -sfn ..data/tls.key "$secret/tls.key"
}
publish v1 server1

# 1. Bad flags: the server refuses to start, naming the flag (and file).
# server_refuses PATTERN FLAGS...: the server exits non-zero with PATTERN in its log.
server_refuses() {
  local pattern=$1
  shift
  "$server_bin" --listen 127.0.0.1:0 --metrics-address 127.0.0.1:0 --data-dir "$work/refused" \
    "$@" 2>"$work/refused.log" && fail "server started with $*"
  grep -Eq -- "$pattern" "$work/refused.log" || fail "server log '$(cat "$work/refused.log")' lacks $pattern"
}
server_refuses "tls_key: empty while tls_cert is $tls/server1.crt" --tls-cert "$tls/server1.crt"
server_refuses "tls_key: the key in $tls/server2.key is not the key of the certificate in $tls/server1.crt" \
  --tls-cert "$tls/server1.crt" --tls-key "$tls/server2.key"
server_refuses "tls_client_ca: cannot read $work/absent.crt" \
  --tls-cert "$tls/server1.crt" --tls-key "$tls/server1.key" --tls-client-ca "$work/absent.crt"
server_refuses "tls_client_ca: .* needs tls_cert" --tls-client-ca "$tls/ca1.crt"
pass "bad TLS flags stop the server at start, naming flag and file"

# 2. TLS.
write_metrics_users "$work/metrics-users"
start_server "$server_bin" "$work/server.log" --data-dir "$work/var" --threads-per-job 1 \
  --tls-cert "$secret/tls.crt" --tls-key "$secret/tls.key" --tls-reload-seconds "$kReloadSeconds" \
  --metrics-auth "$work/metrics-users" ||
  fail "TLS server did not start"
grep -q '"tls":true' "$work/server.log" || fail "listening line lacks tls:true: $(cat "$work/server.log")"
grep -q '"metrics_tls":true' "$work/server.log" || fail "listening line lacks metrics_tls:true"

[[ $(gs --tls-ca "$tls/ca1.crt" health) == SERVING ]] || fail "health over TLS is not SERVING"
small_spec 1 >"$work/spec.json"
GRADSTREAM_TLS_CA=$tls/ca1.crt gs submit "$work/spec.json" --watch >"$work/watch.txt" ||
  fail "submit --watch over TLS exited $?: $(tail -n3 "$work/watch.txt")"
job=$(head -n1 "$work/watch.txt")
[[ $job == job-* ]] || fail "submit printed '$job', not a job id"
gs --tls-ca "$tls/ca1.crt" get "$job" >"$work/get.txt" || fail "get over TLS exited $?"
grep -q SUCCEEDED "$work/get.txt" || fail "job $job did not succeed: $(cat "$work/get.txt")"
pass "TLS: health SERVING, submit --watch (GRADSTREAM_TLS_CA) and get ($job SUCCEEDED)"

expect_error $kUnavailable 'closed this plaintext connection: if it serves TLS, give --tls-ca' \
  get "$job"
expect_error $kUnavailable 'closed this plaintext connection: if it serves TLS' health --timeout 5
expect_error $kUnavailable "TLS handshake with $GRADSTREAM_SERVER failed: is --tls-ca $tls/ca2.crt the CA" \
  --tls-ca "$tls/ca2.crt" get "$job"
expect_error $kUnavailable "TLS handshake with .* failed: is a system root the CA" --tls health
GRADSTREAM_TLS_CA=$tls/ca2.crt expect_error $kUnavailable "is --tls-ca $tls/ca2.crt the CA" watch "$job"
expect_error $kUsage "gradstream: --tls-ca: cannot read $work/absent.crt" --tls-ca "$work/absent.crt" health
[[ $(GRADSTREAM_TLS_CA=$tls/ca2.crt gs --tls-ca "$tls/ca1.crt" health) == SERVING ]] ||
  fail "--tls-ca did not win over GRADSTREAM_TLS_CA"
pass "TLS: plaintext, wrong CA, system roots and watch fail UNAVAILABLE naming TLS; flags win"

# 3. /metrics over HTTPS, scraped by Prometheus.
metrics_url=https://127.0.0.1:$GRADSTREAM_METRICS_PORT/metrics
for user in "" "-u prom:wrong" "-u other:s3cret"; do
  # shellcheck disable=SC2086  # the user option is two words or none
  code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$tls/ca1.crt" $user "$metrics_url" || true)
  [[ $code == 401 ]] || fail "HTTPS /metrics with '$user' answered $code, not 401"
done
curl -sf --cacert "$tls/ca1.crt" -u prom:s3cret "$metrics_url" >"$work/metrics.txt" || fail "no HTTPS /metrics"
grep -q "gradstream_job_samples_total{job_id=\"$job\"}" "$work/metrics.txt" ||
  fail "/metrics lacks $job's samples"
curl -sf "http://127.0.0.1:$GRADSTREAM_METRICS_PORT/metrics" >/dev/null 2>&1 &&
  fail "/metrics answered plain HTTP"
other=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$tls/ca1.crt" -u prom:s3cret \
  "https://127.0.0.1:$GRADSTREAM_METRICS_PORT/other" || true)
[[ $other == 404 ]] || fail "GET /other over HTTPS answered $other, not 404"

scrape_config_with_basic_auth "$work/prometheus.yml" "    scheme: https
    tls_config:
      ca_file: $tls/ca1.crt"
start_prometheus "$work/prometheus.yml"
samples=$(prometheus_value "gradstream_job_samples_total{job_id=\"$job\"}")
# One epoch over Fashion-MNIST's 60000 training samples.
[[ $samples == 60000 ]] || fail "prometheus over HTTPS: gradstream_job_samples_total is '$samples', want 60000"
pass "/metrics over HTTPS only, 401 without the password (other paths 404); prometheus (scheme https, ca_file, basic_auth) scraped $job: $samples samples"
kill -TERM "$prometheus_pid"
wait "$prometheus_pid" 2>/dev/null || true
background_pids=()

# 4. Rotation to a certificate of the second CA, without a restart.
pid_before=$server_pid
now_ms() { echo $(($(date +%s%N) / 1000000)); }
rotation_start=$(now_ms)
publish v2 server2
rotated=
for ((i = 0; i < kRotationTenths; i++)); do
  if [[ $(gs --tls-ca "$tls/ca2.crt" health --timeout 5 2>/dev/null) == SERVING ]]; then
    rotated=$(($(now_ms) - rotation_start))
    break
  fi
  sleep 0.1
done
[[ -n $rotated ]] || fail "a client trusting ca2 was not served $((kRotationTenths / 10)) s after the rotation"
kill -0 "$pid_before" || fail "the server died during the rotation"
expect_error $kUnavailable "TLS handshake with .* failed: is --tls-ca $tls/ca1.crt the CA" \
  --tls-ca "$tls/ca1.crt" get "$job"
metrics_rotated=
for ((i = 0; i < kRotationTenths; i++)); do
  if curl -sf --cacert "$tls/ca2.crt" -u prom:s3cret "$metrics_url" >"$work/metrics2.txt" 2>/dev/null; then
    metrics_rotated=$(($(now_ms) - rotation_start))
    break
  fi
  sleep 0.1
done
[[ -n $metrics_rotated ]] || fail "/metrics did not serve the ca2 certificate after the rotation"
grep -q "gradstream_job_samples_total{job_id=\"$job\"} 60000" "$work/metrics2.txt" ||
  fail "the metric registry did not survive the rotation"
pass "rotation: gRPC served ca2's certificate ${rotated} ms after the swap, /metrics ${metrics_rotated} ms after it (same series), same pid"

kill -TERM "$server_pid"
wait "$server_pid" || fail "TLS server exited $? on SIGTERM"
server_pid=

# 5. Mutual TLS: clients need a certificate ca1 signed.
publish v3 server1
start_server "$server_bin" "$work/mtls.log" --data-dir "$work/var" --threads-per-job 1 \
  --tls-cert "$secret/tls.crt" --tls-key "$secret/tls.key" --tls-client-ca "$tls/ca1.crt" ||
  fail "mutual TLS server did not start"
expect_error $kUnavailable "TLS handshake with .* failed: .*Does the server require a client certificate" \
  --tls-ca "$tls/ca1.crt" get "$job"
expect_error $kUnavailable "TLS handshake with .* failed: .*client CA sign --tls-cert $tls/client2.crt" \
  --tls-ca "$tls/ca1.crt" --tls-cert "$tls/client2.crt" --tls-key "$tls/client2.key" health
[[ $(gs --tls-ca "$tls/ca1.crt" --tls-cert "$tls/client1.crt" --tls-key "$tls/client1.key" health) == SERVING ]] ||
  fail "health with a client certificate is not SERVING"
GRADSTREAM_TLS_CA=$tls/ca1.crt GRADSTREAM_TLS_CERT=$tls/client1.crt GRADSTREAM_TLS_KEY=$tls/client1.key \
  gs get "$job" >"$work/get2.txt" || fail "get with GRADSTREAM_TLS_CERT/KEY exited $?"
grep -q SUCCEEDED "$work/get2.txt" || fail "the restarted server lost $job: $(cat "$work/get2.txt")"
pass "mutual TLS: no or a foreign client certificate refused naming TLS; ca1's served (flags and env)"

kill -TERM "$server_pid"
wait "$server_pid" || fail "mutual TLS server exited $? on SIGTERM"
server_pid=
echo "tls_test: all $passed passed"
