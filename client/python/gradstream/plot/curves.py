"""Loss and accuracy curves: every run on the same two panels, the legend naming each."""

import numpy as np
from matplotlib.ticker import MaxNLocator

from gradstream.plot._runs import column, histories, new_figure, save

# The splits a job may hold out, and their line styles (train is solid).
HELD_OUT_SPLITS = (("validation", "--"), ("test", ":"))


def training_curves(runs, path=None, *, client=None):
    """Left: training loss per step. Right: accuracy per epoch (train, validation, test)."""
    runs = histories(runs, client)
    figure = new_figure(columns=2, rows=1)
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    for run in runs:
        line, = loss_axes.plot(column(run.steps, "step"), column(run.steps, "loss"),
                               label=run.label)
        epochs = column(run.epochs, "epoch")
        accuracy_axes.plot(epochs, column(run.epochs, "train_accuracy"), marker="o",
                           color=line.get_color(), label=f"{run.label} train")
        for split, style in HELD_OUT_SPLITS:
            held_out = column(run.epochs, f"{split}_accuracy")
            if np.isfinite(held_out).any():
                accuracy_axes.plot(epochs, held_out, marker="s", linestyle=style,
                                   color=line.get_color(), label=f"{run.label} {split}")
    loss_axes.set(title="Training loss", xlabel="step", ylabel="loss")
    accuracy_axes.set(title="Accuracy", xlabel="epoch", ylabel="accuracy")
    accuracy_axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    for axes in (loss_axes, accuracy_axes):
        axes.grid(alpha=0.3)
        axes.legend(fontsize="small")
    return save(figure, path)
