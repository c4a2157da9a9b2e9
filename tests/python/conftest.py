"""Fixtures: a real gradstream-server on a free port with its own data dir, a Client
on it, a small synthetic dataset uploaded once and a tiny job trained on it. In a
sanitized tree, a test fails when a process it started wrote a sanitizer report
(sanitizer_reports.py).

The binaries come from the environment (tests/python/run_pytest.sh sets them):
GRADSTREAM_SERVER_BIN, GRADSTREAM_CLI_BIN, GRADSTREAM_SOURCE_DIR.
"""

import os
import pathlib
import sys

import numpy as np
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import gradstream  # noqa: E402
from sanitizer_reports import OPTION_VARIABLES, ReportTracker, describe, route_reports  # noqa: E402
from server_process import ServerProcess  # noqa: E402

# Three well-separated Gaussian blobs: a tiny MLP learns them in a few epochs.
FEATURES = 8
CLASSES = 3
SAMPLES = 900
BLOB_SPREAD = 0.6


def _required_env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set (tests/python/run_pytest.sh sets it)")
    return value


@pytest.fixture(scope="session", autouse=True)
def sanitizer_reports(tmp_path_factory):
    """A ReportTracker when the sanitizer option variables are set, else None.

    Set up before any server, so torn down after the session's server stopped:
    the leak reports written at its exit fail the session too.
    """
    saved = {name: os.environ[name] for name in OPTION_VARIABLES if name in os.environ}
    directory = tmp_path_factory.mktemp("sanitizer")
    if not route_reports(os.environ, directory):
        yield None
        return
    tracker = ReportTracker(directory)
    yield tracker
    os.environ.update(saved)
    reports = tracker.new_reports()
    if reports:
        pytest.fail(describe(reports), pytrace=False)


@pytest.fixture(autouse=True)
def no_sanitizer_report(sanitizer_reports):
    """Fails the test in which a server or CLI wrote a sanitizer report."""
    yield
    if sanitizer_reports is not None:
        reports = sanitizer_reports.new_reports()
        if reports:
            pytest.fail(describe(reports), pytrace=False)


@pytest.fixture(scope="session")
def server_bin():
    return _required_env("GRADSTREAM_SERVER_BIN")


@pytest.fixture(scope="session")
def cli_bin():
    return _required_env("GRADSTREAM_CLI_BIN")


@pytest.fixture(scope="session")
def source_dir():
    return pathlib.Path(_required_env("GRADSTREAM_SOURCE_DIR"))


@pytest.fixture
def start_server(server_bin, tmp_path):
    """start_server(*flags): a server of its own on a fresh data dir, stopped after the test."""
    servers = []

    def start(*flags):
        index = len(servers)
        server = ServerProcess(server_bin, tmp_path / f"data{index}", tmp_path / f"server{index}.log",
                               flags)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def server(server_bin, tmp_path_factory):
    root = tmp_path_factory.mktemp("server")
    process = ServerProcess(server_bin, root / "data", root / "server.log").start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def client(server):
    with gradstream.Client(server.target) as c:
        yield c


def make_blobs(samples=SAMPLES, features=FEATURES, classes=CLASSES, seed=7):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 3.0, size=(classes, features))
    labels = np.arange(samples) % classes
    points = centres[labels] + rng.normal(0.0, BLOB_SPREAD, size=(samples, features))
    return points.astype(np.float32), labels.astype(np.int32)


@pytest.fixture(scope="session")
def blobs():
    return make_blobs()


@pytest.fixture(scope="session")
def dataset(client, blobs):
    return client.upload(*blobs, name="blobs")


def tiny_spec(dataset_id, activation="relu", epochs=3, name=None, layers=1, units=16, **extra):
    """A tiny MLP on the uploaded blobs, reporting gradients and activations every 5 steps."""
    hidden = [{"dense": {"units": units, "activation": {"name": activation}}}
              for _ in range(layers)]
    spec = {
        "name": name or f"tiny-{activation}",
        "model": {"inputShape": [FEATURES], "layers": hidden + [{"dense": {"units": CLASSES}}]},
        "optimizer": {"adam": {}, "learningRate": 0.01},
        "data": {"datasetId": dataset_id, "validationFraction": 0.2},
        "epochs": epochs, "batchSize": 32, "seed": 1, "threads": 1,
        "reporting": {"stepEvery": 1, "gradientEvery": 5, "activationEvery": 5},
    }
    spec.update(extra)
    return spec


@pytest.fixture(scope="session")
def trained_job(client, dataset):
    job = client.submit(tiny_spec(dataset.id))
    final = client.wait(job.id)
    assert final.state == gradstream.JobState.Value("SUCCEEDED"), final.reason
    return final
