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
echo "demo: gradstream-server listening on $address"

export GRADSTREAM_SERVER=$address
"$root/build/bin/gradstream" submit "$root/examples/fashion-mnist-mlp.json" --watch
echo
echo "demo: jobs on this server:"
"$root/build/bin/gradstream" list
echo "demo: watch any job again with: build/bin/gradstream watch JOB --json"
echo "demo: Prometheus metrics are not served yet (planned on :9464/metrics)"
