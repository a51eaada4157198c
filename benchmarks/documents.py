"""Document figures: the server's memory while a 20 MiB PDF is uploaded, and upload/download speed, per storage backend.

Each backend gets its own `riskreg serve` subprocess (one worker, 127.0.0.1, a free port), started fresh so
its peak is its own; all of them use one scratch SQLite database, migrated and given an admin user, an API
token and a vendor through the `riskreg` CLI and the API, as an operator would. S3 is a local
`python -m moto.server` subprocess with a scratch bucket.

- Memory: after a warm-up (one 64 KiB upload and its download), the server's peak RSS is reset to its
  current RSS (`5` written to /proc/<pid>/clear_refs, where the kernel allows it), VmHWM is read from
  /proc/<pid>/status, a 20 MiB PDF is uploaded, and VmHWM is read again: the growth is the most memory
  the upload added at any moment. Target: under 2x the file size.
- Speed: distinct 1 MiB PDFs (nothing is deduplicated) uploaded one after another over one keep-alive
  client after a few warm-up ones: median and p95 latency, and uploads per second over the wall time;
  then one of them downloaded repeatedly: median and p95 latency. No targets.

Run alone with `python -m benchmarks.documents` (`--keep` keeps the scratch directory and server logs).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.report import MISSED, percentile
from benchmarks.throughput import HOST, free_port
from tests.documents.helpers import pdf_bytes

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
BIG_BYTES = 20 * MIB
SMALL_BYTES = 1 * MIB
WARMUP_BYTES = 64 * 1024  # "small": under the 1 MiB at which an upload spools to disk, so first-use buffers count
TARGET_PEAK_RATIO = 2.0
MAX_UPLOAD_BYTES = 25 * MIB  # the shipped default, set explicitly so a local override does not turn this into 413s
BACKENDS = ("database", "filesystem", "s3")
S3_BUCKET = "riskreg-bench"
START_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 60.0
ADMIN_EMAIL = "bench-admin@riskreg.local"


# ---- files ---------------------------------------------------------------------------------------


def pdf_of_size(size: int, tag: str) -> bytes:
    """A well-formed PDF of exactly `size` bytes whose content (so whose SHA-256) differs with `tag`."""
    pad = size - len(pdf_bytes(tag))
    for _ in range(3):  # the xref offset's digit count can move with the padding: settle it
        data = pdf_bytes(tag, pad=pad)
        if len(data) == size:
            return data
        pad -= len(data) - size
    raise AssertionError(f"could not build a {size}-byte PDF")


# ---- memory --------------------------------------------------------------------------------------


def status_kib(pid: int, field: str) -> int | None:
    """A `kB` field of /proc/<pid>/status (VmHWM, VmRSS), in KiB; None where there is no /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak(pid: int) -> bool:
    """Resets the process's VmHWM to its current RSS (Linux >= 4.0); False where that is not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


# ---- servers -------------------------------------------------------------------------------------


def scratch_env(work_dir: Path) -> dict[str, str]:
    """The environment of every `riskreg` subprocess: none of the caller's RISKREG_* settings, the scratch database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RISKREG_") and k not in ("DATABASE_URL", "DYNO")}
    env.update(
        DATABASE_URL=f"sqlite:///{(work_dir / 'db.sqlite3').as_posix()}", RISKREG_DATA_DIR=str(work_dir),
        RISKREG_ENV="development", RISKREG_LOG_LEVEL="WARNING", RISKREG_MAX_UPLOAD_BYTES=str(MAX_UPLOAD_BYTES),
    )
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def riskreg_command() -> list[str]:
    script = Path(sys.executable).with_name("riskreg")
    return [str(script)] if script.is_file() else [sys.executable, "-c", "from app.cli import main; main()"]


