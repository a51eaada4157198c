"""Migrations: one head, a clean round trip, and models that match what the migrations build."""

import re
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from app.core import migrations
from app.core.db import make_engine

TABLES = {"vendor", "integration", "user_account", "api_token", "web_session", "audit_event"}
VERSIONS = Path(migrations.ROOT, "migrations", "versions")


def test_there_is_a_single_head():
    script = ScriptDirectory.from_config(migrations.alembic_config())
    assert len(script.get_heads()) == 1


def test_migration_files_are_named_by_date_and_slug():
    for path in VERSIONS.glob("*.py"):
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}_[a-z0-9_]+\.py", path.name), path.name


def test_upgrade_downgrade_upgrade_round_trip(scratch):
    engine = make_engine(scratch.new_url())
    try:
        with engine.begin() as conn:
            migrations.upgrade(conn)
        assert TABLES <= set(inspect(engine).get_table_names())
        with engine.begin() as conn:
            migrations.downgrade(conn, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        with engine.begin() as conn:
            migrations.upgrade(conn)
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_models_match_migrations(engine):
    """`alembic check`: autogenerate finds nothing to add, drop or alter."""
    with engine.connect() as conn:
        command.check(migrations.alembic_config(conn))


def test_constraint_names_follow_the_convention(engine):
    inspector = inspect(engine)
    assert inspector.get_pk_constraint("vendor")["name"] in ("pk_vendor", None)  # SQLite does not keep PK names
    names = {fk["name"] for fk in inspector.get_foreign_keys("integration")}
    assert names == {"fk_integration_vendor_id_vendor", "fk_integration_requested_by_id_user_account"}
    assert "uq_vendor_legal_name" in {uq["name"] for uq in inspector.get_unique_constraints("vendor")}
