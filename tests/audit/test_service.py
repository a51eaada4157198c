"""Audit events in the database, on SQLite and PostgreSQL: append, round trip, append-only, verify, list."""

import enum
import random
import struct
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.audit import chain
from app.audit import service as audit
from app.audit.service import Actor

SYSTEM = Actor.system("tests")
ALICE = Actor(type="user", id=11, label="alice@riskreg.test", role="security")
BOB = Actor(type="user", id=12, label="bob@riskreg.test", role="engineer")


def head_seq(db: Session) -> int:
    return db.execute(text("SELECT coalesce(max(seq), 0) FROM audit_event")).scalar_one()


def append(db: Session, n: int, *, actor: Actor = SYSTEM, **kwargs: Any) -> list[Any]:
    return [
        audit.record(db, actor=actor, action=kwargs.get("action", "vendor.updated"),
                     subject_type=kwargs.get("subject_type", "vendor"), subject_id=kwargs.get("subject_id", i),
                     changes=kwargs.get("changes", {"name": {"before": f"V{i}", "after": f"V{i} Ltd"}}))
        for i in range(n)
    ]


def stored(db: Session) -> list[dict[str, Any]]:
    """Every event as read back from the database (rows, not the session's objects)."""
    return list(audit.iter_events(db))


@pytest.fixture
def guard_off(db: Session, backend: str) -> Iterator[None]:
    """Lifts the append-only triggers inside this test's transaction (rolled back with it)."""
    if backend == "sqlite":
        db.execute(text("DROP TRIGGER audit_event_no_update"))
        db.execute(text("DROP TRIGGER audit_event_no_delete"))
    else:
        db.execute(text("SET LOCAL session_replication_role = replica"))
    yield


# ---- append ----------------------------------------------------------------------------------------


def test_record_appends_seq_linked_by_prev_hash(db: Session) -> None:
    base = head_seq(db)
    events = append(db, 5)
    assert [e.seq for e in events] == list(range(base + 1, base + 6))
    for previous, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == previous.hash
    if base == 0:
        assert events[0].prev_hash == chain.GENESIS
    for event in events:
        assert event.hash == chain.chain_hash(event.prev_hash, event.model_dump())
        assert len(event.hash) == 64
    verdict = audit.verify_chain(db)
    assert verdict.ok, verdict
    assert (verdict.checked, verdict.head_seq, verdict.head_hash) == (base + 5, base + 5, events[-1].hash)


def test_record_writes_the_actor_subject_and_utc_time(db: Session) -> None:
    before = datetime.now(UTC)
    event = audit.record(db, actor=ALICE, action="vendor.created", subject_type="vendor", subject_id=42)
    row = stored(db)[-1]
    assert row["seq"] == event.seq
    assert (row["actor_type"], row["actor_id"], row["actor"]) == ("user", 11, "alice@riskreg.test")
    assert (row["action"], row["subject_type"], row["subject_id"], row["changes"]) == ("vendor.created", "vendor",
                                                                                         "42", {})
    assert row["at"].tzinfo is not None and row["at"].utcoffset() == timedelta(0)
    assert before <= row["at"] <= datetime.now(UTC)
    system = audit.record(db, actor=SYSTEM, action="x", subject_type="y", subject_id="z")
    assert (system.actor_type, system.actor_id, system.actor) == ("system", None, "tests")


def test_record_is_part_of_the_callers_transaction(db: Session) -> None:
    base = head_seq(db)
    with db.begin_nested() as savepoint:
        append(db, 3)
        savepoint.rollback()
    assert head_seq(db) == base
    event = append(db, 1)[0]
    assert event.seq == base + 1
    assert audit.verify_chain(db).ok


class Colour(enum.Enum):
    red = "red"


TRICKY_FLOATS = [
    0.1, 1.5, 100.0, -2.5e-8, 1e-7, 5e-324, 2.2250738585072014e-308, 123456789.123456789, 1e15, 9999999999999998.0,
    1e16, 1.2345e20, -1e22, 1.7976931348623157e308, -0.0, 0.0, float("nan"), float("inf"), float("-inf"),
]