def cli(env: dict[str, str], *args: str) -> str:
    """Runs `riskreg <args>`; returns its stdout, stripped."""
    done = subprocess.run(riskreg_command() + list(args), env=env, cwd=ROOT, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"riskreg {' '.join(args)} exited with {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout.strip()


@dataclass(frozen=True)
class Server:
    base_url: str
    process: subprocess.Popen[bytes]


@contextmanager
def _process(name: str, cmd: list[str], env: dict[str, str], log_dir: Path, ready_url: str) -> Iterator[Server]:
    """A subprocess answering `ready_url` (any HTTP status); terminated (then killed) on exit, error or not."""
    log_path = log_dir / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}: {log_path.read_text()[-2000:]}")
            try:
                httpx.get(ready_url, timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not answer {ready_url} within {START_TIMEOUT_S:g} s") from None
                time.sleep(0.1)
        yield Server(ready_url.rsplit("/", 1)[0], process)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log.close()


def riskreg_server(
    backend: str, env: dict[str, str], work_dir: Path, s3_url: str | None
) -> AbstractContextManager[Server]:
    port = free_port()
    env = {**env, "RISKREG_STORAGE_BACKEND": backend}
    if backend == "filesystem":
        env["RISKREG_STORAGE_DIR"] = str(work_dir / "files")
    if backend == "s3":
        env.update(RISKREG_S3_BUCKET=S3_BUCKET, RISKREG_S3_ENDPOINT_URL=s3_url or "", RISKREG_S3_REGION="us-east-1",
                   RISKREG_S3_ACCESS_KEY_ID="bench", RISKREG_S3_SECRET_ACCESS_KEY="bench-secret")
    # `riskreg serve` with one worker runs uvicorn in its own process: the Popen pid is the server.
    cmd = riskreg_command() + ["serve", "--host", HOST, "--port", str(port)]
    return _process(f"serve-{backend}", cmd, env, work_dir, f"http://{HOST}:{port}/healthz")


@contextmanager
def moto_server(work_dir: Path) -> Iterator[Server]:
    """A moto S3 server on a free port with the scratch bucket created."""
    import boto3

    port = free_port()
    cmd = [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]
    with _process("moto", cmd, dict(os.environ), work_dir, f"http://{HOST}:{port}/") as server:
        boto3.client("s3", endpoint_url=server.base_url, region_name="us-east-1", aws_access_key_id="bench",
                     aws_secret_access_key="bench-secret").create_bucket(Bucket=S3_BUCKET)
        yield server


# ---- measuring -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackendFigures:
    backend: str
    peak_before_kib: int | None
    peak_after_kib: int | None
    rss_after_kib: int | None
    peak_was_reset: bool
    big_upload_ms: float
    upload_ms: tuple[float, ...]
    upload_wall_s: float
    download_ms: tuple[float, ...]

    @property
    def growth_mib(self) -> float | None:
        if self.peak_before_kib is None or self.peak_after_kib is None:
            return None
        return (self.peak_after_kib - self.peak_before_kib) / 1024

    @property
    def ratio(self) -> float | None:
        growth = self.growth_mib
        return None if growth is None else growth * MIB / BIG_BYTES

    @property
    def ok(self) -> bool:
        return self.ratio is not None and self.ratio < TARGET_PEAK_RATIO

    def lines(self, width: int) -> list[str]:
        b = self.backend
        growth, ratio = self.growth_mib, self.ratio
        if growth is None or ratio is None:
            memory = f"{b + ': 20 MiB upload, server peak growth':<{width}}  (no /proc: not measured)  {MISSED}"
        else:
            retained = (self.rss_after_kib - self.peak_before_kib) / 1024 if self.rss_after_kib is not None else 0.0  # type: ignore[operator]
            reset = "" if self.peak_was_reset else ", peak not reset (clear_refs refused)"
            memory = (f"{b + ': 20 MiB upload, server peak growth':<{width}}  {growth:6.1f} MiB  {ratio:4.2f}x the file  "
                      f"(target < {TARGET_PEAK_RATIO:g}x)  {'ok' if self.ok else MISSED}"
                      f"  [upload {self.big_upload_ms:,.0f} ms, RSS after {retained:+.1f} MiB{reset}]")
        uploads = (f"{b + f': 1 MiB uploads ({len(self.upload_ms)}, sequential)':<{width}}  "
                   f"median {statistics.median(self.upload_ms):6.1f} ms  p95 {percentile(self.upload_ms, 95):6.1f} ms  "
                   f"{len(self.upload_ms) / self.upload_wall_s:5.1f} uploads/s  (no target)")
        downloads = (f"{b + f': 1 MiB download ({len(self.download_ms)})':<{width}}  "
                     f"median {statistics.median(self.download_ms):6.1f} ms  p95 {percentile(self.download_ms, 95):6.1f} ms  "
                     "(no target)")
        return [memory, uploads, downloads]


def _upload(client: httpx.Client, vendor_id: int, data: bytes, title: str) -> dict[str, object]:
    response = client.post(
        f"/api/v1/vendors/{vendor_id}/documents", data={"type": "dpa", "title": title},
        files={"file": (f"{title}.pdf", data, "application/pdf")},
    )
    if response.status_code != 201:
        raise RuntimeError(f"upload of {title!r} answered {response.status_code}: {response.text[:500]}")
    body: dict[str, object] = response.json()
    if body.get("deduplicated") or body.get("size") != len(data):
        raise RuntimeError(f"upload of {title!r} was deduplicated or stored the wrong size: {body}")
    return body


def _download(client: httpx.Client, document_id: object, size: int) -> None:
    response = client.get(f"/api/v1/documents/{document_id}/content")
    if response.status_code != 200 or len(response.content) != size:
        raise RuntimeError(f"download of document {document_id} answered {response.status_code}, "
                           f"{len(response.content)} bytes, not {size}")


def measure_backend(
    backend: str, server: Server, headers: dict[str, str], vendor_id: int, *, uploads: int, warmup: int, downloads: int,
) -> BackendFigures:
    pid = server.process.pid
    tag = f"{backend} {time.time_ns()}"  # every file differs from every other, across backends and runs
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=REQUEST_TIMEOUT_S) as client:
        small = _upload(client, vendor_id, pdf_of_size(WARMUP_BYTES, f"warm-up {tag}"), f"warm-up {backend}")
        _download(client, small["id"], WARMUP_BYTES)

        big = pdf_of_size(BIG_BYTES, f"big {tag}")
        was_reset = reset_peak(pid)
        before = status_kib(pid, "VmHWM")
        started = time.perf_counter()
        _upload(client, vendor_id, big, f"big {backend}")
        big_ms = (time.perf_counter() - started) * 1000
        after, rss_after = status_kib(pid, "VmHWM"), status_kib(pid, "VmRSS")
        del big

        files = [pdf_of_size(SMALL_BYTES, f"small {i} {tag}") for i in range(warmup + uploads)]
        for i in range(warmup):
            _upload(client, vendor_id, files[i], f"small warm-up {i}")
        upload_ms = []
        document_id: object = None
        wall_started = time.perf_counter()
        for i in range(warmup, warmup + uploads):
            started = time.perf_counter()
            document_id = _upload(client, vendor_id, files[i], f"small {i}")["id"]
            upload_ms.append((time.perf_counter() - started) * 1000)
        wall = time.perf_counter() - wall_started

        download_ms = []
        for i in range(2 + downloads):
            started = time.perf_counter()
            _download(client, document_id, SMALL_BYTES)
            if i >= 2:
                download_ms.append((time.perf_counter() - started) * 1000)
    return BackendFigures(backend, before, after, rss_after, was_reset, big_ms, tuple(upload_ms), wall, tuple(download_ms))


