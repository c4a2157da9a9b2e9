#!/usr/bin/python3
"""Tests bench/peers/openblas_coretype.py: which kernel sets a CPU's flags allow, the
calibration over stand-in workers (no torch needed) that answer fixed timings, report
another core, or die, and how --coretype's modes set OPENBLAS_CORETYPE."""
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
# timing it gives to ORDER_LOG, if set, so a test sees the order candidates were asked in.
WORKER = r"""
import json, os, signal, sys
name = os.environ["OPENBLAS_CORETYPE"]
if name == "Dies":
    os.kill(os.getpid(), signal.SIGILL)
print(json.dumps({"core": "Haswell" if name == "Unknown" else name}), flush=True)
times = {"Steady": [100, 100, 100], "Slow": [200] * 3,
         "Disturbed": [5000, 80, 5000], "Crashes": [100],
         "Haswell": [300] * 10, "Zen": [250] * 10}[name]
for i, _ in enumerate(sys.stdin):
    if i == len(times):
        sys.exit("gave up")
    if "ORDER_LOG" in os.environ:
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
    def test_fastest_pass_wins_alternating_order_and_skips(self):
        with tempfile.NamedTemporaryFile("r", suffix=".order") as order:
            env = dict(os.environ, ORDER_LOG=order.name)
            result = openblas_coretype.calibrate(
                [sys.executable, "-c", WORKER],
                ["Steady", "Dies", "Slow", "Unknown", "Disturbed", "Crashes"], passes=3, env=env)
            asked = order.read().split()
        # Disturbed's median (5000) is the worst, but its undisturbed pass is the fastest.
        self.assertEqual(result.winner, "Disturbed")
        self.assertEqual(result.us_per_step, {"Steady": 100.0, "Slow": 200.0, "Disturbed": 80.0})
        self.assertEqual(result.passes["Disturbed"], [5000.0, 80.0, 5000.0])
        self.assertEqual(sorted(result.skipped), ["Crashes", "Dies", "Unknown"])
        self.assertTrue(result.skipped["Dies"].startswith("killed by SIGILL"))
        self.assertEqual(result.skipped["Unknown"], "OpenBLAS ran Haswell instead")
        self.assertEqual(result.skipped["Crashes"], "exited 1: gave up")
        self.assertEqual(asked, ["Steady", "Slow", "Disturbed", "Crashes",
                                 "Disturbed", "Slow", "Steady",
                                 "Steady", "Slow", "Disturbed"])

    def test_nothing_timed_has_no_winner(self):
        result = openblas_coretype.calibrate([sys.executable, "-c", WORKER], ["Dies"], passes=2)
        self.assertIsNone(result.winner)
        self.assertEqual(result.us_per_step, {})


class ChooseTest(unittest.TestCase):
    """choose() sets OPENBLAS_CORETYPE in this process: each test restores it."""

    def setUp(self):
        self.saved = os.environ.get("OPENBLAS_CORETYPE")
        os.environ["OPENBLAS_CORETYPE"] = "Prescott"  # what a machine may happen to set
        self.logged = []

    def tearDown(self):
        os.environ.pop("OPENBLAS_CORETYPE", None)
        if self.saved is not None:
            os.environ["OPENBLAS_CORETYPE"] = self.saved

    def choose(self, mode, flags=None):
        return openblas_coretype.choose(mode, [sys.executable, "-c", WORKER],
                                        self.logged.append, flags)

    def test_calibrate_ignores_the_environment_and_sets_the_winner(self):
        name, calibration = self.choose("calibrate", AVX2)
        self.assertEqual((name, os.environ["OPENBLAS_CORETYPE"]), ("Zen", "Zen"))
        self.assertEqual(calibration.us_per_step, {"Haswell": 300.0, "Zen": 250.0})
        self.assertTrue(self.logged[-1].endswith("Haswell 300 (300), Zen 250 (250) -> Zen"),
                        self.logged)

    def test_calibrate_without_candidates_leaves_it_to_openblas(self):
        name, calibration = self.choose("calibrate", {"sse2"})
        self.assertEqual(name, "auto")
        self.assertNotIn("OPENBLAS_CORETYPE", os.environ)
        self.assertIsNone(calibration.winner)
        self.assertIn("none for this CPU", self.logged[-1])

    def test_a_name_is_set_as_given(self):
        self.assertEqual(self.choose("SkylakeX")[0], "SkylakeX")
        self.assertEqual(os.environ["OPENBLAS_CORETYPE"], "SkylakeX")
        self.assertEqual(self.logged, [])

    def test_auto_unsets(self):
        self.assertEqual(self.choose("auto")[0], "auto")
        self.assertNotIn("OPENBLAS_CORETYPE", os.environ)

    def test_env_keeps_the_environment(self):
        self.assertEqual(self.choose("env")[0], "Prescott")
        self.assertEqual(os.environ["OPENBLAS_CORETYPE"], "Prescott")
        del os.environ["OPENBLAS_CORETYPE"]
        self.assertEqual(self.choose("env")[0], "auto")


if __name__ == "__main__":
    unittest.main()
