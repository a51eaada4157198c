"""`python -m benchmarks`: seed a scratch SQLite register, time the list endpoints, compare throughput.

Prints figures and a MISSED marker for each target missed; always exits 0 (it reports, it does not assert).
"""

import argparse
import os
import platform
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

WIDTH = 44


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--vendors", type=int, default=10_000)
    parser.add_argument("--integrations", type=int, default=30_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per list case")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per list case")
    parser.add_argument("--http-requests", type=int, default=2_000, help="timed requests per throughput round")
    parser.add_argument("--http-threads", type=int, default=4, help="concurrent keep-alive clients")
    parser.add_argument("--http-rounds", type=int, default=3, help="alternating riskreg/bare rounds per path")
    parser.add_argument("--skip-http", action="store_true", help="skip the uvicorn throughput part")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (database, server logs)")
    return parser.parse_args(argv)


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the `finally` blocks that stop the servers


def main(argv: list[str]) -> int:
    args = _parse(argv)
    signal.signal(signal.SIGTERM, _terminate)
    work_dir = Path(tempfile.mkdtemp(prefix="riskreg-bench-"))
    database_url = f"sqlite:///{(work_dir / 'bench.sqlite3').as_posix()}"
    # Settings are read once (lru_cached): point them at the scratch database before importing the app.
    os.environ.pop("RISKREG_DATABASE_URL", None)
    os.environ["DATABASE_URL"] = database_url
    os.environ["RISKREG_DATA_DIR"] = str(work_dir)
    os.environ["RISKREG_ENV"] = "development"
    try:
        return _run(args, work_dir, database_url)
    finally:
        if args.keep:
            print(f"\nkept {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)


def _run(args: argparse.Namespace, work_dir: Path, database_url: str) -> int:
    from fastapi.testclient import TestClient

    from app.core import migrations
    from app.core.config import get_settings
    from app.core.db import get_engine
    from app.main import create_app
    from benchmarks import lists, seed, throughput
    from benchmarks.report import MISSED, ratio_line

    assert get_settings().database_url == database_url, "settings were read before the benchmark set them"
    print(f"riskreg benchmarks  python {platform.python_version()}  sqlite {sqlite3.sqlite_version}  "
          f"cpus {os.cpu_count()}  {platform.machine()}")

    engine = get_engine()
    started = time.perf_counter()
    with engine.begin() as connection:
        migrations.upgrade(connection)
    with engine.begin() as connection:
        report = seed.seed(connection, vendors=args.vendors, integrations=args.integrations)
    seconds = time.perf_counter() - started
    size_mb = (work_dir / "bench.sqlite3").stat().st_size / 1e6
    print(f"seeded {report.vendors:,} vendors and {report.integrations:,} integrations "
          f"({report.heroku_addons:,} Heroku add-ons) in {seconds:.1f} s; database {size_mb:.1f} MB, no ANALYZE")
    print("inherent tiers: " + ", ".join(f"{tier} {n:,}" for tier, n in report.tiers.items()))

    missed = 0
    print(f"\nlist latency, in-process (TestClient), {args.requests} requests each after {args.warmup} warm-up; "
          f"default page size 50")
    with TestClient(create_app()) as client:
        for result in lists.run(client, requests=args.requests, warmup=args.warmup):
            print(result.line(WIDTH))
            missed += not result.ok

    if not args.skip_http:
        print(f"\nthroughput over uvicorn (1 worker each, 127.0.0.1), {args.http_requests:,} requests per round over "
              f"{args.http_threads} keep-alive clients, {args.http_rounds} alternating rounds, median round")
        env = throughput.server_env(database_url, work_dir)
        comparisons = throughput.compare(
            env, work_dir, ["/api/v1/vendors", "/api/v1/integrations"],
            requests=args.http_requests, threads=args.http_threads, warmup=200, rounds=args.http_rounds,
        )
        for c in comparisons:
            print(f"GET {c.path} ({c.body_bytes / 1000:.0f} kB body)")
            for name, rounds in (("riskreg", c.riskreg), ("bare FastAPI", c.bare)):
                cpu = c.median_cpu_ms(rounds)
                cpu_text = f"  server CPU {cpu:5.2f} ms/request" if cpu is not None else ""
                errors = sum(r.errors for r in rounds)
                cut = sum(r.timed_out for r in rounds)
                flags = (f"  {errors} errors" if errors else "") + (f"  {cut} rounds cut by time" if cut else "")
                print(f"  {name:<14} {c.median_rps(rounds):7,.0f} req/s{cpu_text}"
                      f"  (rounds {' / '.join(f'{r.rps:,.0f}' for r in rounds)}){flags}")
            missed += c.ratio < throughput.TARGET_RATIO
            print(ratio_line("  riskreg/bare, requests/s", c.ratio, throughput.TARGET_RATIO, WIDTH))
            if c.cpu_ratio is not None:
                print(f"{'  riskreg/bare, by server CPU per request':<{WIDTH}}  ratio {c.cpu_ratio:5.2f}"
                      "  (no target: the ratio a CPU-bound server would reach, less swayed by other load)")
    print(f"\n{missed} target(s) {MISSED}" if missed else "\nall targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
