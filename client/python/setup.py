"""Generates the gRPC stubs from the repository's proto/ while the package is built.

The stubs are never checked in: build_py runs Debian's protoc with
grpc_python_plugin over proto/gradstream/v1/*.proto and writes the modules
into the build tree as the subpackage gradstream.v1 (protoc's imports read
"from gradstream.v1 import spec_pb2", which is then this package's own).
"""

import os
import pathlib
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent
# The repository's proto/ (client/python is two levels below the root);
# GRADSTREAM_PROTO_DIR points elsewhere, for a copy of the package built alone.
DEFAULT_PROTO_DIR = HERE.parent.parent / "proto"
PROTO_PACKAGE = pathlib.Path("gradstream") / "v1"


def _find_tool(env_var, name):
    path = os.environ.get(env_var) or shutil.which(name)
    if not path:
        raise RuntimeError(
            f"{name} not found: install protobuf-compiler and protobuf-compiler-grpc "
            f"(scripts/install-deps.sh) or set {env_var}"
        )
    return path


class BuildPyWithStubs(build_py):
    """build_py, then protoc + grpc_python_plugin into the build directory."""

    def run(self):
        super().run()
        proto_dir = pathlib.Path(os.environ.get("GRADSTREAM_PROTO_DIR", DEFAULT_PROTO_DIR))
        protos = sorted((proto_dir / PROTO_PACKAGE).glob("*.proto"))
        if not protos:
            raise RuntimeError(f"{proto_dir / PROTO_PACKAGE}: no .proto files (GRADSTREAM_PROTO_DIR)")
        out_dir = pathlib.Path(self.build_lib)
        (out_dir / PROTO_PACKAGE).mkdir(parents=True, exist_ok=True)
        protoc = _find_tool("PROTOC", "protoc")
        plugin = _find_tool("GRPC_PYTHON_PLUGIN", "grpc_python_plugin")
        subprocess.run(
            [
                protoc,
                f"--proto_path={proto_dir}",
                f"--python_out={out_dir}",
                f"--grpc_python_out={out_dir}",
                f"--plugin=protoc-gen-grpc_python={plugin}",
                *[str(p) for p in protos],
            ],
            check=True,
        )
        (out_dir / PROTO_PACKAGE / "__init__.py").write_text(
            '"""gRPC stubs generated from proto/gradstream/v1 at build time."""\n'
        )


setup(cmdclass={"build_py": BuildPyWithStubs})
