"""Heroku import figures: 5,000 add-ons over 500 apps into a fresh migrated database, then the same import again.

The estate is `tests.heroku.estate_factory.make_estate(apps=500, addons=5000)`: raw Platform API objects.
Two input paths, each timed as parse, apply and commit:

- CLI file: one JSON array of add-on objects as the Heroku CLI prints them (`addon_service` and `plan` as
  full objects, the plan's `price` replaced by the add-on's billed price, `attachments` embedded; the
  shape of `heroku addons --app X --json` — `--all` prints `[]` for attachments, which is lighter),
  read with `parse.parse_cli_json` (plus the file's SHA-256, as `jobs.import_file` stores it).
- API: `parse.estate_from_api` on the factory's raw lists (what a sync's `fetch_estate` returns).

Then `importer.apply_estate` and the commit, in one writing session as `session_scope` opens it
(`open_session(write=True)`: BEGIN IMMEDIATE on SQLite, the write lock on PostgreSQL). Each run gets a
fresh database (a new SQLite file; on PostgreSQL a scratch database, dropped afterwards), migrated
before the clock starts. The second import must change nothing: its report counts nothing created,
updated, gone, returned or linked, and every row of the Heroku tables and of `vendor` reads the same
afterwards apart from the bookkeeping every import rewrites (`last_seen_at`, `details_seen_at`, and
`heroku_app.version`, which its optimistic lock bumps on any UPDATE).

Targets: first import <= 10 s, the same import again <= 5 s (the whole parse + apply + commit).
Run alone with `python -m benchmarks.heroku` (`--profile` adds a cProfile of one run per path).
"""

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from app.audit.service import Actor
from app.core import migrations
from app.core.db import make_engine, open_session
from app.heroku import importer, parse
from app.heroku.estate import Estate
from app.heroku.importer import ImportReport
from app.heroku.models import AddonInstallation, AddonPlan, AddonService, HerokuApp, HerokuImport, HerokuSpace
from app.vendors.models import Vendor
from benchmarks.report import MISSED
from tests.heroku.estate_factory import RawEstate, make_estate

APPS = 500
ADDONS = 5_000
SEED = 7
TARGET_FIRST_S = 10.0
TARGET_AGAIN_S = 5.0
BUDGET_S = 80.0  # the whole section; runs after the first of each case are dropped to stay inside it
ACTOR = Actor.system("benchmarks")
# Rewritten by every import that sees the row: not a change of what the register knows.
BOOKKEEPING = frozenset({"last_seen_at", "details_seen_at", "version"})
SNAPSHOT_MODELS = (HerokuSpace, HerokuApp, AddonService, AddonPlan, AddonInstallation, Vendor)


def verdict(ok: bool) -> str:
    return "ok" if ok else MISSED


# ---- inputs --------------------------------------------------------------------------------------


def cli_export(raw: RawEstate) -> bytes:
    """The add-ons as the Heroku CLI prints them with --json (2-space indent, as the CLI does)."""
    services = {s["id"]: s for s in raw.services}
    plans = {p["id"]: p for p in raw.plans}
    attachments: dict[str, list[dict[str, Any]]] = {}
    for attachment in raw.attachments:
        attachments.setdefault(attachment["addon"]["id"], []).append(attachment)
    out = []
    for addon in raw.addons:
        item = dict(addon)
        service = services.get(addon["addon_service"]["id"])
        if service is not None:
            item["addon_service"] = service
        plan = plans.get(addon["plan"]["id"])
        if plan is not None:  # the CLI overwrites the plan's price with what this add-on is billed
            item["plan"] = {**plan, "price": addon["billed_price"]}
        item["attachments"] = attachments.get(addon["id"], [])
        out.append(item)
    return json.dumps(out, indent=2).encode()


@dataclass(frozen=True)
class InputPath:
    label: str
    read: Callable[[], tuple[Estate, str | None, int | None]]  # (estate, file SHA-256, file size)


def input_paths(raw: RawEstate) -> list[InputPath]:
    data = cli_export(raw)
    lists = raw.api_lists()

    def read_file() -> tuple[Estate, str | None, int | None]:
        return parse.parse_cli_json(data), hashlib.sha256(data).hexdigest(), len(data)

    def read_api() -> tuple[Estate, str | None, int | None]:
        return parse.estate_from_api(**lists), None, None

    return [
        InputPath(f"CLI JSON file ({len(data) / 1e6:.1f} MB, attachments embedded), parse_cli_json", read_file),
        InputPath("Platform API objects, estate_from_api", read_api),
    ]


