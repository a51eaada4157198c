"""A real `riskreg serve` process for tests that need one: its own SQLite file, storage folder and
TMPDIR, started, killed and restarted like an operator would, and raw-socket HTTP for requests no
well-behaved client would send.

Linux only (it reads /proc to see what files the server holds open); CI runs on Linux.
"""

import os
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
_SCRIPT = Path(sys.executable).with_name("riskreg")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "app.cli"]
HOST = "127.0.0.1"


def server_environment(base: Path, **settings: str) -> dict[str, str]:
    """The caller's environment minus riskreg's settings, plus a server confined to `base`:
    base/db.sqlite3, base/files (filesystem storage), base/tmp (TMPDIR, where Starlette spools uploads)."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("RISKREG_", "TEST_DATABASE")) and k not in ("DATABASE_URL", "PORT", "TMPDIR", "TEMP", "TMP")
    }
    (base / "files").mkdir(parents=True, exist_ok=True)
    (base / "tmp").mkdir(parents=True, exist_ok=True)
    env |= {
        "DATABASE_URL": f"sqlite:///{base / 'db.sqlite3'}",
        "RISKREG_DATA_DIR": str(base),
        "RISKREG_STORAGE_BACKEND": "filesystem",
        "RISKREG_STORAGE_DIR": str(base / "files"),
        "TMPDIR": str(base / "tmp"),
        "RISKREG_ENV": "development",
    }
    return env | settings


def riskreg(*args: str, env: dict[str, str]) -> str:
    """Runs `riskreg ARGS`; returns its stdout, failing the test with its stderr if it exits non-zero."""
    result = subprocess.run(
        [*COMMAND, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise AssertionError(f"riskreg {' '.join(args)} exited {result.returncode}:\n{result.stderr}{result.stdout}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class PortTaken(Exception):
    pass


class LiveServer:
    """`riskreg serve` on a free port in a subprocess (one worker, so its pid is the server's).

    Its output goes to base/server-<n>.log; `log_text()` reads every run's log, for assertions and
    for failure messages."""

    def __init__(self, base: Path, env: dict[str, str]) -> None:
        self.base = base
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.runs = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None, "the server is not running"
        return self.process.pid

    def start(self, *, timeout: float = 30.0, attempts: int = 3) -> None:
        """Starts the server on a free port and waits for /healthz; tries another port if another
        process took the one picked in the meantime."""
        for attempt in range(attempts):
            try:
                self._start(timeout)
                return
            except PortTaken:
                if attempt == attempts - 1:
                    raise

    def _start(self, timeout: float) -> None:
        assert self.process is None, "already running"
        self.runs += 1
        self.port = free_port()
        log_path = self.base / f"server-{self.runs}.log"
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [*COMMAND, "serve", "--host", HOST, "--port", str(self.port)],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                if "address already in use" in log_path.read_text(errors="replace").lower():
                    raise PortTaken(self.port)
                raise AssertionError(f"`riskreg serve` exited {code} before answering:\n{self.log_text()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0, trust_env=False).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"`riskreg serve` did not answer /healthz within {timeout}s:\n{self.log_text()}")
            time.sleep(0.05)

    def stop(self) -> None:
        """A graceful stop (SIGTERM, as Heroku sends), SIGKILL if it hangs."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the machine loses power or the OOM killer strikes."""
        if self.process is None:
            return
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def open_files_under(self, folder: Path) -> list[str]:
        """What the server holds open under `folder`, deleted and unnamed (O_TMPFILE) files included:
        the disk space an operator cannot see with `ls` but cannot get back either."""
        prefix = str(folder.resolve())
        held = []
        fd_dir = Path(f"/proc/{self.pid}/fd")
        for fd in fd_dir.iterdir():
            try:
                target = os.readlink(fd)
            except FileNotFoundError:  # closed while we looked
                continue
            if target.startswith(prefix + "/"):
                held.append(target)
        return held

    def log_text(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.base.glob("server-*.log"))
        )

    def client(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=30.0,
                            trust_env=False)


def files_under(folder: Path) -> list[Path]:
    """Every file (not directory) below `folder`, hidden ones included."""
    return sorted(p for p in folder.rglob("*") if not p.is_dir())


def count_rows(database: Path, table: str) -> int:
    """Rows in `table`, read straight from the SQLite file (the server may be dead)."""
    with sqlite3.connect(database) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


