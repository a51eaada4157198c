"""Page latency at benchmark size: the dashboard (/) and the vendor list (/vendors: first page, searched,
filtered, a page deep) with 10,000 vendors and 30,000 integrations (benchmarks.seed), plus ~7,000 documents
(versions, expiries and notice deadlines spread around today), 5,000 assessments and 1,000 Heroku add-ons
(about 300 of them shadow), all bulk-inserted. Signed in with a session cookie, in-process through FastAPI's
TestClient, on SQLite and, when given a URL, on PostgreSQL (a scratch database, dropped after).

`median`/`p95` are what the client saw; `in-app` is the `duration_ms` the request middleware logs: the server
time, without the test transport; `cpu` is the process's CPU time per request (client and server: in-process),
the figure least swayed by other load on the machine. Target: median <= 100 ms. Run alone with
`python -m benchmarks.pages`.
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.report import MISSED, Latency

TARGET_MS = 100.0
DEEP_PAGES = 20


@dataclass(frozen=True)
class Case:
    label: str
    path: str
    role: str
    params: tuple[tuple[str, str], ...] = ()
    deep: bool = False  # follow the "next page" cursor DEEP_PAGES times first


CASES = [
    Case("dashboard, admin (every panel)", "/", "admin"),
    Case("dashboard, security", "/", "security"),
    Case("dashboard, engineer", "/", "engineer"),
    Case("vendors first page", "/vendors", "procurement"),
    Case("vendors ?q=cloud", "/vendors", "procurement", (("q", "cloud"),)),
    Case("vendors ?status=active&country=DE", "/vendors", "procurement", (("status", "active"), ("country", "DE"))),
    Case("vendors ?sort=-updated_at", "/vendors", "procurement", (("sort", "-updated_at"),)),
    Case(f"vendors page {DEEP_PAGES + 1} (cursor)", "/vendors", "procurement", deep=True),
]


# ---- seeding beyond benchmarks.seed: documents, assessments, the Heroku estate -------------------------


def _insert(connection: Any, model: Any, rows: list[dict[str, Any]], batch: int = 2_000) -> None:
    from sqlalchemy import insert

    for start in range(0, len(rows), batch):
        connection.execute(insert(model), rows[start:start + batch])


def seed_pages(connection: Any, *, vendors: int, integrations: int, today: date, seed: int = 20261129) -> dict[str, int]:
    """Documents, assessments and add-on installations over a register seeded by benchmarks.seed (ids from 1)."""
    from app.assessments.models import Assessment
    from app.core.storage import StoredFile
    from app.documents.models import Document
    from app.heroku.models import AddonInstallation, AddonPlan, AddonService, HerokuApp
    from benchmarks.seed import ADDON_PLANS, APP_ENVS, APP_ROLES, APP_TEAMS

    rng = random.Random(seed)
    now = datetime.now(UTC)
    shared = "0" * 64
    stored = [{"sha256": shared, "size": 1000, "media_type": "application/pdf", "backend": "database", "created_at": now}]
    documents: list[dict[str, Any]] = []
    types = ["dpa", "msa", "soc2_type2", "iso27001", "baa", "pci_aoc", "insurance", "scc", "pen_test", "other"]
    for vendor_id in range(1, vendors + 1):
        if rng.random() > 0.6:
            continue
        kind = rng.choice(types)
        effective = today - timedelta(days=rng.randint(30, 900))
        renews = kind == "msa" and rng.random() < 0.5
        expires = today + timedelta(days=rng.randint(-200, 700))
        row = {"vendor_id": vendor_id, "type": kind, "title": f"{kind.upper()} {vendor_id}", "file_name": "doc.pdf",
               "sha256": shared, "size": 1000, "media_type": "application/pdf", "signed_on": effective,
               "effective_on": effective, "expires_on": max(expires, effective), "auto_renews": renews,
               "renewal_months": 12 if renews else None, "notice_days": 60 if renews else None,
               "transfer_mechanism": "scc" if kind == "dpa" else None, "breach_notice_hours": 48 if kind == "dpa" else None,
               "subprocessors": None, "notes": None, "supersedes_id": None, "uploaded_by_id": None, "created_at": now}
        if rng.random() < 0.15:  # an older version first; this one supersedes it
            documents.append({**row, "title": row["title"] + " (previous)", "effective_on": effective - timedelta(days=400),
                              "signed_on": effective - timedelta(days=400), "expires_on": effective - timedelta(days=1)})
            row["supersedes_id"] = len(documents)  # ids are list positions from 1
        documents.append(row)
    for number, row in enumerate(documents, start=1):
        row["id"] = number

    assessments: list[dict[str, Any]] = []
    tiers = ["low", "medium", "high", "critical"]
    for number in range(1, 5_001):
        status = rng.choices(["in_review", "decided", "signed"], weights=[10, 10, 80])[0]
        sha = f"{number:064x}" if status == "signed" else None
        if sha:
            stored.append({"sha256": sha, "size": 50_000, "media_type": "application/pdf", "backend": "database",
                           "created_at": now})
        inherent = rng.choice(tiers)
        assessments.append({
            "id": number, "integration_id": rng.randint(1, integrations), "status": status, "snapshot": {},
            "inherent_tier": inherent, "assurance": rng.uniform(0, 100),
            "residual_tier": tiers[max(0, tiers.index(inherent) - rng.randint(0, 2))], "verdict": "pass",
            "decision": None if status == "in_review" else "approve", "reason": None, "conditions": [],
            "reviewer_id": None, "reviewer": None, "reviewed_at": None, "signer_id": None, "signer": None,
            "signed_at": now if sha else None,
            "valid_until": today + timedelta(days=rng.randint(-100, 700)) if sha else None,
            "record_sha256": sha, "created_by_id": None, "created_at": now, "updated_at": now, "version": 1})

    apps = [{"id": n, "name": f"{team}-{role}-{env}", "space_known": True, "data_categories": [],
             "first_seen_at": now, "last_seen_at": now, "updated_at": now, "version": 1}
            for n, (team, role, env) in enumerate(((t, r, e) for t in APP_TEAMS for r in APP_ROLES for e in APP_ENVS),
                                                  start=1)]
    services = {plan.split(":")[0] for plan in ADDON_PLANS}
    service_rows = [{"id": n, "name": name, "vendor_id": n, "created_at": now} for n, name in enumerate(sorted(services), 1)]
    service_ids = {row["name"]: row["id"] for row in service_rows}
    plan_rows = [{"id": n, "name": plan, "service_id": service_ids[plan.split(":")[0]], "compliance": ["HIPAA"] if n % 3 else None}
                 for n, plan in enumerate(ADDON_PLANS, 1)]
    installations = []
    for number in range(1, 1_001):
        plan = rng.choice(plan_rows)
        installations.append({
            "id": number, "heroku_id": f"addon-{number}", "name": f"{plan['name'].split(':')[0]}-{number}",
            "app_id": rng.choice(apps)["id"], "service_id": plan["service_id"], "plan_id": plan["id"],
            "config_vars": [], "integration_id": None if rng.random() < 0.3 else rng.randint(1, integrations),
            "first_seen_at": now - timedelta(days=rng.randint(0, 300)), "last_seen_at": now})

    _insert(connection, StoredFile, stored)
    _insert(connection, Document, documents)
    _insert(connection, Assessment, assessments)
    _insert(connection, HerokuApp, apps)
    _insert(connection, AddonService, service_rows)
    _insert(connection, AddonPlan, plan_rows)
    _insert(connection, AddonInstallation, installations)
    return {"documents": len(documents), "assessments": len(assessments), "installations": len(installations)}


def _analyze(engine: Any) -> None:
    """PostgreSQL: VACUUM ANALYZE, as autovacuum would run it after a bulk load (planner statistics, and the
    visibility map that index-only scans need). SQLite is left as a deployment leaves it (no ANALYZE), like the
    list benchmark."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")