# ---- databases -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backend:
    name: str
    fresh: Callable[[], AbstractContextManager[Engine]]


def sqlite_backend(work_dir: Path) -> Backend:
    counter = iter(range(1_000_000))

    @contextmanager
    def fresh() -> Iterator[Engine]:
        path = work_dir / f"heroku-{next(counter)}.sqlite3"
        engine = make_engine(f"sqlite:///{path.as_posix()}")
        try:
            with engine.begin() as connection:
                migrations.upgrade(connection)
            yield engine
        finally:
            engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    return Backend("SQLite", fresh)


def postgres_backend(admin_url: str) -> Backend:
    from benchmarks.audit import postgres_scratch

    @contextmanager
    def fresh() -> Iterator[Engine]:
        with postgres_scratch(admin_url) as (url, _version):
            engine = make_engine(url)
            try:
                with engine.begin() as connection:
                    migrations.upgrade(connection)
                yield engine
            finally:
                engine.dispose()

    return Backend("PostgreSQL", fresh)


def postgres_version(admin_url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar_one()).split()[0]
    finally:
        engine.dispose()


# ---- one import ----------------------------------------------------------------------------------


class SqlTimer:
    """Time spent in the driver (cursor executes) and how many there were, on one engine."""

    def __init__(self, engine: Engine) -> None:
        self.seconds = 0.0
        self.statements = 0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, _cursor: Any, _statement: Any, _parameters: Any, _context: Any, _many: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn: Any, _cursor: Any, _statement: Any, _parameters: Any, _context: Any, _many: Any) -> None:
        self.seconds += time.perf_counter() - conn.info["bench_started"].pop()
        self.statements += 1

    def take(self) -> tuple[float, int]:
        taken = self.seconds, self.statements
        self.seconds, self.statements = 0.0, 0
        return taken


@dataclass(frozen=True)
class Phases:
    parse_s: float
    apply_s: float
    sql_s: float  # inside apply: the driver's share
    statements: int
    commit_s: float
    report: ImportReport

    @property
    def total_s(self) -> float:
        return self.parse_s + self.apply_s + self.commit_s


def import_once(engine: Engine, source: InputPath, timer: SqlTimer) -> Phases:
    started = time.perf_counter()
    estate, sha256, size = source.read()
    parsed = time.perf_counter()
    timer.take()
    with open_session(write=True, engine=engine) as session:  # as session_scope(), on this engine
        try:
            report = importer.apply_estate(session, estate, actor=ACTOR, file_sha256=sha256, file_size=size)
            applied = time.perf_counter()
            sql_s, statements = timer.take()
            session.commit()
        except BaseException:
            session.rollback()
            raise
    committed = time.perf_counter()
    return Phases(parsed - started, applied - parsed, sql_s, statements, committed - applied, report)


# table -> id -> (the row's facts, its bookkeeping columns as (name, value) pairs)
Snapshot = dict[str, dict[Any, tuple[tuple[Any, ...], tuple[tuple[str, Any], ...]]]]


def snapshot(engine: Engine) -> Snapshot:
    """Every row of the tables an import writes, split into what it says and the bookkeeping columns."""
    out: Snapshot = {}
    with engine.connect() as connection:
        for model in SNAPSHOT_MODELS:
            table = model.__table__  # type: ignore[attr-defined]
            facts = [c.name for c in table.columns if c.name not in BOOKKEEPING]
            kept = [c.name for c in table.columns if c.name in BOOKKEEPING]
            out[table.name] = {
                row["id"]: (tuple(row[c] for c in facts), tuple((c, row[c]) for c in kept))
                for row in connection.execute(select(table)).mappings()
            }
    return out


def count(engine: Engine, model: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model)).scalar_one())


@dataclass(frozen=True)
class Sameness:
    """What the second import changed: nothing, or what it was."""

    problems: tuple[str, ...]
    unchanged_addons: int
    touched: dict[str, int]  # "table.column" -> rows whose bookkeeping column was rewritten

    @property
    def ok(self) -> bool:
        return not self.problems


