"""Test plumbing: a migrated database per backend, one rolled-back transaction per test.

Every test that asks for `db` or `client` runs on SQLite, and again on PostgreSQL when
TEST_DATABASE_URL is set. With RISKREG_TEST_REQUIRE=postgresql (CI sets it) a missing or
unreachable PostgreSQL fails the run instead of skipping.
"""

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

# Settings are read once; point them at a scratch folder before the app is imported.
# In memory-backed /dev/shm where there is one: the suite's SQLite files and stored blobs are scratch, and
# their fsyncs (real ones: WAL, the filesystem store's) were a large part of the suite's time on disk.
_SHM = Path("/dev/shm")
_SCRATCH = Path(tempfile.mkdtemp(prefix="riskreg-tests-", dir=_SHM if _SHM.is_dir() and os.access(_SHM, os.W_OK) else None))
os.environ["RISKREG_DATA_DIR"] = str(_SCRATCH)
os.environ["RISKREG_ENV"] = "development"
os.environ.pop("DATABASE_URL", None)

import pytest  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.core import migrations  # noqa: E402
from app.core.db import get_session, make_engine, transaction  # noqa: E402
from app.main import create_app  # noqa: E402

REQUIRED = {part.strip() for part in os.environ.get("RISKREG_TEST_REQUIRE", "").split(",") if part.strip()}
_ran: dict[str, int] = {}


def unavailable(what: str, why: str) -> None:
    """Skip a test whose backing service is missing, or fail it when CI requires that service."""
    if what in REQUIRED:
        pytest.fail(f"{what} is required (RISKREG_TEST_REQUIRE) but {why}", pytrace=False)
    pytest.skip(f"{what}: {why}")


def _postgres_admin_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        unavailable("postgresql", "TEST_DATABASE_URL is not set")
    return str(url)


class ScratchDatabases:
    """Creates empty databases on one backend and drops them at the end of the run."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self._made: list[str] = []
        self._admin: Engine | None = None
        if backend == "postgresql":
            admin_url = _postgres_admin_url()
            self._admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            try:
                with self._admin.connect() as conn:
                    conn.execute(text("SELECT 1"))
            except OperationalError as exc:
                unavailable("postgresql", f"the server at {make_url(admin_url).host} did not answer: {exc.orig}")

    def new_url(self) -> str:
        name = f"riskreg_t_{uuid.uuid4().hex[:12]}"
        if self.backend == "sqlite":
            return f"sqlite:///{_SCRATCH / (name + '.sqlite3')}"
        assert self._admin is not None
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self._made.append(name)
        # Scratch data: commits need not wait for the WAL to reach the disk (a killed client still loses
        # nothing committed; only a crash of the machine would).
        url = make_url(str(self._admin.url)).set(database=name)
        url = url.update_query_dict({"options": "-c synchronous_commit=off"})
        return url.render_as_string(hide_password=False)

    def close(self) -> None:
        if self._admin is None:
            return
        with self._admin.connect() as conn:
            for name in self._made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def scratch(backend: str) -> Iterator[ScratchDatabases]:
    databases = ScratchDatabases(backend)
    yield databases
    databases.close()


@pytest.fixture(scope="session")
def engine(scratch: ScratchDatabases) -> Iterator[Engine]:
    """The test database of this backend, migrated once with `alembic upgrade head`."""
    engine = make_engine(scratch.new_url())
    with engine.begin() as connection:
        migrations.upgrade(connection)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine, backend: str) -> Iterator[object]:
    conn = engine.connect()
    outer = conn.begin()
    ran(backend)
    yield conn
    outer.rollback()
    conn.close()


def _session(connection: object) -> Session:
    return Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)  # type: ignore[arg-type]


@pytest.fixture
def db(connection: object) -> Iterator[Session]:
    """A session inside the test's transaction; its commits are savepoints, all undone afterwards."""
    with _session(connection) as session:
        yield session


def bind_to(application: FastAPI, connection: object) -> FastAPI:
    """Make every request of `application` run in its own savepoint inside the test's transaction."""

    def _request_session() -> Iterator[Session]:
        with _session(connection) as session:
            yield from transaction(session)

    application.dependency_overrides[get_session] = _request_session
    return application


@pytest.fixture
def app(connection: object) -> FastAPI:
    return bind_to(create_app(load_questionnaires=False), connection)


@pytest.fixture
def auth_headers(db: Session):
    """`auth_headers(role)`: an Authorization header for a fresh user of that role (made once per role)."""
    from tests.factories import bearer, make_token, make_user

    made: dict[str, dict[str, str]] = {}

    def headers_for(role: str = "admin") -> dict[str, str]:
        if role not in made:
            user = make_user(db, role=role)
            made[role] = bearer(make_token(db, user))
            db.commit()
        return made[role]

    return headers_for


@pytest.fixture
def client(app: FastAPI, auth_headers) -> Iterator[TestClient]:
    """A client signed in as an admin through an API token; pass other `headers=` to act as someone else."""
    with TestClient(app, raise_server_exceptions=False, headers=auth_headers("admin")) as test_client:
        yield test_client


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def pytest_configure(config: pytest.Config) -> None:
    """Test folders (tmp_path) in memory too, unless --basetemp says where; xdist workers get theirs inside the
    controller's."""
    if config.option.basetemp is None and not hasattr(config, "workerinput") and _SCRATCH.parent == _SHM:
        config.option.basetemp = str(_SCRATCH / "pytest")


def pytest_unconfigure(config: pytest.Config) -> None:
    """The scratch folder goes with the run (in /dev/shm it would hold memory until the machine restarts)."""
    shutil.rmtree(_SCRATCH, ignore_errors=True)


def ran(what: str) -> None:
    """Counts a test that used `what` (a database backend, the browser) for the check at the end."""
    _ran[what] = _ran.get(what, 0) + 1


# Under pytest-xdist (`make test` runs two or more workers) each worker counts what its tests used and hands
# the counts to the controller, which checks the sum.
def pytest_testnodedown(node: object, error: object) -> None:
    for what, count in getattr(node, "workeroutput", {}).get("riskreg_ran", {}).items():
        _ran[what] = _ran.get(what, 0) + count


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:  # an xdist worker: report, the controller decides
        worker_output["riskreg_ran"] = dict(_ran)
        return
    for what, name in (("postgresql", "PostgreSQL"), ("browser", "Chromium")):
        if what in REQUIRED and not _ran.get(what) and exitstatus == 0:
            print(f"\nRISKREG_TEST_REQUIRE={what} but no test ran on {name}")
            session.exitstatus = 1


@pytest.fixture(scope="session")
def shipped_catalogue():
    from app.core.config import ROOT
    from app.questionnaires.loader import load_dir

    return load_dir(ROOT / "questionnaires")


@pytest.fixture
def questionnaires(db: Session, shipped_catalogue):
    """The shipped questionnaires, stored in this test's database as start-up would store them."""
    from app.questionnaires import service as questionnaire_service

    report = questionnaire_service.sync_catalogue(db, shipped_catalogue)
    db.commit()
    return report
