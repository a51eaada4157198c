"""Database plumbing: engine, the request-scoped session, column types shared by every domain."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from fastapi import Request
from sqlalchemy import JSON, DateTime, Engine, create_engine, event, func, type_coerce
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel

from app.core.config import get_settings

# Stable constraint names on SQLite and PostgreSQL alike, so migrations can name what they alter.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class _SQLiteDateTime(sqlite.DATETIME):
    """SQLite's DATETIME read with `datetime.fromisoformat` (C) instead of a regular expression:
    list pages read four timestamps a row, and the regex parse was a visible share of their time."""

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        def process(value: str | None) -> datetime | None:
            return None if value is None else datetime.fromisoformat(value)

        return process


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every engine (SQLite keeps no offset, so we store UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SQLiteDateTime())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSON on SQLite (stored as text), JSONB on PostgreSQL (indexable containment).
JSONType = JSON().with_variant(JSONB(), "postgresql")


def json_list_contains(column: Any, value: str, dialect_name: str) -> ColumnElement[bool]:
    """`value` is an element of the JSON string array in `column`.

    On SQLite the array is stored as JSON text, so the quoted element is searched for; this is exact
    because the values we filter on (enum members, country codes) never contain a quote character.
    """
    if dialect_name == "postgresql":
        return type_coerce(column, JSONB).contains([value])
    return func.instr(column, f'"{value}"') > 0


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 2) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # hide_parameters: a failing statement's log line never carries what users typed.
    return create_engine(
        url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow, hide_parameters=True
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite starts transactions lazily and never around SAVEPOINT, so a released savepoint would
    # commit on its own. Turn its handling off and let SQLAlchemy emit BEGIN (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # Writers begin IMMEDIATE: they take SQLite's single write lock up front and queue on busy_timeout,
    # instead of failing later when a read snapshot cannot be upgraded to a write.
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    if settings.database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return make_engine(
        settings.database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow
    )


def transaction(session: Session) -> Iterator[Session]:
    """Yield `session`; commit if the caller finished, roll back if it raised."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# One lock serialises writing transactions on PostgreSQL, taken as each one begins. The audit chain
# needs its appends serialised anyway; taking the same lock first (before any row lock) means two
# writers can never hold locks in opposite orders, so they queue instead of deadlocking.
WRITE_LOCK = 0x72697363  # "risc"


def _take_write_lock(_session: Session, _transaction: Any, connection: Any) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")


def open_session(*, write: bool, engine: Engine | None = None) -> Session:
    """A session on `engine` (the app's by default). A writing session is serialised with every other:
    SQLite transactions begin IMMEDIATE (its single writer lock), PostgreSQL ones take WRITE_LOCK."""
    engine = engine or get_engine()
    if not write:
        return Session(engine, expire_on_commit=False)
    session = Session(engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False)
    event.listen(session, "after_begin", _take_write_lock)
    return session


def is_write(request: Request) -> bool:
    return request.method not in _SAFE_METHODS


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: commits when the route returns, rolls back when it raises.

    Declared with `Depends(get_session, scope="function")` so the commit happens before the
    response is sent: a client is never told "created" for a write that then failed.
    """
    with open_session(write=is_write(request)) as session:
        yield from transaction(session)


@contextmanager
def session_scope() -> Iterator[Session]:
    """The same rule for CLI jobs: commit on success, roll back on error."""
    with open_session(write=True) as session:
        yield from transaction(session)
