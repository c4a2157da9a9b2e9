#!/usr/bin/env bash
# The demo: installs what is missing, builds, starts gradstream-server with its
# defaults, submits examples/fashion-mnist-mlp.json, streams the training live,
# prints the final test accuracy, then stops the server.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/build.sh"

address=${GRADSTREAM_SERVER:-localhost:50051}
log=$(mktemp)
"$root/build/bin/gradstream-server" --listen "$address" --data-dir "$root/var" 2>"$log" &
server=$!
stop() {
  if kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server"
    wait "$server" || true
  fi
  rm -f "$log"
}
trap stop EXIT
for _ in $(seq 1 100); do
  grep -q '"msg":"listening"' "$log" && break
  if ! kill -0 "$server" 2>/dev/null; then
    echo "demo: gradstream-server did not start:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done
metrics_port=$(grep -o '"metrics_port":[0-9]*' "$log" | head -n1 | cut -d: -f2 || true)
echo "demo: gradstream-server listening on $address, Prometheus metrics on http://localhost:${metrics_port:-9464}/metrics"

export GRADSTREAM_SERVER=$address
"$root/build/bin/gradstream" submit "$root/examples/fashion-mnist-mlp.json" --watch
echo
echo "demo: jobs on this server:"
"$root/build/bin/gradstream" list
echo "demo: watch any job again with: build/bin/gradstream watch JOB --json"
echo "demo: this job's series on http://localhost:${metrics_port:-9464}/metrics (while the server runs):"
curl -sf "http://localhost:${metrics_port:-9464}/metrics" | grep -E '^gradstream_job_(test_accuracy|steps_total|samples_total)' || true
echo "demo: dashboards: docker compose -f deploy/docker-compose.yml up (Grafana on :3000)"
