"""`riskreg audit verify` and `riskreg audit export`: real subprocesses on a fresh database, and their jobs."""

import io
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

from app.audit import chain
from app.audit import jobs as audit_jobs
from app.audit import service as audit_service
from app.audit.models import AuditEvent
from app.core.db import make_engine
from app.core.errors import InvalidInput
from tests.auth.test_cli import Cli, new_cli
from tests.conftest import ScratchDatabases
from tests.factories import TEST_ACTOR, make_token, make_user
from tests.test_cli import assert_clean_failure

INTACT = re.compile(r"audit trail intact: (\d+) events, head seq (\d+), hash ([0-9a-f]{64})")
COLUMNS = {c.key for c in AuditEvent.__table__.columns}  # type: ignore[attr-defined]


@pytest.fixture
def cli(scratch: ScratchDatabases, tmp_path: Path) -> Cli:
    return new_cli(scratch, tmp_path)


def some_history(cli: Cli) -> int:
    """Users, a token and a revocation written straight to the database; returns the event count."""
    with cli.session() as session:
        users = [make_user(session, role=role) for role in ("admin", "engineer", "auditor")]
        make_token(session, users[1], name="ci")
        audit_service.record(session, actor=TEST_ACTOR, action="note.added", subject_type="note", subject_id="ü-1",
                             changes={"text": {"before": None, "after": "naïve café ✓"}})
        session.commit()
    return head(cli)[0]


def head(cli: Cli) -> tuple[int, str]:
    with cli.session() as session:
        row = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).one()
        count = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    assert count == row.seq
    return row.seq, row.hash


def tamper(cli: Cli, statement: str) -> None:
    """Runs `statement` against the audit table past its append-only triggers, as an attacker with
    database access would: SQLite's triggers are dropped; PostgreSQL's are skipped for one transaction."""
    engine = make_engine(cli.url)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                connection.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
                connection.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))
            assert connection.execute(text(statement)).rowcount == 1
    finally:
        engine.dispose()


# --- verify ---


def test_verify_on_an_empty_trail_exits_0(cli: Cli) -> None:
    result = cli("audit", "verify")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "audit trail intact: 0 events"


def test_verify_is_intact_after_cli_changes_and_names_an_edited_event(cli: Cli) -> None:
    for args in (
        ["users", "create", "--email", "alice@example.com", "--role", "security"],
        ["users", "create", "--email", "bob@example.com", "--role", "engineer"],
        ["tokens", "create", "--email", "bob@example.com", "--name", "ci"],
        ["tokens", "revoke", "--email", "bob@example.com", "--name", "ci"],
        ["users", "disable", "--email", "bob@example.com"],
    ):
        assert cli(*args).returncode == 0, args
    seq, hash_ = head(cli)
    assert seq == 5

    intact = cli("audit", "verify")
    assert intact.returncode == 0, intact.stderr
    assert INTACT.fullmatch(intact.stdout.strip()), intact.stdout
    assert intact.stdout.strip() == f"audit trail intact: 5 events, head seq 5, hash {hash_}"

    tamper(cli, "UPDATE audit_event SET actor = 'someone-else' WHERE seq = 2")
    broken = cli("audit", "verify")

    assert_clean_failure(broken, "audit trail BROKEN at seq 2:", "event 2 was altered", "(1 event before it verified)")
    assert broken.stdout == ""


def test_verify_names_the_first_event_after_a_deleted_one(cli: Cli) -> None:
    some_history(cli)
    tamper(cli, "DELETE FROM audit_event WHERE seq = 3")

    broken = cli("audit", "verify")

    assert_clean_failure(broken, "audit trail BROKEN at seq 3:", "event 3 is missing (next found is 4)")


def test_verify_names_an_event_whose_changes_were_rewritten(cli: Cli) -> None:
    total = some_history(cli)
    tamper(cli, f"UPDATE audit_event SET subject_id = 'other' WHERE seq = {total}")

    assert_clean_failure(cli("audit", "verify"), f"BROKEN at seq {total}:", "altered")


# --- export ---


def parse_export(content: str) -> list[dict[str, Any]]:
    assert content.endswith("\n")
    return [json.loads(line) for line in content.splitlines()]


