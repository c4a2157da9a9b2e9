"""Pictures of training runs, saved as PNG: matplotlib's Agg renderer, no display needed.

Every function takes `runs` (a History, a job id, or a list of them; job ids
need `client=`) and a `path`, saves the figure there when a path is given and
returns the matplotlib Figure, whose legends and titles name each run.

  training_curves  loss per step and accuracy per epoch, every run on the same axes
  gradient_norms   each layer's weight-gradient L2 norm over steps, log scale, a panel
                   per run: the vanishing-gradient picture
  unit_health      dead and saturated unit fractions per layer over steps
  compare          runs differing in activation side by side: their losses together,
                   then gradient norms and unit health per activation

From a shell (and from `gradstream compare ... --plot out.png`):
  python3 -m gradstream.plot [--server HOST:PORT] compare JOB_ID... -o out.png
"""

from gradstream.plot.compare import compare
from gradstream.plot.curves import training_curves
from gradstream.plot.layers import gradient_norms, unit_health

__all__ = ["training_curves", "gradient_norms", "unit_health", "compare"]