@contextmanager
def seeded(url: str, *, vendors: int, integrations: int) -> Iterator[tuple[Any, str]]:
    """A migrated, seeded database at `url`: (engine, a one-line description of what was seeded)."""
    from app.core import migrations
    from app.core.db import make_engine
    from benchmarks import seed

    engine = make_engine(url)
    try:
        started = time.perf_counter()
        with engine.begin() as connection:
            migrations.upgrade(connection)
        with engine.begin() as connection:
            report = seed.seed(connection, vendors=vendors, integrations=integrations)
            extra = seed_pages(connection, vendors=vendors, integrations=integrations, today=date.today())
        _analyze(engine)
        seconds = time.perf_counter() - started
        yield engine, (f"{report.vendors:,} vendors, {report.integrations:,} integrations, {extra['documents']:,} documents, "
                       f"{extra['assessments']:,} assessments, {extra['installations']:,} add-on installations "
                       f"seeded in {seconds:.1f} s")
    finally:
        engine.dispose()


# ---- measuring -------------------------------------------------------------------------------------------


def _signed_in_client(app: Any, engine: Any, role: str) -> Any:
    """A TestClient holding a session cookie for a new user of `role` (one argon2 hash and verify)."""
    from fastapi.testclient import TestClient

    from app.audit.service import Actor
    from app.auth import service as auth_service
    from app.auth.models import Role
    from app.core.db import open_session, transaction
    from app.web.deps import SESSION_COOKIE

    password = "benchmark password, long enough"
    email = f"bench-{role}-{os.getpid()}-{time.monotonic_ns()}@riskreg.example"
    with open_session(write=True, engine=engine) as session:
        for _ in transaction(session):
            auth_service.create_user(session, actor=Actor.system("benchmarks"), email=email, name=role, role=Role(role),
                                     password=password)
    with open_session(write=True, engine=engine) as session:
        for _ in transaction(session):
            result = auth_service.sign_in(session, email=email, password=password, max_failures=5, window_seconds=900,
                                          session_hours=8)
    assert result.session_secret is not None
    client = TestClient(app)
    client.cookies.set(SESSION_COOKIE, result.session_secret)
    return client