def test_stored_events_round_trip_and_verify(db: Session) -> None:
    """What is hashed is what the database gives back: nested JSON, unicode, numbers, datetimes, None."""
    rng = random.Random(20261129)
    random_floats = [struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0] for _ in range(200)]
    changes_list: list[dict[str, Any]] = [
        {},
        {"name": {"before": None, "after": "Zürich Ärzte GmbH — 医療データ 🚑"}},
        {"notes": {"before": "a\tb\nc \"quoted\" \\ back", "after": "\u200b\u202eRTL\u00e9 vs e\u0301"}},
        {"nested": {"before": {"a": [1, {"b": [None, True, False]}], "z": {}}, "after": {"list": [[], [[]]]}}},
        {"numbers": {"before": TRICKY_FLOATS, "after": [2**63, -(2**63) - 1, 10**30, 9007199254740993]}},
        {"random": {"before": random_floats[:100], "after": random_floats[100:]}},
        {"when": {"before": datetime(2026, 1, 1, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-7))),
                  "after": date(2026, 2, 28)}},
        {"python": {"before": (1, 2), "after": {"enum": Colour.red, "decimal": Decimal("1.50"), "set": [3, 1]}}},
        {"ключ": {"before": "значение", "after": None}, "": {"before": "", "after": " "}},
        {"long": {"before": "x" * 20_000, "after": "y"}},
    ]
    base = head_seq(db)
    for index, changes in enumerate(changes_list):
        audit.record(db, actor=ALICE, action="vendor.updated", subject_type="vendor", subject_id=f"ü-{index}",
                     changes=changes)
    db.expire_all()
    rows = stored(db)[base:]
    assert len(rows) == len(changes_list)
    for row in rows:
        assert row["hash"] == chain.chain_hash(row["prev_hash"], row), f"event {row['seq']} does not round-trip"
    verdict = audit.verify_chain(db)
    assert verdict.ok, verdict
    floats = rows[4]["changes"]["numbers"]["before"]
    assert floats[TRICKY_FLOATS.index(1e16)] == 10**16
    assert floats[-3:] == ["NaN", "Infinity", "-Infinity"]
    assert rows[6]["changes"]["when"] == {"before": "2026-01-01T23:59:59.999999-07:00", "after": "2026-02-28"}
    assert rows[1]["changes"]["name"]["after"] == "Zürich Ärzte GmbH — 医療データ 🚑"


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 11, 29, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 11, 29, 0, 0, 0, 1, tzinfo=UTC),
        datetime(2026, 11, 29, 0, 0, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 30, 1, 0, 0, 500000, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_event_time_round_trips_to_the_microsecond(db: Session, monkeypatch: pytest.MonkeyPatch,
                                                   at: datetime) -> None:
    monkeypatch.setattr(audit, "utcnow", lambda: at)
    event = append(db, 1)[0]
    row = stored(db)[-1]
    assert row["seq"] == event.seq
    assert row["at"] == at
    assert audit.verify_chain(db).ok


# ---- append-only ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET actor = 'mallory@riskreg.test' WHERE seq = :seq",
        "UPDATE audit_event SET hash = prev_hash",
        "DELETE FROM audit_event WHERE seq = :seq",
        "DELETE FROM audit_event",
    ],
)
def test_the_database_refuses_update_and_delete(db: Session, statement: str) -> None:
    event = append(db, 3)[1]
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text(statement), {"seq": event.seq})
    assert audit.verify_chain(db).ok
    assert stored(db)[event.seq - 1]["actor"] == "tests"


def test_postgresql_refuses_truncate(db: Session, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    append(db, 2)
    with pytest.raises(DBAPIError, match="append-only: TRUNCATE"), db.begin_nested():
        db.execute(text("TRUNCATE audit_event"))
    assert audit.verify_chain(db).ok


# ---- tampering found by verify ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "'mallory@riskreg.test'"),
        ("actor_id", "999"),
        ("action", "'vendor.created'"),
        ("subject_id", "'0'"),
        ("changes", "'{}'"),
        ("changes", """'{"name": {"before": "V3", "after": "V3 (approved)"}}'"""),
        ("hash", "prev_hash"),
        ("prev_hash", "hash"),
    ],
)
def test_an_edited_row_is_found_with_its_seq(db: Session, guard_off: None, column: str, value: str) -> None:
    base = head_seq(db)
    append(db, 6)
    target = base + 4
    db.execute(text(f"UPDATE audit_event SET {column} = {value} WHERE seq = :seq"), {"seq": target})
    verdict = audit.verify_chain(db)
    assert not verdict.ok
    assert verdict.first_bad_seq == target, verdict
    assert verdict.checked == target - 1
    assert str(target) in (verdict.problem or "")


