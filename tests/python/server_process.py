"""A real gradstream-server for the tests: a free loopback port, its own data dir,
killed or restarted on the same port and data dir when a test asks."""

import os
import re
import signal
import subprocess
import time

# How long a server may take to report its port.
START_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = 20.0
_PORT = re.compile(rb'"port":(\d+)')


class ServerProcess:
    def __init__(self, binary, data_dir, log_path, extra_flags=()):
        self.binary = binary
        self.data_dir = data_dir
        self.log_path = log_path
        self.extra_flags = list(extra_flags)
        self.port = 0  # 0 until the first start: any free port
        self.process = None

    @property
    def target(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        """Starts the server (on the port it had, after a restart); returns once it listens."""
        log = open(self.log_path, "ab")
        offset = log.tell()
        self.process = subprocess.Popen(
            [self.binary, "--listen", f"127.0.0.1:{self.port}", "--metrics-address", "",
             "--data-dir", str(self.data_dir), "--threads-per-job", "1", *self.extra_flags],
            stdout=subprocess.DEVNULL, stderr=log)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                match = _PORT.search(f.read())
            if match:
                self.port = int(match.group(1))
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"server did not report its port: {self.log_tail()}")

    def kill(self):
        """SIGKILL: no shutdown, connections dropped, as a crash or an evicted pod."""
        self.process.kill()
        self.process.wait(STOP_TIMEOUT_SECONDS)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines=20):
        with open(self.log_path, "rb") as f:
            return b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace")


def environment_with(target):
    env = dict(os.environ)
    env["GRADSTREAM_SERVER"] = target
    return env