def section(work_dir: Path, width: int, *, uploads: int = 30, warmup: int = 3, downloads: int = 20) -> int:
    """Prints the document figures for every backend; returns the number of targets missed (failures count)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    print(f"\ndocuments: a fresh `riskreg serve` per storage backend (1 worker, 127.0.0.1, scratch SQLite; S3 = moto "
          f"server); server peak RSS growth (VmHWM, reset after a warm-up upload) while a 20 MiB PDF is uploaded; "
          f"then {uploads} distinct 1 MiB PDFs uploaded in sequence after {warmup} warm-up, and {downloads} downloads "
          f"of one")
    env = scratch_env(work_dir)
    cli(env, "migrate")
    cli(env, "users", "create", "--email", ADMIN_EMAIL, "--role", "admin", "--generate-password")
    secret = cli(env, "tokens", "create", "--email", ADMIN_EMAIL, "--name", "documents benchmark")
    headers = {"Authorization": f"Bearer {secret}"}
    vendor_id: int | None = None
    missed = 0
    for backend in BACKENDS:
        try:
            with _backend_servers(backend, env, work_dir) as server:
                if vendor_id is None:
                    response = httpx.post(server.base_url + "/api/v1/vendors", headers=headers, timeout=REQUEST_TIMEOUT_S,
                                          json={"legal_name": "Bench Documents Ltd", "name": "Bench Documents", "country": "GB"})
                    response.raise_for_status()
                    vendor_id = int(response.json()["id"])
                figures = measure_backend(backend, server, headers, vendor_id, uploads=uploads, warmup=warmup,
                                          downloads=downloads)
        except (RuntimeError, httpx.HTTPError, OSError, ImportError) as error:
            logged = last_logged_error(work_dir / f"serve-{backend}.log")
            print(f"{backend + ':':<{width}}  failed: {error}{f'; server log: {logged}' if logged else ''}  {MISSED}")
            missed += 1
            continue
        for line in figures.lines(width):
            print(line)
        missed += not figures.ok
    return missed


def last_logged_error(log_path: Path) -> str | None:
    """The last line of the last traceback the server logged (its log lines are JSON), if any."""
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            exception = json.loads(line).get("exception")
        except (ValueError, AttributeError):
            continue
        if exception:
            return str(exception).strip().splitlines()[-1]
    return None


@contextmanager
def _backend_servers(backend: str, env: dict[str, str], work_dir: Path) -> Iterator[Server]:
    if backend != "s3":
        with riskreg_server(backend, env, work_dir, None) as server:
            yield server
        return
    with moto_server(work_dir) as moto, riskreg_server(backend, env, work_dir, moto.base_url) as server:
        yield server


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.documents", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uploads", type=int, default=30, help="timed 1 MiB uploads per backend")
    parser.add_argument("--warmup", type=int, default=3, help="untimed 1 MiB uploads per backend first")
    parser.add_argument("--downloads", type=int, default=20, help="timed downloads of one 1 MiB file per backend")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (database, files, server logs)")
    args = parser.parse_args(argv)
    work_dir = Path(tempfile.mkdtemp(prefix="riskreg-bench-documents-"))
    try:
        missed = section(work_dir, 44, uploads=args.uploads, warmup=args.warmup, downloads=args.downloads)
        print(f"\n{missed} target(s) {MISSED}" if missed else "\nall targets met")
        return 0
    finally:
        if args.keep:
            print(f"\nkept {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