# --- raw HTTP ---------------------------------------------------------------------------------


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    sent: int = 0  # request body bytes the server accepted before it answered or hung up
    send_error: str | None = None  # how sending ended early (the server closed the connection), if it did
    raw: bytes = field(default=b"", repr=False)

    def json(self) -> object:
        import json

        return json.loads(self.body)


class IncompleteResponse(AssertionError):
    pass


def _parse(data: bytes) -> RawResponse | None:
    """The response in `data` once it is complete (by Content-Length), else None."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "-1"))
    if length < 0 or len(rest) < length:
        return None
    return RawResponse(status=status, headers=headers, body=rest[:length], raw=data)


class RawConnection:
    """One HTTP/1.1 connection driven by hand, for requests no well-behaved client sends: a body that
    never ends, a declared length that is never met, a process killed half way through.

    A server that refuses a body early answers before it has read it, and may close the connection at
    once; on Linux, closing with unread data sends a reset, which can lose the answer if the client is
    still busy sending. So `send` reads whatever has arrived before each write, and stops writing once
    the server has answered or hung up."""

    def __init__(self, port: int, *, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.timeout = timeout
        self.received = bytearray()
        self.sent = 0
        self.hung_up = False  # the server closed (or reset) the connection
        self.send_error: str | None = None

    def __enter__(self) -> "RawConnection":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.sock.close()

    def _read_available(self, wait: float) -> None:
        if self.hung_up:
            return
        readable, _, _ = select.select([self.sock], [], [], wait)
        if not readable:
            return
        try:
            chunk = self.sock.recv(1 << 16)
        except ConnectionResetError:
            self.hung_up = True
            return
        if not chunk:
            self.hung_up = True
        self.received.extend(chunk)

    def answer(self) -> RawResponse | None:
        """The response, if it has arrived in full (reads what is waiting, without blocking)."""
        self._read_available(0)
        return _parse(bytes(self.received))

    def send(self, data: bytes, *, counts_as_body: bool = True) -> bool:
        """Writes `data` unless the server has already answered or hung up; False when it did not write."""
        if self.answer() is not None or self.hung_up:
            return False
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError) as error:
            self.send_error = type(error).__name__
            self.hung_up = True
            return False
        if counts_as_body:
            self.sent += len(data)
        return True

    def send_all(self, chunks: Iterable[bytes], *, stop_when_answered: bool = True) -> None:
        deadline = time.monotonic() + self.timeout
        for chunk in chunks:
            if time.monotonic() > deadline:
                raise IncompleteResponse(f"sending took longer than {self.timeout}s ({self.sent} body bytes sent)")
            if stop_when_answered:
                if not self.send(chunk):
                    return
            else:
                try:
                    self.sock.sendall(chunk)
                    self.sent += len(chunk)
                except (BrokenPipeError, ConnectionResetError) as error:
                    self.send_error = type(error).__name__
                    self.hung_up = True
                    return

    def closed_by_server(self, *, timeout: float = 5.0) -> bool:
        """Whether the server closes the connection within `timeout` (reading what it sends meanwhile)."""
        deadline = time.monotonic() + timeout
        while not self.hung_up and time.monotonic() < deadline:
            self._read_available(0.05)
        return self.hung_up

    def response(self) -> RawResponse:
        """Waits for the complete response; fails the test if none comes."""
        deadline = time.monotonic() + self.timeout
        while (response := _parse(bytes(self.received))) is None and not self.hung_up:
            if time.monotonic() > deadline:
                break
            self._read_available(0.1)
        if response is None:
            raise IncompleteResponse(
                f"no complete response after {self.sent} body bytes (hung up: {self.hung_up}, send error: "
                f"{self.send_error}); got {bytes(self.received)[:500]!r}"
            )
        response.sent = self.sent
        response.send_error = self.send_error
        return response


def multipart(
    boundary: str, fields: Iterable[tuple[str, str]], files: Iterable[tuple[str, str, str, bytes]] = ()
) -> bytes:
    """A multipart/form-data body: `fields` as (name, value), `files` as (name, file name, type, bytes)."""
    out = bytearray()
    for name, value in fields:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    for name, file_name, media_type, content in files:
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{file_name}"\r\n'
            f"Content-Type: {media_type}\r\n\r\n"
        ).encode()
        out += content + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out)


def chunked(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """`pieces` framed for Transfer-Encoding: chunked, ending with the last-chunk marker."""
    for piece in pieces:
        if piece:
            yield b"%x\r\n" % len(piece) + piece + b"\r\n"
    yield b"0\r\n\r\n"


def request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
