"""The `riskreg` command end to end: real subprocesses against a fresh, empty database."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app import __version__
from tests.conftest import ScratchDatabases

ROOT = Path(__file__).resolve().parents[1]
_SCRIPT = Path(sys.executable).with_name("riskreg")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "app.cli"]
SEED_LINE = re.compile(
    r"demo data: vendors created (\d+), already present (\d+); integrations created (\d+), already present (\d+)"
)


def riskreg(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The caller's environment minus any riskreg settings, plus `settings`."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("RISKREG_") and k not in ("DATABASE_URL", "PORT")
    }
    env["RISKREG_DATA_DIR"] = str(tmp_path / "var")
    return env | settings


def seeded(result: subprocess.CompletedProcess[str]) -> tuple[int, int, int, int]:
    assert result.returncode == 0, result.stderr
    match = SEED_LINE.search(result.stdout)
    assert match, result.stdout
    return tuple(int(n) for n in match.groups())  # type: ignore[return-value]


def assert_clean_failure(result: subprocess.CompletedProcess[str], *phrases: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for phrase in phrases:
        assert phrase in result.stderr


def test_version_prints_the_package_version(tmp_path: Path) -> None:
    result = riskreg("version", env=environment(tmp_path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == __version__


def test_migrate_then_seed_demo_twice_on_an_empty_database(scratch: ScratchDatabases, tmp_path: Path) -> None:
    env = environment(tmp_path, DATABASE_URL=scratch.new_url())

    migrated = riskreg("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert "database at head" in migrated.stdout

    first = riskreg("seed-demo", env=env)
    vendors, vendors_existing, integrations, integrations_existing = seeded(first)
    assert vendors > 0 and integrations > 0
    assert vendors_existing == integrations_existing == 0
    assert "development signing key" in first.stdout  # so legal can sign records in the demo
    shown = riskreg("signing", "show", env=env)
    assert shown.returncode == 0 and "days left" in shown.stdout, shown.stderr

    again = riskreg("seed-demo", env=env)
    assert seeded(again) == (0, vendors, 0, integrations)
    assert "development signing key" not in again.stdout


def test_seed_demo_refuses_production_unless_forced(scratch: ScratchDatabases, tmp_path: Path) -> None:
    env = environment(tmp_path, DATABASE_URL=scratch.new_url())
    assert riskreg("migrate", env=env).returncode == 0
    production = env | {"RISKREG_ENV": "production", "RISKREG_SECRET_KEY": "p" * 48}

    assert_clean_failure(riskreg("seed-demo", env=production), "error:", "production", "--force")

    vendors, _, integrations, _ = seeded(riskreg("seed-demo", "--force", env=production))
    assert vendors > 0 and integrations > 0


@pytest.mark.parametrize("command", ["migrate", "seed-demo"])
def test_configuration_error_exits_1_with_a_message_and_no_traceback(
    command: str, scratch: ScratchDatabases, tmp_path: Path
) -> None:
    env = environment(tmp_path, DATABASE_URL=scratch.new_url(), RISKREG_ENV="production")

    result = riskreg(command, env=env)

    assert_clean_failure(result, "configuration error", "RISKREG_SECRET_KEY")
