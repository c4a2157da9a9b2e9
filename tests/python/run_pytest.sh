#!/usr/bin/env bash
# The Python client's tests (tests/python/test_*.py) against the real server:
# makes a venv over Debian's Python packages in VENV_DIR (kept between runs),
# installs client/python into it (the stubs generated from proto/ on the way),
# and runs pytest with the binaries under test.
# usage: run_pytest.sh SERVER_BIN CLI_BIN SOURCE_DIR VENV_DIR [PYTEST_ARGS...]
set -euo pipefail
[[ $# -ge 4 ]] || { echo "usage: $(basename "$0") SERVER_BIN CLI_BIN SOURCE_DIR VENV_DIR [PYTEST_ARGS...]" >&2; exit 2; }
# Absolute: pytest runs from a scratch directory.
server_bin=$(realpath "$1") cli_bin=$(realpath "$2") source_dir=$(realpath "$3")
venv=$(realpath -m "$4")
shift 4

# Debian's interpreter, whatever python3 comes first on PATH: the venv sees
# Debian's grpcio, protobuf, numpy, matplotlib, pandas and pytest.
[[ -x $venv/bin/python ]] || /usr/bin/python3 -m venv --system-site-packages "$venv"

# Built from a copy, so the source tree gets no build/ or egg-info of its own.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -r "$source_dir/client/python" "$scratch/package"
rm -rf "$scratch/package/build" "$scratch/package"/*.egg-info
GRADSTREAM_PROTO_DIR=$source_dir/proto "$venv/bin/pip" install --quiet --no-index \
  --no-build-isolation --no-deps --force-reinstall "$scratch/package"

# The tests choose server, token and TLS themselves; the caller's must not leak in.
unset GRADSTREAM_SERVER GRADSTREAM_TOKEN GRADSTREAM_TLS_CA GRADSTREAM_TLS_CERT GRADSTREAM_TLS_KEY \
  GRADSTREAM_TLS_SERVER_NAME
export GRADSTREAM_SERVER_BIN=$server_bin GRADSTREAM_CLI_BIN=$cli_bin GRADSTREAM_SOURCE_DIR=$source_dir
# Not from client/python: "import gradstream" must find the installed package.
cd "$scratch"
"$venv/bin/python" -m pytest -p no:cacheprovider -q "$source_dir/tests/python" "$@"
