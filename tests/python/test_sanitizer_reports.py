"""sanitizer_reports.py and conftest's use of it: the log_path a sanitizer runtime
really writes to, checked with a tiny AddressSanitizer program (a heap overflow)
built here; a test during which such a report appears fails; an environment
without sanitizer options is left as it was."""

import os
import pathlib
import subprocess
import sys

from sanitizer_reports import OPTION_VARIABLES, ReportTracker, describe, route_reports

HEAP_OVERFLOW_C = r"""
#include <stdlib.h>
int main(void) {
  volatile char *bytes = malloc(8);
  bytes[8] = 1; /* one past the end */
  free((void *)bytes);
  return 0;
}
"""
TESTS_DIR = pathlib.Path(__file__).resolve().parent


def without_sanitizer_options():
    return {k: v for k, v in os.environ.items() if k not in OPTION_VARIABLES}


def build_overflow(tmp_path):
    source = tmp_path / "overflow.c"
    source.write_text(HEAP_OVERFLOW_C)
    binary = tmp_path / "overflow"
    subprocess.run([os.environ.get("CC", "cc"), "-fsanitize=address", "-g", "-o", str(binary),
                    str(source)], check=True, capture_output=True)
    return binary


def test_an_environment_without_sanitizer_options_is_left_alone(tmp_path):
    env = without_sanitizer_options()
    before = dict(env)
    assert route_reports(env, tmp_path) == []
    assert env == before


def test_each_option_variable_set_gets_the_log_path_after_its_options(tmp_path):
    env = {"ASAN_OPTIONS": "halt_on_error=1:detect_leaks=1", "TSAN_OPTIONS": "", "PATH": "/bin"}
    assert route_reports(env, tmp_path) == ["ASAN_OPTIONS", "TSAN_OPTIONS"]
    assert env == {"ASAN_OPTIONS": f"halt_on_error=1:detect_leaks=1:log_path={tmp_path}/sanitizer",
                   "TSAN_OPTIONS": f"log_path={tmp_path}/sanitizer", "PATH": "/bin"}


def test_a_real_report_lands_in_the_directory_and_is_described_once(tmp_path):
    binary = build_overflow(tmp_path)
    reports_dir = tmp_path / "reports"
    reports_dir.mkdir()
    env = without_sanitizer_options()
    env["ASAN_OPTIONS"] = "halt_on_error=1"
    route_reports(env, reports_dir)
    tracker = ReportTracker(reports_dir)
    run = subprocess.run([str(binary)], env=env, capture_output=True, text=True)
    assert run.returncode != 0
    assert "heap-buffer-overflow" not in run.stderr  # in the file, not on stderr
    reports = tracker.new_reports()
    assert [p.name for p in reports] == [f"sanitizer.{_pid_of(reports[0])}"]
    text = describe(reports)
    assert text.startswith(f"sanitizer report {reports[0].name}:")
    assert "ERROR: AddressSanitizer: heap-buffer-overflow" in text
    assert tracker.new_reports() == []


def _pid_of(report):
    suffix = report.name.split(".", 1)[1]
    assert suffix.isdigit()
    return suffix


def test_conftest_fails_the_test_in_which_a_report_appears(tmp_path):
    # A pytest run of its own with conftest as a plugin and ASAN_OPTIONS set,
    # whose one test runs the overflowing program and itself passes.
    binary = build_overflow(tmp_path)
    (tmp_path / "test_fake.py").write_text(
        "import subprocess\n"
        "def test_runs_an_instrumented_program():\n"
        f"    assert subprocess.run([{str(binary)!r}]).returncode != 0\n"
        "def test_after_it():\n"
        "    pass\n")
    env = without_sanitizer_options()
    env["ASAN_OPTIONS"] = "halt_on_error=1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS_DIR), env.get("PYTHONPATH")]))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q",
         "--rootdir", str(tmp_path), str(tmp_path / "test_fake.py")],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "ERROR at teardown of test_runs_an_instrumented_program" in run.stdout, run.stdout
    assert "ERROR: AddressSanitizer: heap-buffer-overflow" in run.stdout
    assert "2 passed, 1 error" in run.stdout, run.stdout
