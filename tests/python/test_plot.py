"""gradstream.plot: PNGs opened and checked (size, not blank) and figures whose legends
and titles name each run."""

import matplotlib.image
import pytest

import gradstream
import gradstream.plot
from gradstream.plot._runs import DPI, PANEL_HEIGHT, PANEL_WIDTH
from conftest import tiny_spec

ACTIVATIONS = ("relu", "sigmoid", "tanh")
# A picture with lines, text and axes is far from uniform; a blank one has variance 0.
MIN_PIXEL_VARIANCE = 1e-3


@pytest.fixture(scope="module")
def runs(client, dataset):
    """The same three-hidden-layer network with each activation, trained to the end."""
    jobs = [client.submit(tiny_spec(dataset.id, activation=a, layers=3)) for a in ACTIVATIONS]
    for job in jobs:
        assert client.wait(job.id).state == gradstream.JobState.Value("SUCCEEDED")
    return [client.history(job.id) for job in jobs]


def read_png(path, columns, rows):
    """The PNG's pixels, after checking it has the figure's size and is not blank."""
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[:2] == (round(PANEL_HEIGHT * rows * DPI), round(PANEL_WIDTH * columns * DPI))
    assert pixels[..., :3].var() > MIN_PIXEL_VARIANCE
    return pixels


def legend_texts(figure):
    return [[t.get_text() for t in axes.get_legend().get_texts()]
            for axes in figure.axes if axes.get_legend() is not None]


def test_training_curves_name_each_run(runs, tmp_path):
    path = tmp_path / "curves.png"
    figure = gradstream.plot.training_curves(runs, path)
    read_png(path, columns=2, rows=1)
    loss_legend, accuracy_legend = legend_texts(figure)
    assert loss_legend == [f"tiny-{a}" for a in ACTIVATIONS]
    assert accuracy_legend == [f"tiny-{a} {split}" for a in ACTIVATIONS
                               for split in ("train", "validation")]


def test_training_curves_take_job_ids_with_a_client(client, runs, tmp_path):
    path = tmp_path / "one.png"
    figure = gradstream.plot.training_curves(runs[0].job_id, path, client=client)
    read_png(path, columns=1 * 2, rows=1)
    assert legend_texts(figure)[0] == ["tiny-relu"]
    with pytest.raises(gradstream.GradstreamError):
        gradstream.plot.training_curves(runs[0].job_id, tmp_path / "no.png")


def test_gradient_norms_a_log_panel_per_run_a_line_per_layer(runs, tmp_path):
    path = tmp_path / "gradients.png"
    figure = gradstream.plot.gradient_norms(runs, path)
    read_png(path, columns=len(runs), rows=1)
    assert [axes.get_title() for axes in figure.axes] == [
        f"tiny-{a}: gradient norms" for a in ACTIVATIONS]
    for axes, legend in zip(figure.axes, legend_texts(figure)):
        assert axes.get_yscale() == "log"
        assert len(legend) == 4  # three hidden Dense layers and the output one
        assert len(set(legend)) == 4


def test_unit_health_dead_and_saturated_per_layer(runs, tmp_path):
    path = tmp_path / "health.png"
    figure = gradstream.plot.unit_health(runs, path)
    read_png(path, columns=len(runs), rows=1)
    legends = legend_texts(figure)
    assert len(legends) == len(runs)
    for legend, run in zip(legends, runs):
        # Each of the three activation layers once (its colour), then the two line styles.
        assert legend[:-2] == list(dict.fromkeys(run.activations["layer"]))
        assert len(legend) == 5
        assert legend[-2:] == ["dead", "saturated"]


def test_compare_puts_the_activations_side_by_side(runs, tmp_path):
    path = tmp_path / "compare.png"
    figure = gradstream.plot.compare(runs, path)
    read_png(path, columns=len(runs), rows=3)
    assert legend_texts(figure)[0] == list(ACTIVATIONS)
    titles = [axes.get_title() for axes in figure.axes]
    for activation in ACTIVATIONS:
        assert any(t.startswith(f"{activation}: gradient norms, validation accuracy") for t in titles)
        assert f"{activation}: dead / saturated units" in titles
    # One y range for every gradient panel, so the activations compare at a glance.
    gradient_panels = [a for a in figure.axes if "gradient norms" in a.get_title()]
    assert len({a.get_ylim() for a in gradient_panels}) == 1


def test_compare_with_labels_of_ones_own(runs, tmp_path):
    figure = gradstream.plot.compare(runs, None, labels=["a", "b", "c"])
    assert legend_texts(figure)[0] == ["a", "b", "c"]
    with pytest.raises(gradstream.GradstreamError):
        gradstream.plot.compare(runs, None, labels=["a"])
