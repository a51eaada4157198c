"""Audit events may only be appended after the last one.

SQLite's INSERT OR REPLACE (and PostgreSQL's INSERT ... ON CONFLICT DO UPDATE) would otherwise
rewrite an existing event without firing the UPDATE/DELETE guards.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 04:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "audit_event is append-only: a new event must come after the last"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION audit_event_append_at_end() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.seq <= (SELECT coalesce(max(seq), 0) FROM audit_event) THEN
                    RAISE EXCEPTION '{MESSAGE}';
                END IF;
                RETURN NEW;
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_event_insert_at_end BEFORE INSERT ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_at_end()"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_event_insert_at_end BEFORE INSERT ON audit_event "
            "WHEN NEW.seq <= (SELECT coalesce(max(seq), 0) FROM audit_event) "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_event_insert_at_end ON audit_event")
        op.execute("DROP FUNCTION audit_event_append_at_end()")
    else:
        op.execute("DROP TRIGGER audit_event_insert_at_end")
