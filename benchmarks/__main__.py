"""`python -m benchmarks`: seed a scratch SQLite register, time the list endpoints, compare throughput,
then the audit trail (appends per second, verify of 100,000 events; PostgreSQL too when given a URL) and
the cost auth adds to a list request, then the questionnaires (scoring a 300-question response, loading
the shipped files), and the rest of the sections below, the pages last (the dashboard and the vendor list
with 10,000 vendors).

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
from typing import Any

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
    parser.add_argument("--skip-audit", action="store_true", help="skip the audit trail and auth part")
    parser.add_argument("--audit-appends", type=int, default=1_000, help="timed appends per case")
    parser.add_argument("--audit-writers", type=int, default=8, help="concurrent writers in the concurrent case")
    parser.add_argument("--audit-verify-events", type=int, default=100_000, help="chain length verified")
    parser.add_argument("--auth-requests", type=int, default=100, help="timed requests per auth round and mode")
    parser.add_argument("--auth-rounds", type=int, default=5, help="alternating token/override rounds")
    parser.add_argument("--skip-questionnaires", action="store_true", help="skip the questionnaire scoring and loading part")
    parser.add_argument("--score-runs", type=int, default=500, help="timed score() calls on the 300-question response")
    parser.add_argument("--load-runs", type=int, default=20, help="timed load_dir() runs over questionnaires/")
    parser.add_argument("--skip-documents", action="store_true", help="skip the document upload memory and speed part "
                        "(a riskreg server per storage backend; run it alone with `python -m benchmarks.documents`)")
    parser.add_argument("--skip-heroku", action="store_true", help="skip the Heroku import part (5,000 add-ons "
                        "into a fresh database, then again; run it alone with `python -m benchmarks.heroku`)")
    parser.add_argument("--heroku-runs", type=int, default=3, help="fresh-database runs per Heroku input path and backend")
    parser.add_argument("--skip-reminders", action="store_true", help="skip the reminders part (planning over 100,000 due "
                        "items, a dry run over 100,000 documents, 1,000 e-mails to a local SMTP server; run it alone with "
                        "`python -m benchmarks.reminders`)")
    parser.add_argument("--skip-exports", action="store_true", help="skip the export part (the integrations of "
                        "registers of 10,000, 50,000 and 100,000 to CSV and XLSX, time and memory; run it alone with "
                        "`python -m benchmarks.exports`)")
    parser.add_argument("--skip-records", action="store_true", help="skip the assessment record part (render + sign "
                        "a typical record in-process; GET /api/v1/vendors p99 on a riskreg server while 4 records are "
                        "signed at once; run it alone with `python -m benchmarks.records`)")
    parser.add_argument("--skip-pages", action="store_true", help="skip the page part (GET / and /vendors with a "
                        "session cookie over 10,000 vendors, on SQLite and on PostgreSQL when given a URL; run it alone "
                        "with `python -m benchmarks.pages`)")
    parser.add_argument("--page-requests", type=int, default=50, help="timed requests per page case")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL"),
                        help="PostgreSQL server for the audit, Heroku import and page figures (a scratch database is created there and "
                        "dropped); default $TEST_DATABASE_URL, none: SQLite only")
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
    from benchmarks import audit, lists, seed, throughput
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

    # Every /api/v1 route wants a bearer token: the list and throughput clients send one (an auditor's).
    _user, secret = audit.bench_user()
    auth_header = {"Authorization": f"Bearer {secret}"}

    missed = 0
    print(f"\nlist latency, in-process (TestClient), {args.requests} requests each after {args.warmup} warm-up; "
          f"default page size 50")
    with TestClient(create_app(), headers=auth_header) as client:
        for result in lists.run(client, requests=args.requests, warmup=args.warmup):
            print(result.line(WIDTH))
            missed += not result.ok

    if not args.skip_http:
        print(f"\nthroughput over uvicorn (1 worker each, 127.0.0.1), {args.http_requests:,} requests per round over "
              f"{args.http_threads} keep-alive clients, {args.http_rounds} alternating rounds, median round")
        env = throughput.server_env(database_url, work_dir)
        comparisons = throughput.compare(
            env, work_dir, ["/api/v1/vendors", "/api/v1/integrations"],
            requests=args.http_requests, threads=args.http_threads, warmup=200, rounds=args.http_rounds, headers=auth_header,
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

    if not args.skip_audit:
        missed += _audit_section(args, work_dir, create_app)
    if not args.skip_questionnaires:
        missed += _questionnaires_section(args)
    if not args.skip_documents:
        from benchmarks import documents
        missed += documents.section(work_dir / "documents", WIDTH)
    if not args.skip_heroku:
        from benchmarks import heroku
        missed += heroku.section(work_dir / "heroku", WIDTH, postgres_url=args.postgres_url, runs=args.heroku_runs)
    if not args.skip_reminders:
        from benchmarks import reminders
        missed += reminders.section(work_dir / "reminders", WIDTH)
    if not args.skip_exports:
        from benchmarks import exports
        missed += exports.section(work_dir / "exports", WIDTH)
    if not args.skip_records:
        from benchmarks import records
        missed += records.section(work_dir / "records", WIDTH)
    if not args.skip_pages:
        from benchmarks import pages
        missed += pages.section(work_dir / "pages", WIDTH, postgres_url=args.postgres_url, vendors=args.vendors,
                                integrations=args.integrations, requests=args.page_requests)
    print(f"\n{missed} target(s) {MISSED}" if missed else "\nall targets met")
    return 0


def _audit_section(args: argparse.Namespace, work_dir: Path, create_app: Any) -> int:
    """Audit appends and verify on SQLite (and PostgreSQL when given a URL), then the cost of auth."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from benchmarks import audit

    missed = 0
    print(f"\naudit trail: appends each in its own transaction (as a request), warmed up; then the chain "
          f"topped up to {args.audit_verify_events:,} events in bulk and verify_chain timed over all of them")
    backends = [(f"sqlite:///{(work_dir / 'audit.sqlite3').as_posix()}", "SQLite", audit.TARGET_SQLITE_APPENDS_PER_S)]
    postgres: Any = None
    if args.postgres_url:
        try:
            postgres = audit.postgres_scratch(args.postgres_url)
            url, version = postgres.__enter__()
            backends.append((url, f"PostgreSQL {version}", None))
        except OperationalError as exc:
            postgres = None
            print(f"PostgreSQL at {make_url(args.postgres_url).host}: skipped, the server did not answer ({exc.orig})")
    else:
        print("PostgreSQL: skipped (no --postgres-url or TEST_DATABASE_URL)")
    try:
        for url, name, target in backends:
            appends, verify = audit.run_backend(url, name, appends=args.audit_appends, writers=args.audit_writers,
                                                verify_events=args.audit_verify_events, append_target=target)
            for result in appends:
                print(result.line(WIDTH))
                missed += not result.ok
            print(verify.line(WIDTH))
            missed += not verify.ok
    finally:
        if postgres is not None:
            postgres.__exit__(None, None, None)

    print(f"\nauth cost: GET /api/v1/vendors?limit=50 (in-process), {args.auth_rounds} alternating rounds of "
          f"{args.auth_requests} requests: bearer token vs. current_user overridden to return the same user")
    cost = audit.time_auth_cost(create_app, requests=args.auth_requests, rounds=args.auth_rounds, warmup=20)
    for line in cost.lines(WIDTH):
        print(line)
    missed += (cost.cost_ms > audit.TARGET_AUTH_MS) + (cost.argon2_calls != 0)
    return missed


def _questionnaires_section(args: argparse.Namespace) -> int:
    """Scoring one 300-question response (synthetic, loaded through the real checks), then load_dir."""
    from benchmarks import questionnaires

    print(f"\nquestionnaires: score() on one synthetic response ({questionnaires.SECTIONS} sections x "
          f"{questionnaires.QUESTIONS_PER_SECTION} questions, read by loader.parse, mixed answers, 2 policy checks); "
          f"load_dir over the shipped files")
    scoring = questionnaires.time_scoring(runs=args.score_runs, warmup=50)
    for line in scoring.lines(WIDTH):
        print(line)
    loading = questionnaires.time_loading(runs=args.load_runs)
    for line in loading.lines(WIDTH):
        print(line)
    return (not scoring.timing.ok) + (not loading.timing.ok) + (loading.problems > 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
