"""Export figures: the integrations list of a register of 10,000, 50,000 and 100,000 integrations
exported to CSV and to XLSX, time and peak memory, to show that memory stays flat as rows grow.

Each size gets its own SQLite database, seeded by `benchmarks.seed` (rows that passed the API's own
schemas; one vendor per ten integrations) and migrated before the clock starts. Each export is what
`riskreg export integrations --format csv|xlsx --output FILE` runs (`app.exports.jobs.export_to_file`:
keyset pages of 1,000 rows through the list's own query, the CSV written as it is read, the XLSX
through openpyxl's write-only mode, then fsync and an atomic rename), in a fresh process of its own, so
that its resident set (sampled every 5 ms from /proc during the export; it counts C allocations too:
SQLite, lxml, zlib) is its own. The peak of Python allocations (tracemalloc) is measured in a second fresh process, since tracing
slows the run; its time is not reported.

Targets: at 100,000 rows, CSV <= 20 s and XLSX <= 90 s; memory flat: the peak at 100,000 rows at most
16 MB above the peak at 10,000 (RSS over the process's own baseline, and tracemalloc).
Run alone with `python -m benchmarks.exports [--sizes 10000,50000,100000]`.
"""

import argparse
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
import tracemalloc
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from benchmarks.report import MISSED

SIZES = (10_000, 50_000, 100_000)
FORMATS = ("csv", "xlsx")
TARGET_S = {"csv": 20.0, "xlsx": 90.0}  # at the largest size
FLAT_MB = 16.0  # largest size's peak minus the smallest size's, at most
TODAY = date(2026, 11, 29)


@dataclass(frozen=True)
class Run:
    rows: int
    seconds: float
    file_bytes: int
    rss_mb: float  # peak resident set of the exporting process
    rss_growth_mb: float  # ... minus its resident set after imports, before the export
    traced_mb: float  # peak of Python allocations during the export (tracemalloc), measured in another process


def _rss_mb() -> float:
    """The resident set now (Linux /proc; the high-water mark of getrusage elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize() / 1e6
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _PeakRss:
    """Samples the resident set every 5 ms on a thread while the export runs; keeps the highest."""

    def __init__(self) -> None:
        self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss_mb())

    def __enter__(self) -> "_PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


def _export(url: str, fmt: str, target: str, traced: bool, queue: "multiprocessing.Queue[tuple]") -> None:
    """Runs in a fresh process: one export, reporting (rows, seconds, bytes, rss delta MB, traced MB)."""
    import openpyxl  # noqa: F401  (imported before the baseline: it is loaded once, whatever the rows)

    from app.core.db import make_engine, open_session
    from app.exports import jobs

    engine = make_engine(url)
    with engine.connect():
        pass
    baseline = _rss_mb()
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    with _PeakRss() as rss, open_session(write=False, engine=engine) as session:
        written = jobs.export_to_file(session, jobs.What.integrations, jobs.Format(fmt), Path(target), today=TODAY)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1e6 if traced else 0.0
    engine.dispose()
    queue.put((written.rows["Integrations"], seconds, written.bytes, rss.peak, rss.peak - baseline, peak))


def _in_process(url: str, fmt: str, target: Path, *, traced: bool) -> tuple:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_export, args=(url, fmt, str(target), traced, queue))
    process.start()
    result = queue.get(timeout=900)
    process.join(timeout=60)
    return result


def seed_database(path: Path, integrations: int) -> str:
    from sqlalchemy import create_engine

    from app.core import migrations
    from benchmarks import seed

    url = f"sqlite:///{path.as_posix()}"
    engine = create_engine(url)
    with engine.begin() as connection:
        migrations.upgrade(connection)
    with engine.begin() as connection:
        seed.seed(connection, vendors=max(1, integrations // 10), integrations=integrations)
    engine.dispose()
    return url


def measure(work_dir: Path, sizes: tuple[int, ...] = SIZES) -> dict[str, list[Run]]:
    runs: dict[str, list[Run]] = {fmt: [] for fmt in FORMATS}
    for size in sizes:
        started = time.perf_counter()
        url = seed_database(work_dir / f"exports-{size}.sqlite3", size)
        print(f"  seeded {size:,} integrations ({max(1, size // 10):,} vendors) in {time.perf_counter() - started:.1f} s")
        for fmt in FORMATS:
            target = work_dir / f"integrations-{size}.{fmt}"
            rows, seconds, size_bytes, rss, growth, _ = _in_process(url, fmt, target, traced=False)
            *_, traced = _in_process(url, fmt, target, traced=True)
            assert rows == size, (rows, size)
            runs[fmt].append(Run(rows, seconds, size_bytes, rss, growth, traced))
        (work_dir / f"exports-{size}.sqlite3").unlink()
    return runs


def report(runs: dict[str, list[Run]], width: int) -> int:
    missed = 0
    for fmt, measured in runs.items():
        for run in measured:
            print(f"{f'  integrations.{fmt}, {run.rows:,} rows':<{width}}  {run.seconds:6.1f} s  "
                  f"{run.rows / run.seconds:8,.0f} rows/s  file {run.file_bytes / 1e6:6.1f} MB  "
                  f"peak RSS {run.rss_mb:5.1f} MB (+{run.rss_growth_mb:4.1f} during the export)  "
                  f"tracemalloc peak {run.traced_mb:5.1f} MB")
        largest, smallest = measured[-1], measured[0]
        fast = largest.seconds <= TARGET_S[fmt]
        rss_growth = largest.rss_mb - smallest.rss_mb
        traced_growth = largest.traced_mb - smallest.traced_mb
        flat = rss_growth <= FLAT_MB and traced_growth <= FLAT_MB
        missed += (not fast) + (not flat)
        print(f"{f'  {fmt}: time at {largest.rows:,} rows':<{width}}  {largest.seconds:6.1f} s  "
              f"(target <= {TARGET_S[fmt]:g} s)  {'ok' if fast else MISSED}")
        print(f"{f'  {fmt}: memory {smallest.rows:,} → {largest.rows:,} rows':<{width}}  RSS {rss_growth:+5.1f} MB, "
              f"tracemalloc {traced_growth:+5.1f} MB  (target <= +{FLAT_MB:g} MB)  {'ok' if flat else MISSED}")
    return missed


def section(work_dir: Path, width: int, *, sizes: tuple[int, ...] = SIZES) -> int:
    """Prints the export figures; returns the targets missed."""
    work_dir.mkdir(parents=True, exist_ok=True)
    print(f"\nexports: `riskreg export integrations --format csv|xlsx` (export_to_file) on SQLite registers of "
          f"{', '.join(f'{s:,}' for s in sizes)} integrations, each export in a fresh process")
    return report(measure(work_dir, sizes), width)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.exports", description=__doc__)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES), help="integration counts, comma-separated")
    args = parser.parse_args(argv)
    work_dir = Path(tempfile.mkdtemp(prefix="riskreg-bench-exports-"))
    os.environ.setdefault("RISKREG_DATA_DIR", str(work_dir))
    os.environ.setdefault("RISKREG_ENV", "development")
    try:
        missed = section(work_dir, 44, sizes=tuple(int(s) for s in args.sizes.split(",")))
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    print(f"\n{missed} target(s) {MISSED}" if missed else "\nall targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
