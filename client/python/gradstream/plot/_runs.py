"""What the plots share: runs as Histories, columns as arrays, figures saved as PNG."""

import numpy as np
from matplotlib.figure import Figure

from gradstream.errors import invalid_argument
from gradstream.history import History

# Inches per panel, and the resolution of the saved PNG.
PANEL_WIDTH = 5.0
PANEL_HEIGHT = 3.6
DPI = 100
# The parameter whose gradient stands for a layer (biases would double the lines).
LAYER_PARAMETER = "weights"


def histories(runs, client):
    """`runs` (a History, a job id or a list of them) as a list of Histories."""
    if isinstance(runs, (History, str)):
        runs = [runs]
    result = []
    for run in runs:
        if isinstance(run, History):
            result.append(run)
        elif isinstance(run, str):
            if client is None:
                raise invalid_argument(f"runs: job id {run} needs client=")
            result.append(client.history(run, as_frame=False))
        else:
            raise invalid_argument(f"runs: a History or a job id, not {type(run).__name__}")
    if not result:
        raise invalid_argument("runs: no run to plot")
    return result


def column(table, name):
    return np.asarray(table[name])


def per_layer(table, value, keep=None):
    """{layer: (steps, values)} of column `value`, rows where keep(table) holds, in layer order."""
    layers = column(table, "layer")
    mask = np.ones(len(layers), dtype=bool) if keep is None else np.asarray(keep(table))
    steps, values = column(table, "step"), column(table, value)
    result = {}
    for layer in dict.fromkeys(layers[mask]):
        rows = mask & (layers == layer)
        result[layer] = (steps[rows], values[rows])
    return result


def weight_rows(table):
    return column(table, "parameter") == LAYER_PARAMETER


def new_figure(columns, rows):
    return Figure(figsize=(PANEL_WIDTH * columns, PANEL_HEIGHT * rows), dpi=DPI,
                  layout="constrained")


def save(figure, path):
    if path is not None:
        figure.savefig(path, format="png", dpi=DPI)
    return figure