def test_export_writes_every_event_as_jsonl_whose_chain_recomputes(cli: Cli, tmp_path: Path) -> None:
    some_history(cli)
    assert cli("users", "create", "--email", "carol@example.com", "--role", "legal").returncode == 0
    total, head_hash = head(cli)
    target = tmp_path / "audit.jsonl"

    result = cli("audit", "export", "--format", "jsonl", "--output", str(target))

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert f"exported {total} audit events, seq 1–{total}, head hash {head_hash} to {target}" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp file left
    events = parse_export(target.read_text(encoding="utf-8"))
    assert len(events) == total
    assert [e["seq"] for e in events] == list(range(1, total + 1))
    assert all(set(e) == COLUMNS for e in events)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", e["at"]) for e in events)
    assert events[0]["prev_hash"] == chain.GENESIS
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in zip(events, events[1:], strict=False))
    assert any(e["changes"].get("text", {}).get("after") == "naïve café ✓" for e in events)
    # An auditor re-checks the chain from the file alone.
    verdict = chain.verify({**e, "at": datetime.fromisoformat(e["at"])} for e in events)
    assert verdict == chain.Verdict(True, total, head_seq=total, head_hash=head_hash)

    to_stdout = cli("audit", "export")
    assert to_stdout.returncode == 0, to_stdout.stderr
    assert parse_export(to_stdout.stdout) == events
    assert f"exported {total} audit events" in to_stdout.stderr and "to stdout" in to_stdout.stderr


def test_export_replaces_an_existing_file(cli: Cli, tmp_path: Path) -> None:
    total = some_history(cli)
    target = tmp_path / "audit.jsonl"
    target.write_text("old content\n" * 1000)

    assert cli("audit", "export", "-o", str(target)).returncode == 0

    assert len(parse_export(target.read_text())) == total


def test_export_of_an_empty_trail_writes_nothing(cli: Cli) -> None:
    result = cli("audit", "export")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "exported 0 audit events to stdout" in result.stderr


def test_export_supports_only_jsonl(cli: Cli) -> None:
    result = cli("audit", "export", "--format", "csv")

    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "jsonl" in result.stderr


def test_export_into_a_missing_folder_exits_1(cli: Cli, tmp_path: Path) -> None:
    assert_clean_failure(cli("audit", "export", "-o", str(tmp_path / "no" / "such.jsonl")), "does not exist")


# --- the jobs ---


def test_event_json_is_one_line_with_at_in_utc(db: Session) -> None:
    event = audit_service.record(db, actor=TEST_ACTOR, action="note.added", subject_type="note", subject_id=1,
                                 changes={"text": {"before": None, "after": "line one\nline two"}})
    row = next(audit_service.iter_events(db))

    line = audit_jobs.event_json(row)

    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["at"] == event.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert parsed["hash"] == event.hash and parsed["changes"]["text"]["after"] == "line one\nline two"


def test_export_to_a_file_keeps_the_old_file_when_the_export_fails(
    db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit_service.record(db, actor=TEST_ACTOR, action="note.added", subject_type="note", subject_id=1)
    target = tmp_path / "audit.jsonl"
    target.write_text("the previous export\n")
    real = audit_service.iter_events

    def failing(session: Session, **kwargs: Any) -> Any:
        yield from real(session, **kwargs)
        raise ConnectionError("server closed the connection")

    monkeypatch.setattr(audit_service, "iter_events", failing)

    with pytest.raises(ConnectionError):
        audit_jobs.export_jsonl_to_file(db, target)

    assert target.read_text() == "the previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["audit.jsonl"]


def test_export_to_a_folder_is_refused(db: Session, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="is a folder"):
        audit_jobs.export_jsonl_to_file(db, tmp_path)


def test_export_jsonl_reports_count_and_head(db: Session) -> None:
    for n in range(3):
        audit_service.record(db, actor=TEST_ACTOR, action="note.added", subject_type="note", subject_id=n)
    out = io.StringIO()

    result = audit_jobs.export_jsonl(db, out)

    lines = out.getvalue().splitlines()
    assert result.events == len(lines) >= 3
    assert result.head_seq == json.loads(lines[-1])["seq"]
    assert result.head_hash == json.loads(lines[-1])["hash"]
