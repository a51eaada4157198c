"""Requests per second over real HTTP: riskreg under uvicorn against a bare FastAPI app serving the same body.

Both servers are uvicorn subprocesses bound to 127.0.0.1 on free ports, one worker each, driven in
turn by the same bounded load: a fixed number of keep-alive GETs spread over a few client threads.
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

HOST = "127.0.0.1"
TARGET_RATIO = 0.5
START_TIMEOUT_S = 30.0
ROUND_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Server:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]


@dataclass(frozen=True)
class Round:
    requests: int
    seconds: float
    errors: int
    timed_out: bool
    server_cpu_s: float | None  # user+system CPU the server process used during the round (Linux)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_request(self) -> float | None:
        if self.server_cpu_s is None or not self.requests:
            return None
        return self.server_cpu_s * 1000 / self.requests


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process, from /proc; None where there is no /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def uvicorn_server(name: str, factory: str, env: dict[str, str], log_dir: Path, ready_path: str) -> Iterator[Server]:
    """A uvicorn subprocess on a free loopback port; terminated (then killed) on exit, error or not."""
    port = free_port()
    log = (log_dir / f"uvicorn-{name}.log").open("wb")
    cmd = [sys.executable, "-m", "uvicorn", factory, "--factory", "--host", HOST, "--port", str(port),
           "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base_url = f"http://{HOST}:{port}"
    try:
        _wait_ready(process, base_url + ready_path, log_dir / f"uvicorn-{name}.log")
        yield Server(name, base_url, process)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log.close()


def _wait_ready(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}: {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"uvicorn did not answer {url} within {START_TIMEOUT_S:g} s")


def drive(
    server: Server, path: str, *, requests: int, threads: int, warmup: int, headers: dict[str, str] | None = None
) -> Round:
    """`requests` GETs of `path` split over `threads` keep-alive clients, after `warmup` untimed ones."""
    per_thread = [requests // threads + (i < requests % threads) for i in range(threads)]
    done = [0] * threads
    errors = [0] * threads
    ends = [0.0] * threads
    barrier = threading.Barrier(threads + 1)

    def worker(i: int) -> None:
        with httpx.Client(base_url=server.base_url, timeout=10.0, headers=headers) as client:
            try:
                for _ in range(max(1, warmup // threads)):
                    client.get(path)
            except httpx.HTTPError:
                barrier.abort()  # the main thread then fails at once instead of waiting out its timeout
                raise
            barrier.wait()
            deadline = time.perf_counter() + ROUND_TIMEOUT_S
            for _ in range(per_thread[i]):
                if time.perf_counter() > deadline:
                    break
                try:
                    response = client.get(path)
                    errors[i] += response.status_code != 200
                except httpx.HTTPError:
                    errors[i] += 1
                done[i] += 1
            ends[i] = time.perf_counter()

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    barrier.wait(timeout=ROUND_TIMEOUT_S)
    started = time.perf_counter()
    cpu_before = process_cpu_seconds(server.process.pid)
    for w in workers:
        w.join(timeout=ROUND_TIMEOUT_S + 15)
    cpu_after = process_cpu_seconds(server.process.pid)
    cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    total = sum(done)
    return Round(total, max(ends) - started, sum(errors), total < requests, cpu)


@dataclass(frozen=True)
class Comparison:
    path: str
    body_bytes: int
    riskreg: list[Round]
    bare: list[Round]

    @staticmethod
    def median_rps(rounds: Sequence[Round]) -> float:
        return statistics.median(r.rps for r in rounds)

    @staticmethod
    def median_cpu_ms(rounds: Sequence[Round]) -> float | None:
        values = [r.cpu_ms_per_request for r in rounds]
        return statistics.median(v for v in values if v is not None) if all(v is not None for v in values) else None

    @property
    def ratio(self) -> float:
        return self.median_rps(self.riskreg) / self.median_rps(self.bare)

    @property
    def cpu_ratio(self) -> float | None:
        """Bare server CPU per request over riskreg's: the throughput ratio a CPU-bound server would reach."""
        real, bare = self.median_cpu_ms(self.riskreg), self.median_cpu_ms(self.bare)
        return bare / real if real and bare else None


def compare(
    env: dict[str, str],
    work_dir: Path,
    paths: Sequence[str],
    *,
    requests: int,
    threads: int,
    warmup: int,
    rounds: int,
    headers: dict[str, str] | None = None,
) -> list[Comparison]:
    """Start both servers, capture each body from riskreg once, then alternate rounds riskreg/bare."""
    with ExitStack() as stack:
        real = stack.enter_context(uvicorn_server("riskreg", "app.main:create_app", env, work_dir, "/healthz"))
        bodies = {}
        for path in paths:
            response = httpx.get(real.base_url + path, timeout=10.0, headers=headers)
            response.raise_for_status()
            bodies[path] = response.json()
        bodies_file = work_dir / "bare-bodies.json"
        bodies_file.write_text(json.dumps(bodies))
        bare_env = {**env, "RISKREG_BENCH_BODIES": str(bodies_file)}
        bare = stack.enter_context(uvicorn_server("bare", "benchmarks.bare_app:create_app", bare_env, work_dir, paths[0]))
        results = []
        for path in paths:
            same = httpx.get(bare.base_url + path, timeout=10.0).json() == bodies[path]
            if not same:
                raise RuntimeError(f"the bare app's body for {path} differs from riskreg's")
            real_rounds, bare_rounds = [], []
            for _ in range(rounds):
                real_rounds.append(drive(real, path, requests=requests, threads=threads, warmup=warmup, headers=headers))
                bare_rounds.append(drive(bare, path, requests=requests, threads=threads, warmup=warmup, headers=headers))
            size = len(httpx.get(real.base_url + path, timeout=10.0, headers=headers).content)
            results.append(Comparison(path, size, real_rounds, bare_rounds))
        return results


def server_env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "RISKREG_DATABASE_URL"}
    env.update(DATABASE_URL=database_url, RISKREG_DATA_DIR=str(data_dir), RISKREG_ENV="development")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH")]))
    return env
