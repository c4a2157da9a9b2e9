"""The README's Python quick start, run as written against the test server."""

import re
import shutil
import subprocess
import sys

import matplotlib.image
import numpy as np
import onnx

from server_process import environment_with

SECTION = "## Python client"


def block(readme, language):
    """The first ```LANGUAGE block of the README's Python client section."""
    section = readme.split(f"\n{SECTION}\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(rf"```{language}\n(.*?)```", section, re.S)
    assert match, f"README.md: no {language} block under {SECTION}"
    return match.group(1)


def test_the_readme_install_commands_install_the_package(source_dir, tmp_path):
    # A checkout of its own: client/python and proto/, as the commands expect them.
    shutil.copytree(source_dir / "client" / "python", tmp_path / "client" / "python",
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    shutil.copytree(source_dir / "proto", tmp_path / "proto")
    commands = block((source_dir / "README.md").read_text(), "sh")
    subprocess.run(["bash", "-euo", "pipefail", "-c", commands], cwd=tmp_path, check=True,
                   capture_output=True, timeout=300)
    probe = subprocess.run(
        [str(tmp_path / "venv" / "bin" / "python"), "-c",
         "import gradstream, gradstream.plot, gradstream.v1.trainer_pb2_grpc as g; "
         "print(gradstream.__file__, hasattr(g, 'TrainerStub'))"],
        cwd=tmp_path, check=True, capture_output=True, text=True)
    installed, has_stub = probe.stdout.split()
    assert installed.startswith(str(tmp_path / "venv"))
    assert has_stub == "True"


def test_the_readme_quick_start_runs_as_written(server, source_dir, tmp_path):
    code = block((source_dir / "README.md").read_text(), "python")
    script = tmp_path / "quick_start.py"
    script.write_text(code)
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                         text=True, env=environment_with(server.target), timeout=120)
    assert run.returncode == 0, run.stderr
    printed = run.stdout
    for epoch in (1, 2, 3):
        assert f"epoch {epoch}: validation accuracy" in printed
    accuracy = float(re.search(r"epoch 3: validation accuracy ([0-9.]+)", printed).group(1))
    assert accuracy > 0.9
    for picture in ("curves.png", "gradients.png", "compare.png"):
        pixels = matplotlib.image.imread(tmp_path / picture)
        assert pixels[..., :3].var() > 1e-3
    assert (tmp_path / "model.pb").stat().st_size > 100
    onnx.checker.check_model(str(tmp_path / "model.onnx"), full_check=True)
    # The probabilities printed last: NumPy's [[...] [...]], two rows of three that sum to 1.
    printed_array = printed[printed.rindex("[["):printed.rindex("]]")]
    probabilities = np.array(printed_array.replace("[", " ").replace("]", " ").split(),
                             dtype=float)
    assert probabilities.shape == (6,)
    np.testing.assert_allclose(probabilities.reshape(2, 3).sum(axis=1), 1.0, atol=1e-3)