def compare(first: ImportReport, again: ImportReport, before: Snapshot, after: Snapshot) -> Sameness:
    problems = []
    created, updated = sum(again.created.values()), sum(again.updated.values())
    for name, value in (("created", created), ("updated", updated), ("gone", again.gone),
                        ("returned", again.returned), ("linked", again.linked)):
        if value:
            problems.append(f"report: {name} {value}")
    if again.unchanged_addons != first.created["addons"]:
        problems.append(f"report: {again.unchanged_addons} unchanged add-ons, not {first.created['addons']}")
    touched: dict[str, int] = {}
    for table, rows in before.items():
        later = after[table]
        if rows.keys() != later.keys():
            problems.append(f"{table}: {len(later.keys() - rows.keys())} rows added, {len(rows.keys() - later.keys())} gone")
        differing = sum(1 for key, (facts, _) in rows.items() if key in later and later[key][0] != facts)
        if differing:
            problems.append(f"{table}: {differing} rows changed")
        for key, (_, kept) in rows.items():
            for (column, value), (_, value_after) in zip(kept, later.get(key, (None, kept))[1], strict=True):
                if value_after != value:
                    touched[f"{table}.{column}"] = touched.get(f"{table}.{column}", 0) + 1
    return Sameness(tuple(problems), again.unchanged_addons, touched)


# ---- runs and figures ----------------------------------------------------------------------------


@dataclass
class Case:
    backend: str
    source: str
    first: list[Phases] = field(default_factory=list)
    again: list[Phases] = field(default_factory=list)
    sameness: list[Sameness] = field(default_factory=list)
    first_problems: list[str] = field(default_factory=list)
    error: str | None = None
    cut: int = 0  # runs dropped to stay within the time budget

    def lines(self, width: int) -> list[str]:
        if self.error is not None:
            return [f"{'  ' + self.backend + ':':<{width}}  failed: {self.error}  {MISSED}"]
        lines = [
            _phase_line(f"  {self.backend}: first import, fresh database", self.first, TARGET_FIRST_S, width,
                        self.cut),
            _phase_line(f"  {self.backend}: the same import again", self.again, TARGET_AGAIN_S, width, self.cut),
        ]
        if self.first_problems:
            lines.append(f"{'  ' + self.backend + ': first import stored':<{width}}  "
                         f"{'; '.join(dict.fromkeys(self.first_problems))}  {MISSED}")
        problems = list(dict.fromkeys(p for s in self.sameness for p in s.problems))
        last = self.sameness[-1]
        again = self.again[-1].report
        touched = ", ".join(f"{column} {n:,}" for column, n in last.touched.items())
        lines.append(
            f"{'  ' + self.backend + ': again, changed nothing':<{width}}  "
            f"created {sum(again.created.values())}, updated {sum(again.updated.values())}, gone {again.gone} "
            f"(returned {again.returned}, linked {again.linked}); {last.unchanged_addons:,} add-ons unchanged; "
            f"rows equal apart from bookkeeping ({touched or 'none rewritten'})  "
            f"{verdict(not problems)}" + (f"  [{'; '.join(problems)}]" if problems else "")
        )
        return lines

    @property
    def missed(self) -> int:
        if self.error is not None:
            return 1
        first_ok = statistics.median(p.total_s for p in self.first) <= TARGET_FIRST_S
        again_ok = statistics.median(p.total_s for p in self.again) <= TARGET_AGAIN_S
        return (not first_ok) + (not again_ok) + bool(self.first_problems) + (not all(s.ok for s in self.sameness))


def _phase_line(label: str, runs: list[Phases], target: float, width: int, cut: int) -> str:
    def med(values: Iterator[float]) -> float:
        return statistics.median(list(values))

    total = med(p.total_s for p in runs)
    parse_s, apply_s, commit_s = med(p.parse_s for p in runs), med(p.apply_s for p in runs), med(p.commit_s for p in runs)
    sql_s, statements = med(p.sql_s for p in runs), round(med(float(p.statements) for p in runs))
    each = " / ".join(f"{p.total_s:.2f}" for p in runs)
    cut_text = f", {cut} cut by the time budget" if cut else ""
    return (f"{label:<{width}}  median {total:6.2f} s  [parse {parse_s:5.2f}  apply {apply_s:5.2f} "
            f"(SQL {sql_s:4.2f} s, {statements:,} statements)  commit {commit_s:5.3f}]  (target <= {target:g} s)  "
            f"{verdict(total <= target)}  (runs {each}{cut_text})")


