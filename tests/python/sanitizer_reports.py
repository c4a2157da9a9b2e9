"""Sanitizer reports of the processes the tests start, kept as tests/e2e/lib.sh keeps them.

In a sanitized tree (scripts/test.sh --sanitize) the server and the CLI are
instrumented; a report on their stderr would go to a log file nobody reads, or
be lost with a CLI's captured output, and a test expecting a failure exit would
not notice it. So every ASAN_OPTIONS / UBSAN_OPTIONS / TSAN_OPTIONS the
environment has gets log_path=DIR/sanitizer: each process writes its reports to
DIR/sanitizer.PID, and conftest fails the test in which a new one appears.

Only variables already set are touched: a normal run has none, and nothing
changes. The Python interpreter is not instrumented and ignores them; it never
gets the sanitized tree's library path either (no LD_LIBRARY_PATH is set: the
sanitized binaries find their libraries through their rpath).
"""

OPTION_VARIABLES = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS")
REPORT_PREFIX = "sanitizer"
# A report can be long (every thread's stack); the failure shows each one's start.
MAX_REPORT_CHARS = 4000


def route_reports(environ, directory):
    """Adds log_path=directory/sanitizer to each option variable set in `environ`.

    Returns the names of the variables changed (empty: not a sanitized run).
    """
    changed = []
    for name in OPTION_VARIABLES:
        if name in environ:
            options = environ[name]
            log_path = f"log_path={directory}/{REPORT_PREFIX}"
            environ[name] = f"{options}:{log_path}" if options else log_path
            changed.append(name)
    return changed


def report_files(directory):
    """Every report written so far, oldest name first."""
    return sorted(directory.glob(f"{REPORT_PREFIX}.*"))


def describe(reports):
    """The failure message: each report's file name and the start of its text."""
    parts = []
    for path in reports:
        text = path.read_text(errors="replace")
        if len(text) > MAX_REPORT_CHARS:
            text = text[:MAX_REPORT_CHARS] + "\n..."
        parts.append(f"sanitizer report {path.name}:\n{text}")
    return "\n".join(parts)


class ReportTracker:
    """The reports in one directory that no earlier call returned."""

    def __init__(self, directory):
        self.directory = directory
        self._seen = set()

    def new_reports(self):
        fresh = [path for path in report_files(self.directory) if path not in self._seen]
        self._seen.update(fresh)
        return fresh
