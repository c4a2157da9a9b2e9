"""Picks the OpenBLAS kernel set (OPENBLAS_CORETYPE) the PyTorch peer trains with.

OpenBLAS reads OPENBLAS_CORETYPE once, when it is loaded, so each candidate is timed
in a process of its own: a worker (torch_mlp.py --time-steps N) that builds the model,
prints one JSON line {"core": ...} when ready, then for each line it reads times N
training steps and answers {"us_per_step": ...}. The workers start together and are
asked in turn, the order reversed on every other pass: this VM's speed drifts from
minute to minute, and this way every candidate's passes sit within a second of the
others'. A candidate's figure is the median of its passes; the lowest wins.
"""
import collections
import json
import os
import select
import signal
import statistics
import subprocess
import tempfile

# Kernel sets worth trying on an x86-64 server, each with the /proc/cpuinfo flags its
# kernels execute: a candidate the CPU lacks would die of SIGILL, so it is not tried.
_AVX2 = frozenset({"avx2", "fma"})
_AVX512 = _AVX2 | {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"}
CANDIDATES = {
    "Haswell": _AVX2,
    "SkylakeX": _AVX512,
    "Zen": _AVX2,
    "Cooperlake": _AVX512 | {"avx512_bf16"},
}
PASSES = 5
READY_TIMEOUT_S = 300   # torch import, model and warm-up; minutes on a busy machine
ANSWER_TIMEOUT_S = 120  # one pass of one candidate

# winner: the fastest name, None if none could be timed; us_per_step: name -> median;
# passes: name -> every pass's figure; skipped: name -> why it was not timed.
Calibration = collections.namedtuple("Calibration", "winner us_per_step passes skipped")
NOT_CALIBRATED = Calibration(None, {}, {}, {})


def cpu_flags(path="/proc/cpuinfo"):
    """The first CPU's flags as a set; empty when the file has no flags line."""
    with open(path) as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.partition(":")[2].split())
    return set()


def runnable(flags):
    """The candidates whose flags are all in `flags`, in CANDIDATES order."""
    return [name for name, needs in CANDIDATES.items() if needs <= set(flags)]


class _Worker:
    """One candidate's worker process; its stderr is kept to explain a failure."""

    def __init__(self, name, cmd, env):
        self.name = name
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, env=dict(env, OPENBLAS_CORETYPE=name),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, text=True)

    def answer(self, timeout):
        """The worker's next JSON line; RuntimeError says why there is none."""
        if not select.select([self.proc.stdout], [], [], timeout)[0]:
            raise RuntimeError("no answer within %d s" % timeout)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(self._exit_reason())
        try:
            return json.loads(line)
        except ValueError:
            raise RuntimeError("printed %r, not JSON" % line.strip()[:80])

    def ask(self, timeout):
        try:
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
        except OSError:
            raise RuntimeError(self._exit_reason())
        return self.answer(timeout)

    def _exit_reason(self):
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            return "closed its output but did not exit"
        self.stderr.seek(0)
        lines = [l.strip() for l in self.stderr.read().decode(errors="replace").splitlines()]
        tail = next((l for l in reversed(lines) if l), "")
        what = "killed by %s" % signal.Signals(-code).name if code < 0 else "exited %d" % code
        return what + (": " + tail[:200] if tail else "")

    def close(self):
        try:
            self.proc.stdin.close()  # end of input: the worker exits
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.stderr.close()


def calibrate(worker_cmd, candidates, passes=PASSES, env=None):
    """Times each candidate with its own worker (worker_cmd run with OPENBLAS_CORETYPE
    set to it) over `passes` alternating passes; returns a Calibration."""
    base_env = dict(os.environ if env is None else env)
    workers = [_Worker(name, worker_cmd, base_env) for name in candidates]
    figures, skipped = {}, {}
    try:
        live = []
        for w in workers:
            try:
                core = str(w.answer(READY_TIMEOUT_S).get("core", w.name))
                # OpenBLAS falls back to its own detection for a name it does not know.
                if core.lower() != w.name.lower():
                    raise RuntimeError("OpenBLAS ran %s instead" % core)
                live.append(w)
                figures[w.name] = []
            except RuntimeError as e:
                skipped[w.name] = str(e)
        for p in range(passes):
            for w in live if p % 2 == 0 else reversed(live):
                if w.name in skipped:
                    continue
                try:
                    figures[w.name].append(float(w.ask(ANSWER_TIMEOUT_S)["us_per_step"]))
                except (RuntimeError, KeyError, TypeError, ValueError) as e:
                    skipped[w.name] = str(e) or type(e).__name__
                    del figures[w.name]
    finally:
        for w in workers:
            w.close()
    medians = {name: round(statistics.median(f), 1) for name, f in figures.items() if f}
    winner = min(medians, key=medians.get) if medians else None
    return Calibration(winner, medians, figures, skipped)