def run_case(backend: Backend, source: InputPath, *, runs: int, budget_s: float) -> Case:
    case = Case(backend.name, source.label)
    started = time.monotonic()
    last = 0.0
    for index in range(runs):
        if index and time.monotonic() - started + last > budget_s:
            case.cut = runs - index
            break
        run_started = time.monotonic()
        try:
            with backend.fresh() as engine:
                timer = SqlTimer(engine)
                first = import_once(engine, source, timer)
                stored = count(engine, AddonInstallation)
                if first.report.created["addons"] != ADDONS or stored != ADDONS:
                    case.first_problems.append(f"{first.report.created['addons']:,} add-ons created, {stored:,} "
                                               f"stored, not {ADDONS:,}")
                if first.report.skipped:
                    case.first_problems.append(f"{len(first.report.skipped)} skipped (first: "
                                               f"{first.report.skipped[0].what}: {first.report.skipped[0].reason})")
                before = snapshot(engine)
                again = import_once(engine, source, timer)
                after = snapshot(engine)
                sameness = compare(first.report, again.report, before, after)
                imports = count(engine, HerokuImport)
                if imports != 2:
                    sameness = Sameness((*sameness.problems, f"{imports} heroku_import rows, not 2"),
                                        sameness.unchanged_addons, sameness.touched)
        except (SQLAlchemyError, RuntimeError, ValueError, OSError) as error:
            case.error = f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"
            return case
        case.first.append(first)
        case.again.append(again)
        case.sameness.append(sameness)
        last = time.monotonic() - run_started
    return case


def section(work_dir: Path, width: int, *, postgres_url: str | None = None, runs: int = 3) -> int:
    """Prints the Heroku import figures (SQLite, and PostgreSQL when given a URL); returns the targets missed."""
    work_dir.mkdir(parents=True, exist_ok=True)
    runs = max(1, runs)
    started = time.perf_counter()
    raw = make_estate(apps=APPS, addons=ADDONS, seed=SEED)
    sources = input_paths(raw)
    built = time.perf_counter() - started
    print(f"\nheroku import: make_estate(apps={APPS}, addons={ADDONS:,}, seed={SEED}) from tests.heroku.estate_factory "
          f"({len(raw.spaces)} spaces, {len(raw.apps)} apps, {len(raw.addons):,} add-ons, {len(raw.attachments):,} "
          f"attachments, {len(raw.used_plans())} plans; built with its CLI file in {built:.1f} s); each run into a "
          f"fresh migrated database, then the same import again; median of {runs} run(s); parse + apply + commit in "
          f"one writing session, timed apart")

    backends = [sqlite_backend(work_dir)]
    if postgres_url:
        try:
            version = postgres_version(postgres_url)
            backends.append(postgres_backend(postgres_url))
            print(f"PostgreSQL {version} at {make_url(postgres_url).host}: a scratch database per run, dropped after it")
        except OperationalError as exc:
            print(f"PostgreSQL at {make_url(postgres_url).host}: skipped, the server did not answer ({exc.orig})")
    else:
        print("PostgreSQL: skipped (no --postgres-url or TEST_DATABASE_URL)")

    missed = 0
    budget = BUDGET_S / (len(backends) * len(sources))
    for source in sources:
        print(source.label)
        for backend in backends:
            case = run_case(backend, source, runs=runs, budget_s=budget)
            for line in case.lines(width):
                print(line)
            missed += case.missed
    return missed


# ---- profile -------------------------------------------------------------------------------------


def profile(work_dir: Path, *, top: int = 25) -> None:
    """cProfile of one first import and one re-import per input path, on SQLite."""
    raw = make_estate(apps=APPS, addons=ADDONS, seed=SEED)
    backend = sqlite_backend(work_dir)
    for source in input_paths(raw):
        with backend.fresh() as engine:
            timer = SqlTimer(engine)
            for name in ("first import", "the same import again"):
                profiler = cProfile.Profile()
                profiler.enable()
                import_once(engine, source, timer)
                profiler.disable()
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out).strip_dirs()
                stats.sort_stats("cumulative").print_stats(top)
                stats.sort_stats("tottime").print_stats(top)
                print(f"\n==== profile: {source.label}, {name} ====")
                print(out.getvalue())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.heroku", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="fresh-database runs per input path and backend")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL"),
                        help="PostgreSQL server (a scratch database is created there per run and dropped); "
                        "default $TEST_DATABASE_URL, none: SQLite only")
    parser.add_argument("--profile", action="store_true", help="then print a cProfile of one run per input path")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args(argv)
    work_dir = Path(tempfile.mkdtemp(prefix="riskreg-bench-heroku-"))
    # Nothing here reads the app's settings, but should anything do so, let it find a scratch database.
    os.environ.pop("RISKREG_DATABASE_URL", None)
    os.environ["DATABASE_URL"] = f"sqlite:///{(work_dir / 'settings.sqlite3').as_posix()}"
    os.environ["RISKREG_DATA_DIR"] = str(work_dir)
    try:
        missed = section(work_dir, 44, postgres_url=args.postgres_url, runs=args.runs)
        print(f"\n{missed} target(s) {MISSED}" if missed else "\nall targets met")
        if args.profile:
            profile(work_dir)
        return 0
    finally:
        if args.keep:
            print(f"\nkept {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
