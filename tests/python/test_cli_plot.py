"""`gradstream compare ... --plot out.png`: the C++ CLI draws its figure through the
Python package (python3 -m gradstream.plot), so its PNG is the very picture
gradstream.plot.compare draws of the same jobs; without the package the table is
still printed and the command says what is missing."""

import csv
import hashlib
import io
import json
import subprocess
import sys

import matplotlib.image
import numpy as np

import gradstream
import gradstream.plot
from conftest import tiny_spec
from server_process import environment_with

# A picture with lines, text and axes is far from uniform; a blank one has variance 0.
MIN_PIXEL_VARIANCE = 1e-3
# README: "69 when --plot cannot import the gradstream package" (sysexits EX_UNAVAILABLE).
EXIT_PLOT_UNAVAILABLE = 69
EXIT_USAGE = 64
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_compare(cli_bin, server, spec_path, activations, plot_path, python, cwd, flags=()):
    env = environment_with(server.target)
    env["GRADSTREAM_PYTHON"] = str(python)
    return subprocess.run(
        [cli_bin, *flags, "compare", str(spec_path), "--activations", activations, "--csv",
         "--plot", str(plot_path)],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=600)


def table_rows(stdout):
    return list(csv.DictReader(io.StringIO(stdout)))


def test_compare_plot_of_deep_sigmoid_is_the_python_figure(cli_bin, server, client, source_dir,
                                                            tmp_path):
    # examples/deep-sigmoid.json cut to one epoch: sigmoid's gradients vanish, relu's do not.
    spec = json.loads((source_dir / "examples" / "deep-sigmoid.json").read_text())
    spec["epochs"] = 1
    spec_path = tmp_path / "deep.json"
    spec_path.write_text(json.dumps(spec))
    plot_path = tmp_path / "cli.png"

    run = run_compare(cli_bin, server, spec_path, "sigmoid,relu", plot_path, sys.executable,
                      tmp_path)
    assert run.returncode == 0, run.stderr
    rows = table_rows(run.stdout)  # stdout is the table alone: the plotter writes to stderr
    assert [r["activation"] for r in rows] == ["sigmoid", "relu"]
    assert all(r["state"] == "SUCCEEDED" for r in rows)
    assert f"wrote {plot_path}" in run.stderr

    assert plot_path.read_bytes().startswith(PNG_SIGNATURE)
    cli_pixels = matplotlib.image.imread(plot_path)
    assert cli_pixels[..., :3].var() > MIN_PIXEL_VARIANCE
    # Python's own figure of the same jobs: its legend and titles name each
    # activation, and the CLI's PNG is that figure, pixel for pixel.
    python_path = tmp_path / "python.png"
    figure = gradstream.plot.compare([r["job_id"] for r in rows], python_path, client=client,
                                     labels=["sigmoid", "relu"])
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert legend == ["sigmoid", "relu"]
    titles = [axes.get_title() for axes in figure.axes]
    for activation in ("sigmoid", "relu"):
        assert any(t.startswith(f"{activation}: gradient norms") for t in titles)
        assert f"{activation}: dead / saturated units" in titles
    python_pixels = matplotlib.image.imread(python_path)
    assert cli_pixels.shape == python_pixels.shape
    assert cli_pixels.shape[1] > cli_pixels.shape[0] / 2  # two columns of three rows of panels
    assert np.array_equal(cli_pixels, python_pixels)


def test_compare_plot_without_the_package_prints_the_table_then_says_so(
        cli_bin, server, client, dataset, tmp_path):
    spec_path = tmp_path / "tiny.json"
    spec_path.write_text(json.dumps(tiny_spec(dataset.id, epochs=1)))
    # An interpreter of its own, without Debian's packages or this one.
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    plot_path = tmp_path / "out.png"

    run = run_compare(cli_bin, server, spec_path, "relu,tanh", plot_path, bare / "bin" / "python",
                      tmp_path)
    assert run.returncode == EXIT_PLOT_UNAVAILABLE, run.stderr
    rows = table_rows(run.stdout)
    assert [(r["activation"], r["state"]) for r in rows] == [("relu", "SUCCEEDED"),
                                                              ("tanh", "SUCCEEDED")]
    assert "--plot needs the gradstream Python package: pip install client/python" in run.stderr
    assert "No module named 'gradstream'" in run.stderr
    assert not plot_path.exists()

    missing = tmp_path / "no-such-python"
    run = run_compare(cli_bin, server, spec_path, "relu", plot_path, missing, tmp_path)
    assert run.returncode == EXIT_PLOT_UNAVAILABLE, run.stderr
    assert len(table_rows(run.stdout)) == 1
    assert f"{missing}: cannot run it: No such file or directory" in run.stderr


