"""Per-layer pictures: gradient norms over steps (log scale) and dead/saturated units."""

import numpy as np
from matplotlib.lines import Line2D

from gradstream.plot._runs import histories, new_figure, per_layer, save, weight_rows


def draw_gradient_norms(axes, run):
    """One line per layer: its weights' gradient L2 norm at each gradient report."""
    for layer, (steps, norms) in per_layer(run.gradients, "gradient_norm", weight_rows).items():
        # A zero norm has no place on a log axis; NaN leaves a gap instead.
        axes.plot(steps, np.where(norms > 0, norms, np.nan), marker=".", label=layer)
    axes.set_yscale("log")
    axes.set(xlabel="step", ylabel="gradient L2 norm (weights)")
    axes.grid(alpha=0.3, which="both")
    if axes.lines:
        axes.legend(fontsize="x-small", title="layer", title_fontsize="x-small")


def draw_unit_health(axes, run):
    """Per activation layer, one colour: dead units (solid) and saturated outputs (dashed).

    The legend names each layer once, then says which line style is which.
    """
    dead = per_layer(run.activations, "dead_fraction")
    saturated = per_layer(run.activations, "saturated_fraction")
    for layer, (steps, values) in dead.items():
        line, = axes.plot(steps, values, label=layer)
        axes.plot(*saturated[layer], linestyle="--", color=line.get_color())
    axes.set(xlabel="step", ylabel="fraction of units", ylim=(-0.02, 1.02))
    axes.grid(alpha=0.3)
    if dead:
        handles, labels = axes.get_legend_handles_labels()
        for style, meaning in (("-", "dead"), ("--", "saturated")):
            handles.append(Line2D([], [], color="black", linestyle=style))
            labels.append(meaning)
        axes.legend(handles, labels, fontsize="x-small", ncol=2)


def _panels(runs, path, client, draw, what):
    runs = histories(runs, client)
    figure = new_figure(columns=len(runs), rows=1)
    panels = np.atleast_1d(figure.subplots(1, len(runs), sharey=True, squeeze=False)[0])
    for axes, run in zip(panels, runs):
        draw(axes, run)
        axes.set_title(f"{run.label}: {what}")
    return save(figure, path)


def gradient_norms(runs, path=None, *, client=None):
    """A panel per run, a line per layer, log scale: where gradients vanish or explode."""
    return _panels(runs, path, client, draw_gradient_norms, "gradient norms")


def unit_health(runs, path=None, *, client=None):
    """A panel per run: each activation layer's dead and saturated fractions over steps."""
    return _panels(runs, path, client, draw_unit_health, "dead / saturated units")