def test_a_time_edited_by_one_microsecond_is_found(db: Session, guard_off: None) -> None:
    events = append(db, 4)
    target = events[1]
    db.execute(text("UPDATE audit_event SET at = :at WHERE seq = :seq"),
               {"at": (target.at + timedelta(microseconds=1)).replace(tzinfo=None), "seq": target.seq})
    assert audit.verify_chain(db).first_bad_seq == target.seq


def test_an_edited_row_with_a_recomputed_hash_breaks_the_next_link(db: Session, guard_off: None) -> None:
    events = append(db, 4)
    target = stored(db)[events[1].seq - 1] | {"actor": "mallory@riskreg.test"}
    db.execute(text("UPDATE audit_event SET actor = :actor, hash = :hash WHERE seq = :seq"),
               {"actor": target["actor"], "hash": chain.chain_hash(target["prev_hash"], target), "seq": target["seq"]})
    verdict = audit.verify_chain(db)
    assert (verdict.ok, verdict.first_bad_seq) == (False, events[2].seq)


@pytest.mark.parametrize("position", [0, 2, 4])
def test_a_deleted_row_is_found_as_the_first_missing_seq(db: Session, guard_off: None, position: int) -> None:
    base = head_seq(db)
    append(db, 6)
    target = base + 1 + position
    db.execute(text("DELETE FROM audit_event WHERE seq = :seq"), {"seq": target})
    verdict = audit.verify_chain(db)
    assert (verdict.ok, verdict.first_bad_seq) == (False, target), verdict
    assert "missing" in (verdict.problem or "")


def test_two_swapped_rows_are_found(db: Session, guard_off: None) -> None:
    base = head_seq(db)
    append(db, 6)
    a, b = base + 3, base + 4
    db.execute(text("UPDATE audit_event SET seq = -1 WHERE seq = :a"), {"a": a})
    db.execute(text("UPDATE audit_event SET seq = :a WHERE seq = :b"), {"a": a, "b": b})
    db.execute(text("UPDATE audit_event SET seq = :b WHERE seq = -1"), {"b": b})
    verdict = audit.verify_chain(db)
    assert (verdict.ok, verdict.first_bad_seq) == (False, a), verdict


# ---- list_events -------------------------------------------------------------------------------------