def test_compare_plot_into_a_missing_directory_fails_before_any_job(cli_bin, server, client,
                                                                    dataset, tmp_path):
    spec_path = tmp_path / "tiny.json"
    spec_path.write_text(json.dumps(tiny_spec(dataset.id, epochs=1, name="never-submitted")))
    before = len(client.list())
    run = run_compare(cli_bin, server, spec_path, "relu", tmp_path / "no" / "such" / "out.png",
                      sys.executable, tmp_path)
    assert run.returncode == EXIT_USAGE
    assert run.stdout == ""
    assert f"--plot {tmp_path}/no/such/out.png: directory {tmp_path}/no/such does not exist" \
        in run.stderr
    assert len(client.list()) == before


def test_compare_plot_connects_as_the_cli_did(cli_bin, server, start_server, blobs, tmp_path):
    # A server that needs a token, named by flags only: the environment points
    # at the other server and has no token, so the plot is drawn only if the
    # CLI passed its own settings on.
    token = "plot-secret"
    tokens = tmp_path / "tokens"
    tokens.write_text(f"sha256:{hashlib.sha256(token.encode()).hexdigest()} team-a user\n")
    guarded = start_server("--auth-tokens", str(tokens))
    with gradstream.Client(guarded.target, token=token) as owner:
        dataset = owner.upload(*blobs, name="blobs")
    spec_path = tmp_path / "tiny.json"
    spec_path.write_text(json.dumps(tiny_spec(dataset.id, epochs=1)))
    plot_path = tmp_path / "guarded.png"
    run = run_compare(cli_bin, server, spec_path, "relu,tanh", plot_path, sys.executable,
                      tmp_path, flags=("--server", guarded.target, "--token", token))
    assert run.returncode == 0, run.stderr
    assert [r["activation"] for r in table_rows(run.stdout)] == ["relu", "tanh"]
    assert matplotlib.image.imread(plot_path)[..., :3].var() > MIN_PIXEL_VARIANCE


def run_plot_module(server, *args, cwd):
    return subprocess.run([sys.executable, "-m", "gradstream.plot", "--server", server.target,
                           *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_plot_module_exits_as_the_cli_does(server, trained_job, tmp_path):
    # A failed call: its gRPC code (NOT_FOUND is 5), the server's words on stderr.
    run = run_plot_module(server, "compare", "job-nope", "-o", str(tmp_path / "a.png"),
                          cwd=tmp_path)
    assert run.returncode == 5, run.stderr
    assert "NOT_FOUND" in run.stderr and "job-nope" in run.stderr
    # A bad command line: 64, not argparse's 2.
    run = run_plot_module(server, "compare", trained_job.id, "--label", "a", "--label", "b",
                          "-o", str(tmp_path / "b.png"), cwd=tmp_path)
    assert run.returncode == EXIT_USAGE
    assert "--label: 2 given for 1 jobs" in run.stderr
    run = run_plot_module(server, "compare", trained_job.id, cwd=tmp_path)
    assert run.returncode == EXIT_USAGE
    # A PNG that cannot be written: 73 (EX_CANTCREAT), naming it.
    unwritable = tmp_path / "missing" / "c.png"
    run = run_plot_module(server, "compare", trained_job.id, "-o", str(unwritable), cwd=tmp_path)
    assert run.returncode == 73, run.stderr
    assert f"{unwritable}: cannot write the figure" in run.stderr
    # Drawn: nothing on stdout, the file named on stderr.
    drawn = tmp_path / "d.png"
    run = run_plot_module(server, "compare", trained_job.id, "--label", "tiny", "-o", str(drawn),
                          cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    assert drawn.read_bytes().startswith(PNG_SIGNATURE)
