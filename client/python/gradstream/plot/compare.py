"""Runs that differ in their activation, side by side in one figure.

Top row, across the figure: every run's training loss, the legend naming each
by its activation. Below, a column per run titled by its activation: its
per-layer gradient norms (log scale, one y range for all, so a vanishing
gradient shows as a lower band) and its dead/saturated unit fractions.
"""

import numpy as np

from gradstream.errors import invalid_argument
from gradstream.plot._runs import column, histories, new_figure, save
from gradstream.plot.layers import draw_gradient_norms, draw_unit_health


def activation_label(run):
    """The run's activations ("sigmoid", "relu + softmax") or, without reports, its label."""
    used = run.activations_used
    return " + ".join(used) if used else run.label


def _final_accuracy(run):
    """", test accuracy 0.912" (or validation, when the job has no test set), or ""."""
    for split in ("test", "validation"):
        values = column(run.epochs, f"{split}_accuracy")
        values = values[np.isfinite(values)]
        if values.size:
            return f", {split} accuracy {values[-1]:.3f}"
    return ""


def compare(runs, path=None, *, client=None, labels=None):
    """One figure of `runs` side by side; labels (one per run) replace the activation names."""
    runs = histories(runs, client)
    names = list(labels) if labels is not None else [activation_label(r) for r in runs]
    if len(names) != len(runs):
        raise invalid_argument(f"labels: {len(names)} for {len(runs)} runs")
    figure = new_figure(columns=len(runs), rows=3)
    grid = figure.add_gridspec(3, len(runs))
    loss_axes = figure.add_subplot(grid[0, :])
    for run, name in zip(runs, names):
        loss_axes.plot(column(run.steps, "step"), column(run.steps, "loss"), label=name)
    loss_axes.set(title="Training loss by activation", xlabel="step", ylabel="loss")
    loss_axes.grid(alpha=0.3)
    loss_axes.legend(fontsize="small")
    gradient_axes, health_axes = [], []
    for i, (run, name) in enumerate(zip(runs, names)):
        share = {"sharey": gradient_axes[0]} if gradient_axes else {}
        axes = figure.add_subplot(grid[1, i], **share)
        draw_gradient_norms(axes, run)
        axes.set_title(f"{name}: gradient norms{_final_accuracy(run)}", fontsize="medium")
        gradient_axes.append(axes)
        axes = figure.add_subplot(grid[2, i])
        draw_unit_health(axes, run)
        axes.set_title(f"{name}: dead / saturated units", fontsize="medium")
        health_axes.append(axes)
    return save(figure, path)