@pytest.fixture
def history(db: Session, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Ten events, one minute apart from 2026-11-29 10:00 UTC, by Alice, Bob and the system."""
    start = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    times = iter(start + timedelta(minutes=i) for i in range(100))
    monkeypatch.setattr(audit, "utcnow", lambda: next(times))
    plan = [
        (ALICE, "vendor.created", "vendor", 1), (ALICE, "vendor.updated", "vendor", 1),
        (BOB, "integration.created", "integration", 7), (ALICE, "vendor.updated", "vendor", 2),
        (SYSTEM, "vendor.created", "vendor", 3), (BOB, "integration.updated", "integration", 7),
        (ALICE, "vendor.offboarded", "vendor", 1), (BOB, "vendor.updated", "vendor", 1),
        (SYSTEM, "user.created", "user", 11), (ALICE, "integration.updated", "integration", 7),
    ]
    return [audit.record(db, actor=actor, action=action, subject_type=subject_type, subject_id=subject_id)
            for actor, action, subject_type, subject_id in plan]


def seqs(page: audit.PageResult[Any]) -> list[int]:
    return [row.seq for row in page.items]


def offsets(history: list[Any], *indexes: int) -> list[int]:
    return [history[i].seq for i in indexes]


def test_list_events_newest_first_by_default(db: Session, history: list[Any]) -> None:
    page = audit.list_events(db, limit=100)
    assert seqs(page)[:10] == [e.seq for e in reversed(history)]
    assert page.next is None
    row = page.items[0]
    assert (row.seq, row.action, row.actor, row.changes) == (history[-1].seq, "integration.updated",
                                                             "alice@riskreg.test", {})


@pytest.mark.parametrize(
    ("filters", "indexes"),
    [
        ({"subject_type": "vendor", "subject_id": "1"}, [0, 1, 6, 7]),
        ({"subject_type": "integration"}, [2, 5, 9]),
        ({"subject_id": "7"}, [2, 5, 9]),
        ({"actor_id": 11}, [0, 1, 3, 6, 9]),
        ({"actor_id": 12, "subject_type": "vendor"}, [7]),
        ({"action": "vendor.updated"}, [1, 3, 7]),
        ({"action": "vendor.updated", "actor_id": 11}, [1, 3]),
        ({"action": "nothing.happened"}, []),
    ],
)
def test_list_events_filters(db: Session, history: list[Any], filters: dict[str, Any], indexes: list[int]) -> None:
    page = audit.list_events(db, sort="seq", limit=100, **filters)
    assert seqs(page) == offsets(history, *indexes)
    assert page.total == len(indexes)


def test_list_events_filters_by_time(db: Session, history: list[Any]) -> None:
    at = [e.at for e in history]
    assert seqs(audit.list_events(db, sort="seq", since=at[7])) == offsets(history, 7, 8, 9)
    assert seqs(audit.list_events(db, sort="seq", until=at[2])) == offsets(history, 0, 1)  # until is exclusive
    assert seqs(audit.list_events(db, sort="seq", since=at[3], until=at[5])) == offsets(history, 3, 4)
    eastern = timezone(timedelta(hours=-5))
    since = at[8].astimezone(eastern)  # the same instant written with another offset
    assert seqs(audit.list_events(db, sort="seq", since=since)) == offsets(history, 8, 9)
    assert seqs(audit.list_events(db, sort="seq", since=at[4], action="vendor.updated")) == offsets(history, 7)
    assert audit.list_events(db, since=at[9] + timedelta(microseconds=1)).total == 0


@pytest.mark.parametrize("sort", ["-seq", "seq"])
@pytest.mark.parametrize("limit", [1, 3, 4])
def test_list_events_paginates(db: Session, history: list[Any], sort: str, limit: int) -> None:
    expected = [e.seq for e in history]
    if sort == "-seq":
        expected.reverse()
    walked, cursor, pages = [], None, 0
    while True:
        page = audit.list_events(db, sort=sort, limit=limit, cursor=cursor, since=history[0].at)
        assert page.total == 10
        assert len(page.items) <= limit
        walked += seqs(page)
        pages += 1
        cursor = page.next
        if cursor is None:
            break
    assert walked == expected
    assert pages == -(-10 // limit)


def test_list_events_paginates_a_filtered_list(db: Session, history: list[Any]) -> None:
    first = audit.list_events(db, subject_type="vendor", subject_id="1", limit=3)
    assert seqs(first) == offsets(history, 7, 6, 1)
    assert first.total == 4 and first.next
    second = audit.list_events(db, subject_type="vendor", subject_id="1", limit=3, cursor=first.next)
    assert seqs(second) == offsets(history, 0)
    assert second.next is None


def test_list_events_refuses_a_cursor_for_another_sort(db: Session, history: list[Any]) -> None:
    from app.core.errors import InvalidInput

    cursor = audit.list_events(db, limit=2).next
    with pytest.raises(InvalidInput):
        audit.list_events(db, sort="seq", limit=2, cursor=cursor)
    with pytest.raises(InvalidInput):
        audit.list_events(db, sort="at")


def test_floats_postgresql_returns_differently_still_verify(db: Session) -> None:
    """JSONB gives 1e16 back as the integer 10000000000000000 and -0.0 as 0.0: hashing the float as written
    made an untouched event fail verify on PostgreSQL. record() hashes what the database gives back."""
    for value in (1e16, -0.0, 1.2345e20, -1e300, 0.1):
        event = audit.record(db, actor=ALICE, action="probe", subject_type="float", subject_id=repr(value),
                             changes={"value": {"before": None, "after": value}})
        row = stored(db)[event.seq - 1]
        assert row["changes"] == event.changes
        assert chain.chain_hash(row["prev_hash"], row) == row["hash"]
    assert audit.verify_chain(db).ok


def test_an_event_cannot_be_rewritten_by_inserting_over_it(db, backend):
    from sqlalchemy import text as sql
    from sqlalchemy.exc import DBAPIError

    from app.audit import service as audit_service
    from app.audit.service import Actor

    event = audit_service.record(db, actor=Actor.system("tests"), action="x.y", subject_type="t", subject_id=1)
    db.flush()
    columns = "seq, at, actor_type, actor_id, actor, action, subject_type, subject_id, changes, prev_hash, hash"
    values = ":seq, :at, 'system', NULL, 'mallory', 'x.y', 't', '1', '{}', :prev, :hash"
    statement = (f"INSERT OR REPLACE INTO audit_event ({columns}) VALUES ({values})" if backend == "sqlite" else
                 f"INSERT INTO audit_event ({columns}) VALUES ({values}) ON CONFLICT (seq) DO UPDATE SET actor = 'mallory'")
    with pytest.raises(DBAPIError, match="append-only"):
        with db.begin_nested():
            db.execute(sql(statement), {"seq": event.seq, "at": event.at, "prev": event.prev_hash, "hash": event.hash})
