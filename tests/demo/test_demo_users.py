"""seed-demo's users: one per role with the public demo password, created once, never in production."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from app.auth import service as auth_service
from app.auth.models import Role, User
from app.core.config import get_settings
from app.core.security import verify_password
from app.demo import data
from app.demo.jobs import DemoDataInProduction, seed_demo, seed_demo_users
from tests.auth.test_cli import Cli, new_cli, signs_in
from tests.conftest import ScratchDatabases
from tests.factories import make_user
from tests.test_cli import SEED_LINE, assert_clean_failure

USERS_LINE = re.compile(r"demo users: created (\d+), already present (\d+)")
DEMO_EMAILS = {u.email for u in data.DEMO_USERS}


def demo_users(db: Session) -> list[User]:
    return list(db.execute(select(User).where(User.email.in_(DEMO_EMAILS))).scalars())  # type: ignore[attr-defined]


def test_one_demo_user_per_role_with_a_password_the_app_accepts() -> None:
    assert sorted(u.role for u in data.DEMO_USERS) == sorted(r.value for r in Role)
    assert all(u.email.endswith("@riskreg.local") for u in data.DEMO_USERS)
    auth_service.check_password_strength(data.DEMO_PASSWORD)


def test_seed_demo_creates_the_users_once(db: Session) -> None:
    first = seed_demo(db)
    second = seed_demo(db)

    assert (first.users_created, first.users_existing) == (len(data.DEMO_USERS), 0)
    assert (second.users_created, second.users_existing) == (0, len(data.DEMO_USERS))
    users = demo_users(db)
    assert {(u.email, u.role) for u in users} == {(u.email, u.role) for u in data.DEMO_USERS}
    assert all(u.is_active and verify_password(u.password_hash, data.DEMO_PASSWORD) for u in users)


def test_a_demo_user_that_exists_is_left_alone(db: Session) -> None:
    mine = make_user(db, role=Role.auditor, email="ADMIN@riskreg.local", password="my own password 42")

    report = seed_demo_users(db)

    assert (report.created, report.existing) == (len(data.DEMO_USERS) - 1, 1)
    db.refresh(mine)
    assert mine.role == "auditor" and mine.version == 1
    assert verify_password(mine.password_hash, "my own password 42")


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RISKREG_ENV", "production")
    monkeypatch.setenv("RISKREG_SECRET_KEY", "s" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql://riskreg@db.example.com/riskreg")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_demo_users_are_refused_in_production(db: Session, production: None) -> None:
    with pytest.raises(DemoDataInProduction, match="never created"):
        seed_demo_users(db)

    assert demo_users(db) == []


def test_forcing_seed_demo_in_production_still_creates_no_users(db: Session, production: None) -> None:
    report = seed_demo(db, force=True)

    assert report.vendors_created > 0
    assert (report.users_created, report.users_existing, report.users_refused_in_production) == (0, 0, True)
    assert db.execute(select(func.count()).select_from(User)).scalar_one() == 0


# --- the command ---


@pytest.fixture
def cli(scratch: ScratchDatabases, tmp_path: Path) -> Cli:
    return new_cli(scratch, tmp_path)


def test_seed_demo_prints_how_to_sign_in_and_creates_users_once(cli: Cli) -> None:
    first = cli("seed-demo")

    assert first.returncode == 0, first.stderr
    assert SEED_LINE.search(first.stdout)
    assert USERS_LINE.search(first.stdout).groups() == (str(len(data.DEMO_USERS)), "0")  # type: ignore[union-attr]
    assert "http://127.0.0.1:8000/login" in first.stdout
    assert f"password {data.DEMO_PASSWORD}" in first.stdout
    for user in data.DEMO_USERS:
        assert re.search(rf"^\s+{re.escape(user.email)}\s+{user.role}$", first.stdout, re.MULTILINE)
    assert ".venv/bin/riskreg tokens create --email admin@riskreg.local --name local" in first.stdout
    assert signs_in(cli, "auditor@riskreg.local", data.DEMO_PASSWORD)

    second = cli("seed-demo")
    assert USERS_LINE.search(second.stdout).groups() == ("0", str(len(data.DEMO_USERS)))  # type: ignore[union-attr]


def test_seed_demo_in_production_creates_no_users_even_forced(cli: Cli) -> None:
    production = cli.env | {"RISKREG_ENV": "production", "RISKREG_SECRET_KEY": "p" * 48}
    prod_cli = Cli(env=production, url=cli.url)

    assert_clean_failure(prod_cli("seed-demo"), "production", "--force")
    forced = prod_cli("seed-demo", "--force")

    assert forced.returncode == 0, forced.stderr
    assert "demo users: none created" in forced.stdout
    assert data.DEMO_PASSWORD not in forced.stdout and "/login" not in forced.stdout
    with cli.session() as session:
        assert session.execute(select(func.count()).select_from(User)).scalar_one() == 0
