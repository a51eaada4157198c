"""A local S3-compatible server for the tests: moto's server, run as a subprocess on a free port.

One server per test run: the fixtures of several conftest files share it (a count of users), and the
last one to let go stops it.
"""

import importlib.util
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from typing import IO

START_TIMEOUT = 30.0
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through an HTTP proxy


class S3ServerUnavailable(Exception):
    """moto's server could not be started (not installed, or it never answered)."""


class S3Server:
    def __init__(self) -> None:
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            )
        except OSError as error:
            self.stop()
            raise S3ServerUnavailable(f"could not run moto's server: {error}") from error
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._process.poll() is not None:
                why = f"moto's server exited with status {self._process.returncode}: {self._output()}"
                self.stop()
                raise S3ServerUnavailable(why)
            if self._answers():
                return
            if time.monotonic() > deadline:
                why = f"moto's server did not answer within {START_TIMEOUT:.0f}s: {self._output()}"
                self.stop()
                raise S3ServerUnavailable(why)
            time.sleep(0.1)

    def _answers(self) -> bool:
        try:
            with _DIRECT.open(f"{self.endpoint}/moto-api/", timeout=1):
                return True
        except urllib.error.HTTPError:
            return True  # it answered, whatever it said
        except OSError:
            return False

    def _output(self) -> str:
        self._log.seek(0)
        text = self._log.read().decode(errors="replace").strip()
        return text[-2000:] or "(no output)"

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self._log.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_shared: S3Server | None = None
_users = 0
_failed: str | None = None  # why the server could not start: not tried again in this run


def acquire() -> str:
    """Starts the shared server if it is not running; returns its endpoint URL."""
    global _shared, _users, _failed
    if _failed is not None:
        raise S3ServerUnavailable(_failed)
    if _shared is None:
        server = S3Server()
        try:
            if importlib.util.find_spec("moto") is None:
                raise S3ServerUnavailable("moto[server] is not installed (pip install -e '.[dev]')")
            server.start()
        except S3ServerUnavailable as error:
            server.stop()
            _failed = str(error)
            raise
        _shared = server
    _users += 1
    return _shared.endpoint


def release() -> None:
    """Stops the shared server once its last user has let go."""
    global _shared, _users
    _users -= 1
    if _users <= 0 and _shared is not None:
        _shared.stop()
        _shared, _users = None, 0