def _app_on(engine: Any) -> Any:
    """The app, every request's session on `engine` (the scratch database, whatever the settings say)."""
    from fastapi import Request

    from app.core.db import get_session, is_write, open_session, transaction
    from app.main import create_app

    app = create_app(load_questionnaires=False)

    def session_on_engine(request: Request) -> Iterator[Any]:
        with open_session(write=is_write(request), engine=engine) as session:
            yield from transaction(session)

    app.dependency_overrides[get_session] = session_on_engine
    return app


def _deep_cursor(client: Any, path: str, params: dict[str, str]) -> str:
    cursor = None
    for _ in range(DEEP_PAGES):
        page = client.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        cursor = page.context["next"]
        if cursor is None:
            raise RuntimeError(f"{path} has fewer than {DEEP_PAGES + 1} pages")
    return str(cursor)


def measure(engine: Any, *, requests: int, warmup: int) -> list[Latency]:
    from benchmarks.lists import in_app_durations

    app = _app_on(engine)
    clients: dict[str, Any] = {}
    results = []
    try:
        for case in CASES:
            if case.role not in clients:
                clients[case.role] = _signed_in_client(app, engine, case.role).__enter__()
            client = clients[case.role]
            params = dict(case.params)
            if case.deep:
                params["cursor"] = _deep_cursor(client, case.path, params)
            first = client.get(case.path, params=params)
            if first.status_code != 200:
                raise RuntimeError(f"GET {case.path} {params} as {case.role} answered {first.status_code}: {first.text[:300]}")
            note = (f"{len(first.context['vendors'])} of {first.context['total']} vendors" if case.path == "/vendors"
                    else f"{len(first.content) / 1000:.0f} kB")
            for _ in range(warmup):
                client.get(case.path, params=params)
            samples, cpu = [], []
            with in_app_durations() as durations:
                for _ in range(requests):
                    started, started_cpu = time.perf_counter(), time.process_time()
                    response = client.get(case.path, params=params)
                    samples.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - started_cpu) * 1000)
                    if response.status_code != 200:
                        raise RuntimeError(f"GET {case.path} answered {response.status_code}")
            results.append(Latency(case.label, tuple(samples), tuple(durations.values), TARGET_MS, note, tuple(cpu)))
    finally:
        for client in clients.values():
            client.__exit__(None, None, None)
    return results


def section(work_dir: Path, width: int, *, postgres_url: str | None = None, vendors: int = 10_000,
            integrations: int = 30_000, requests: int = 50, warmup: int = 5) -> int:
    """Prints the page figures on SQLite (and PostgreSQL when given a URL); returns the targets missed."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    work_dir.mkdir(parents=True, exist_ok=True)
    print(f"\npages: GET / and /vendors in-process (TestClient, session cookie), {requests} requests each after "
          f"{warmup} warm-up; median server time target <= {TARGET_MS:g} ms")
    backends: list[tuple[str, Any]] = [("SQLite", lambda: _sqlite_url(work_dir))]
    if postgres_url:
        backends.append(("PostgreSQL", lambda: _postgres_url(postgres_url)))
    else:
        print("PostgreSQL: skipped (no --postgres-url or TEST_DATABASE_URL)")
    missed = 0
    for name, url_of in backends:
        try:
            with url_of() as url, seeded(url, vendors=vendors, integrations=integrations) as (engine, description):
                print(f"{name}: {description}")
                for result in measure(engine, requests=requests, warmup=warmup):
                    print(result.line(width))
                    missed += not result.ok
        except OperationalError as exc:
            print(f"{name} at {make_url(postgres_url or '').host}: skipped, the server did not answer ({exc.orig})")
    return missed


@contextmanager
def _sqlite_url(work_dir: Path) -> Iterator[str]:
    path = work_dir / "pages.sqlite3"
    try:
        yield f"sqlite:///{path.as_posix()}"
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def _postgres_url(admin_url: str) -> Iterator[str]:
    from benchmarks.audit import postgres_scratch

    with postgres_scratch(admin_url) as (url, _version):
        yield url


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pages", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vendors", type=int, default=10_000)
    parser.add_argument("--integrations", type=int, default=30_000)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page case")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per page case")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL"),
                        help="PostgreSQL server for a second run (a scratch database is created and dropped); default "
                        "$TEST_DATABASE_URL, none: SQLite only")
    args = parser.parse_args(argv)
    work_dir = Path(tempfile.mkdtemp(prefix="riskreg-bench-pages-"))
    os.environ.pop("RISKREG_DATABASE_URL", None)
    os.environ["DATABASE_URL"] = f"sqlite:///{(work_dir / 'settings.sqlite3').as_posix()}"
    os.environ["RISKREG_DATA_DIR"] = str(work_dir)
    os.environ["RISKREG_ENV"] = "development"
    try:
        missed = section(work_dir, 44, postgres_url=args.postgres_url, vendors=args.vendors,
                         integrations=args.integrations, requests=args.requests, warmup=args.warmup)
        print(f"\n{missed} target(s) {MISSED}" if missed else "\nall targets met")
        return 0
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
