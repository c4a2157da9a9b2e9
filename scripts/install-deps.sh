#!/usr/bin/env bash
# Installs every Debian package gradstream needs to build, test and benchmark.
# Idempotent: packages already present are skipped, so a warm machine pays nothing.
#   scripts/install-deps.sh [PACKAGE...]   (extra packages a script of ours needs)
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libdnnl-dev ocl-icd-opencl-dev  # dnnl-config.cmake requires OpenCL
  libprotobuf-dev protobuf-compiler
  libgrpc++-dev protobuf-compiler-grpc
  prometheus-cpp-dev
  prometheus curl python3  # tests/e2e/prometheus_test.sh: Prometheus + promtool, its query API, a free port
  python3-grpcio  # tests/e2e/bad_inputs_test.sh sends raw request bytes (/usr/bin/python3)
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev zlib1g-dev libssl-dev
  libsqlite3-dev  # the server's job store
  dataset-fashion-mnist
  jq  # tests/e2e/deploy_config_test.sh reads the Grafana dashboard
  python3-yaml  # tests/e2e/deploy_workers_test.sh reads the compose and Kubernetes YAML
  openssl  # tests/e2e/tls_test.sh makes its CAs and certificates
  clang-14 libfuzzer-14-dev libomp-14-dev  # scripts/fuzz.sh: libFuzzer, ASan, UBSan, OpenMP
  # client/python and tests/python: its venv, stubs (protoc + grpc_python_plugin above),
  # runtime, plots, DataFrames and pytest
  python3-venv python3-setuptools python3-protobuf python3-numpy python3-matplotlib
  python3-pandas python3-pytest
  libgloo-dev  # data-parallel jobs: Gloo's rendezvous and allreduce (engine/distributed)
  libonnx-dev  # ONNX export: ONNX's protobuf classes and checker (engine/onnx)
  python3-onnx nodejs  # tests/e2e/onnx_export_test.sh: onnx.checker; onnxruntime-node from npm
)
# npm for onnxruntime-node: Debian's package, unless the installed nodejs
# (NodeSource's) already brings its own and conflicts with it.
if ! command -v npm >/dev/null; then packages+=(npm); fi

packages+=("$@")

# The PyTorch peer in bench/peers/ only runs when asked (scripts/bench-peers.sh);
# GRADSTREAM_WITH_PEERS=1 installs what it needs.
if [[ "${GRADSTREAM_WITH_PEERS:-0}" == 1 ]]; then
  packages+=(python3-torch python3-numpy libopenblas0-openmp)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
