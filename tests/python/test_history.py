"""history: a job's figures as NumPy tables, or pandas DataFrames with the same values."""

import time

import numpy as np
import pandas

import gradstream
from conftest import tiny_spec

RUNNING = gradstream.JobState.Value("RUNNING")


def test_history_as_numpy_tables(client, trained_job):
    history = client.history(trained_job.id, as_frame=False)
    assert isinstance(history.steps, gradstream.Table)
    steps = history.steps
    assert len(steps) == trained_job.steps
    np.testing.assert_array_equal(steps["step"], np.arange(1, trained_job.steps + 1))
    assert np.all(np.isfinite(steps["loss"]))
    # Three epochs on well-separated blobs: the loss falls and validation is near perfect.
    assert steps["loss"][-10:].mean() < steps["loss"][:10].mean() / 2
    epochs = history.epochs
    np.testing.assert_array_equal(epochs["epoch"], [1, 2, 3])
    assert epochs["validation_accuracy"][-1] > 0.9
    assert np.all(np.isnan(epochs["test_accuracy"]))  # an uploaded dataset has no test set
    layers = set(history.gradients["layer"])
    assert len(layers) == 2  # the hidden and the output Dense layer
    assert set(history.gradients["parameter"]) >= {"weights", "bias"}
    assert np.all(history.gradients["gradient_norm"] >= 0)
    assert set(history.activations["activation"]) == {"relu"}
    for share in ("dead_fraction", "saturated_fraction", "zero_fraction"):
        values = history.activations[share]
        assert np.all((values >= 0) & (values <= 1))
    assert history.activations_used == ["relu"]
    assert history.label == "tiny-relu"


def test_history_as_dataframes_holds_the_same_values(client, trained_job):
    tables = client.history(trained_job.id, as_frame=False)
    frames = client.history(trained_job.id)  # pandas is importable here: DataFrames
    for name in ("steps", "epochs", "gradients", "activations", "warnings"):
        frame, table = getattr(frames, name), getattr(tables, name)
        assert isinstance(frame, pandas.DataFrame)
        assert list(frame.columns) == table.columns
        assert len(frame) == len(table)
    np.testing.assert_array_equal(frames.steps["loss"].to_numpy(), tables.steps["loss"])
    np.testing.assert_array_equal(frames.gradients["gradient_norm"].to_numpy(),
                                  tables.gradients["gradient_norm"])


def test_history_of_a_running_job_stops_at_its_newest_event(client, dataset):
    # The most epochs a spec may ask for: the job must still run when history returns.
    job = client.submit(tiny_spec(dataset.id, epochs=10000, name="running"))
    try:
        while client.get(job.id).last_sequence < 20:
            time.sleep(0.05)
        history = client.history(job.id, as_frame=False)
        assert history.job.state == RUNNING
        assert len(history.steps) >= 1
        assert history.job.last_sequence >= 20
    finally:
        if client.get(job.id).state == RUNNING:
            client.cancel(job.id)
