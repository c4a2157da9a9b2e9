"""Picks the OpenBLAS kernel set (OPENBLAS_CORETYPE) the PyTorch peer trains with:
choose() applies torch_mlp.py's --coretype, by default through calibrate().

OpenBLAS reads OPENBLAS_CORETYPE once, when it is loaded, so each candidate is timed
in a process of its own: a worker (torch_mlp.py --time-steps N) that builds the
spec's model (an MLP or a CNN alike), prints one JSON line {"core": ...} when ready,
then for each line it reads times up to N training steps (as many as take ~0.1 s,
at least one: a CNN step takes ~40 ms) and answers {"us_per_step": ...}. The workers
start together and are asked in turn, the order reversed on every other pass: this
VM's speed drifts from minute to minute, and this way every candidate's passes sit
within a second of the others'. A candidate's figure is its fastest pass, and the
lowest figure wins: other work on the machine only ever slows a pass down (a busy
core stalls libgomp's barriers, up to 30x), so the fastest pass is the least
disturbed one, where a median is lost once half the passes are disturbed.
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
PASSES = 10
READY_TIMEOUT_S = 300   # torch import, model and warm-up; minutes on a busy machine
ANSWER_TIMEOUT_S = 120  # one pass of one candidate

# winner: the fastest name, None if none could be timed; us_per_step: name -> fastest
# pass; passes: name -> every pass's figure; skipped: name -> why it was not timed.
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
    fastest = {name: min(f) for name, f in figures.items() if f}
    winner = min(fastest, key=fastest.get) if fastest else None
    return Calibration(winner, fastest, figures, skipped)


def describe(candidates, calibration):
    """Log lines: what was skipped and why, each candidate's figure, the winner."""
    lines = ["OpenBLAS kernel %s skipped: %s" % kv for kv in calibration.skipped.items()]
    if not calibration.us_per_step:
        return lines + ["no OpenBLAS kernel could be timed (candidates: %s); OpenBLAS detects"
                        % (", ".join(candidates) or "none for this CPU")]
    passes = len(next(iter(calibration.passes.values())))
    return lines + ["OpenBLAS kernels, us/step (fastest of %d passes; median): %s -> %s"
                    % (passes,
                       ", ".join("%s %.0f (%.0f)"
                                 % (name, us, statistics.median(calibration.passes[name]))
                                 for name, us in calibration.us_per_step.items()),
                       calibration.winner)]


def choose(mode, worker_cmd, log, flags=None):
    """Sets OPENBLAS_CORETYPE in this process's environment for `mode`: "calibrate"
    (the fastest candidate `flags`, by default this CPU's, allow; worker_cmd times
    one), "auto" (unset: OpenBLAS detects), "env" (as the environment has it) or a
    kernel set's name. Returns the value ("auto" when unset) and the Calibration."""
    calibration = NOT_CALIBRATED
    if mode == "env":
        name = os.environ.get("OPENBLAS_CORETYPE") or "auto"
    elif mode == "calibrate":
        candidates = runnable(cpu_flags() if flags is None else flags)
        if candidates:
            calibration = calibrate(worker_cmd, candidates)
        for line in describe(candidates, calibration):
            log(line)
        name = calibration.winner or "auto"
    else:
        name = mode
    if name.lower() == "auto":
        os.environ.pop("OPENBLAS_CORETYPE", None)
        return "auto", calibration
    os.environ["OPENBLAS_CORETYPE"] = name
    return name, calibration
