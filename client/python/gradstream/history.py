"""A job's figures over time, collected from its events, as tables of columns.

Each table is a pandas DataFrame when pandas is importable (and wanted), else
a Table: a dict of equal-length NumPy arrays. Both answer table["loss"], so
code that reads them with np.asarray(table[column]) works with either.

  steps        step, epoch, loss, learning_rate, samples_per_second
  epochs       epoch, train_loss, train_accuracy, validation_loss,
               validation_accuracy, test_loss, test_accuracy, seconds,
               samples_per_second (NaN where the job has no such split)
  gradients    step, epoch, layer, parameter, gradient_norm, weight_norm, update_ratio
  activations  step, epoch, layer, activation, mean, std, zero_fraction,
               dead_fraction, saturated_fraction
  warnings     step, layer, kind, value, message
"""

import importlib.util
import math

import numpy as np

_COLUMNS = {
    "steps": ("step", "epoch", "loss", "learning_rate", "samples_per_second"),
    "epochs": ("epoch", "train_loss", "train_accuracy", "validation_loss", "validation_accuracy",
               "test_loss", "test_accuracy", "seconds", "samples_per_second"),
    "gradients": ("step", "epoch", "layer", "parameter", "gradient_norm", "weight_norm",
                  "update_ratio"),
    "activations": ("step", "epoch", "layer", "activation", "mean", "std", "zero_fraction",
                    "dead_fraction", "saturated_fraction"),
    "warnings": ("step", "layer", "kind", "value", "message"),
}
_TEXT_COLUMNS = {"layer", "parameter", "activation", "kind", "message"}
_INTEGER_COLUMNS = {"step", "epoch"}


class Table(dict):
    """Columns by name, each a NumPy array of the same length."""

    def __len__(self):
        return len(next(iter(self.values()))) if dict.__len__(self) else 0

    @property
    def columns(self):
        return list(self.keys())


def _step_row(r):
    return (r.step, r.epoch, r.loss, r.learning_rate, r.samples_per_second)


def _epoch_row(r):
    return (r.epoch, r.train_loss, r.train_accuracy,
            r.validation_loss if r.has_validation else math.nan,
            r.validation_accuracy if r.has_validation else math.nan,
            r.test_loss if r.has_test else math.nan,
            r.test_accuracy if r.has_test else math.nan,
            r.seconds, r.samples_per_second)


def _rows(events):
    rows = {name: [] for name in _COLUMNS}
    for event in events:
        kind = event.WhichOneof("event")
        if kind == "step":
            rows["steps"].append(_step_row(event.step))
        elif kind == "epoch":
            rows["epochs"].append(_epoch_row(event.epoch))
        elif kind == "gradients":
            g = event.gradients
            rows["gradients"].extend(
                (g.step, g.epoch, p.layer, p.parameter, p.gradient_norm, p.weight_norm,
                 p.update_ratio) for p in g.parameters)
        elif kind == "activations":
            a = event.activations
            rows["activations"].extend(
                (a.step, a.epoch, layer.layer, layer.activation, layer.mean, layer.std,
                 layer.zero_fraction, layer.dead_fraction, layer.saturated_fraction)
                for layer in a.layers)
        elif kind == "warning":
            w = event.warning
            rows["warnings"].append((w.step, w.layer, w.kind, w.value, w.message))
    return rows


def _column(name, values):
    if name in _TEXT_COLUMNS:
        return np.array(values, dtype=object)
    return np.array(values, dtype=np.int64 if name in _INTEGER_COLUMNS else np.float64)


def _table(columns, rows, as_frame):
    table = Table((name, _column(name, [row[i] for row in rows]))
                  for i, name in enumerate(columns))
    if as_frame:
        import pandas
        return pandas.DataFrame(table)
    return table


def pandas_available():
    return importlib.util.find_spec("pandas") is not None


class History:
    """What a job reported, table by table; `job` is its Job record (for names and spec)."""

    def __init__(self, job, events, as_frame=None):
        if as_frame is None:
            as_frame = pandas_available()
        self.job = job
        self.job_id = job.id
        rows = _rows(events)
        for name, columns in _COLUMNS.items():
            setattr(self, name, _table(columns, rows[name], as_frame))

    @property
    def label(self):
        """How plots name the run: the spec's name, or the job id."""
        return self.job.spec.name or self.job_id

    @property
    def activations_used(self):
        """The activations of its layers, in order of first report ("relu", "sigmoid", ...)."""
        seen = []
        for name in np.asarray(self.activations["activation"]):
            if name and name not in seen:
                seen.append(name)
        return seen
