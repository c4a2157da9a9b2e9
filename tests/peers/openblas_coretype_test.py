#!/usr/bin/python3
"""Tests bench/peers/openblas_coretype.py: which kernel sets a CPU's flags allow, and
the calibration over stand-in workers (no torch needed) that answer fixed timings,
report another core, or die."""
import os
import signal
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "bench", "peers"))
import openblas_coretype  # noqa: E402

AVX2 = {"sse4_2", "avx", "avx2", "fma"}
AVX512 = AVX2 | {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"}

# A stand-in worker: its behaviour is picked by OPENBLAS_CORETYPE; it logs each
# timing it gives to ORDER_LOG, so the test sees the order the candidates were asked in.
WORKER = r"""
import json, os, signal, sys
name = os.environ["OPENBLAS_CORETYPE"]
if name == "Dies":
    os.kill(os.getpid(), signal.SIGILL)
print(json.dumps({"core": "Haswell" if name == "Unknown" else name}), flush=True)
times = {"Fast": [100, 110, 90, 100, 100], "Slow": [200] * 5,
         "Drifting": [50, 500, 500, 500, 50], "Crashes": [100]}[name]
for i, _ in enumerate(sys.stdin):
    if i == len(times):
        sys.exit("gave up")
    open(os.environ["ORDER_LOG"], "a").write(name + "\n")
    print(json.dumps({"us_per_step": times[i]}), flush=True)
"""


class RunnableTest(unittest.TestCase):
    def test_avx2_only_allows_haswell_and_zen(self):
        self.assertEqual(openblas_coretype.runnable(AVX2), ["Haswell", "Zen"])

    def test_avx512_adds_skylakex(self):
        self.assertEqual(openblas_coretype.runnable(AVX512), ["Haswell", "SkylakeX", "Zen"])

    def test_bf16_adds_cooperlake(self):
        self.assertEqual(openblas_coretype.runnable(AVX512 | {"avx512_bf16"}),
                         ["Haswell", "SkylakeX", "Zen", "Cooperlake"])

    def test_partial_avx512_is_not_enough(self):
        self.assertEqual(openblas_coretype.runnable(AVX2 | {"avx512f", "avx512_bf16"}),
                         ["Haswell", "Zen"])

    def test_no_fma_allows_nothing(self):
        self.assertEqual(openblas_coretype.runnable({"avx", "avx2"}), [])


class CpuFlagsTest(unittest.TestCase):
    def parse(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".cpuinfo") as f:
            f.write(text)
            f.flush()
            return openblas_coretype.cpu_flags(f.name)

    def test_first_flags_line(self):
        text = "processor\t: 0\nflags\t\t: fpu avx2 fma\n\nprocessor\t: 1\nflags\t\t: fpu\n"
        self.assertEqual(self.parse(text), {"fpu", "avx2", "fma"})

    def test_no_flags_line(self):
        self.assertEqual(self.parse("processor\t: 0\nFeatures\t: neon\n"), set())


class CalibrateTest(unittest.TestCase):
    def test_median_winner_alternating_order_and_skips(self):
        with tempfile.NamedTemporaryFile("r", suffix=".order") as order:
            env = dict(os.environ, ORDER_LOG=order.name)
            result = openblas_coretype.calibrate(
                [sys.executable, "-c", WORKER],
                ["Fast", "Dies", "Slow", "Unknown", "Drifting", "Crashes"], passes=3, env=env)
            asked = order.read().split()
        self.assertEqual(result.winner, "Fast")
        self.assertEqual(result.us_per_step, {"Fast": 100.0, "Slow": 200.0, "Drifting": 500.0})
        self.assertEqual(result.passes["Drifting"], [50.0, 500.0, 500.0])
        self.assertEqual(sorted(result.skipped), ["Crashes", "Dies", "Unknown"])
        self.assertTrue(result.skipped["Dies"].startswith("killed by SIGILL"))
        self.assertEqual(result.skipped["Unknown"], "OpenBLAS ran Haswell instead")
        self.assertEqual(result.skipped["Crashes"], "exited 1: gave up")
        self.assertEqual(asked, ["Fast", "Slow", "Drifting", "Crashes",
                                 "Drifting", "Slow", "Fast",
                                 "Fast", "Slow", "Drifting"])

    def test_nothing_timed_has_no_winner(self):
        result = openblas_coretype.calibrate([sys.executable, "-c", WORKER], ["Dies"], passes=2)
        self.assertIsNone(result.winner)
        self.assertEqual(result.us_per_step, {})


if __name__ == "__main__":
    unittest.main()
