"""Audit use cases: append an event in the caller's transaction, list events, verify the chain."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic_core import to_jsonable_python
from sqlalchemy import Text, cast, func, select, text
from sqlmodel import Session

from app.audit import chain
from app.audit.models import AuditEvent
from app.core.db import WRITE_LOCK, utcnow
from app.core.pagination import PageResult, SortField, paginate, parse_sort, table_columns

# Any constant works; it names the lock that serialises appends on PostgreSQL.


@dataclass(frozen=True)
class Actor:
    """Who made a change: a signed-in user, or a named system job (seed, import, CLI)."""

    type: Literal["user", "system"]
    id: int | None
    label: str
    role: str | None = None

    @classmethod
    def for_user(cls, user: Any) -> "Actor":
        return cls(type="user", id=user.id, label=user.email, role=user.role)

    @classmethod
    def system(cls, name: str) -> "Actor":
        return cls(type="system", id=None, label=name)


def _lock_chain(session: Session) -> None:
    """Serialise appends so concurrent writers never fork the chain.

    PostgreSQL: the transaction-scoped advisory lock that writing sessions already take as they begin
    (app.core.db.WRITE_LOCK; taking it again is a no-op), held until commit. SQLite: writing sessions
    begin IMMEDIATE, so the database's single writer lock already serialises them.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK})


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: Any,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction (it commits or rolls back with it)."""
    _lock_chain(session)
    head = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    values: dict[str, Any] = {
        "seq": head.seq + 1 if head else 1,
        "at": utcnow(),
        "actor_type": actor.type,
        "actor_id": actor.id,
        "actor": actor.label,
        "action": action,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        # Stored exactly as hashed and as read back: JSON types only (datetimes as ISO text), numbers
        # in the form PostgreSQL's JSONB returns them (see chain.storable).
        "changes": chain.storable(to_jsonable_python(changes or {})),
        "prev_hash": head.hash if head else chain.GENESIS,
    }
    values["hash"] = chain.chain_hash(values["prev_hash"], values)
    event = AuditEvent(**values)
    session.add(event)
    session.flush()
    return event


_NOT_FACTS = frozenset({"id", "version", "created_at", "updated_at", "legal_name_key", "inherent_rank"})


def facts(row: Any) -> dict[str, Any]:
    """A row's recorded fields, for before/after diffs (ids, versions and timestamps left out)."""
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in _NOT_FACTS}


SORTS = {"seq": SortField(AuditEvent.seq, lambda e: e.seq)}  # type: ignore[arg-type]


def list_events(
    session: Session,
    *,
    subject_type: str | None = None,
    subject_id: str | None = None,
    actor_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    sort: str = "-seq",
    limit: int = 50,
    cursor: str | None = None,
) -> PageResult[Any]:
    # paginate() reads the tie-breaker off `row.id`; events are keyed by seq, so it is also selected as id.
    stmt = table_columns(AuditEvent).add_columns(AuditEvent.seq.label("id"))
    if subject_type is not None:
        stmt = stmt.where(AuditEvent.subject_type == subject_type)
    if subject_id is not None:
        stmt = stmt.where(AuditEvent.subject_id == subject_id)
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.at < until)
    return paginate(session, stmt, id_column=AuditEvent.seq, sort=parse_sort(sort, SORTS), limit=limit, cursor=cursor)  # type: ignore[arg-type]


def iter_events(session: Session, *, batch: int = 5000) -> Iterator[dict[str, Any]]:
    """Every event in seq order, streamed in batches (100,000 events never sit in memory at once)."""
    # PostgreSQL: `changes` is read as JSONB's text and decoded here. The values are the same as psycopg's
    # JSONB loader gives (it runs json.loads on that same text), but its per-value loading costs several
    # times more: most of verify's time over 100,000 events.
    postgres = session.get_bind().dialect.name == "postgresql"
    columns = [cast(c, Text).label(c.key) if postgres and c.key == "changes" else c for c in AuditEvent.__table__.c]
    stmt = select(*columns).order_by(AuditEvent.seq).execution_options(yield_per=batch)
    # On the session's connection, not through the ORM: plain rows, half the cost per event.
    result = session.connection().execute(stmt)
    keys = tuple(result.keys())
    for row in result:
        event = dict(zip(keys, row, strict=True))
        if postgres:
            event["changes"] = json.loads(event["changes"])
        yield event


def verify_chain(session: Session) -> chain.Verdict:
    return chain.verify(iter_events(session))


def head_seq(session: Session) -> int:
    """The last event's seq (0 on an empty trail): one indexed read, the chain's length when it is intact."""
    return int(session.execute(select(func.coalesce(func.max(AuditEvent.seq), 0))).scalar_one())


@dataclass(frozen=True)
class FilterChoices:
    subject_types: list[str]
    actions: list[str]


def filter_choices(session: Session) -> FilterChoices:
    """The entity types and actions the trail holds, sorted, for a viewer's filter menus."""
    subject_types = session.execute(select(AuditEvent.subject_type).distinct().order_by(AuditEvent.subject_type))
    actions = session.execute(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    return FilterChoices(subject_types=list(subject_types.scalars()), actions=list(actions.scalars()))
