"""Column helpers every table shares: timestamps and the optimistic-concurrency version."""

from typing import Any

from sqlalchemy import Column, Integer
from sqlmodel import Field

from app.core.db import JSONType, UTCDateTime, utcnow


def timestamp_field(*, nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


def json_list_field() -> Any:
    return Field(default_factory=list, sa_column=Column(JSONType, nullable=False))


def json_value_field() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))


def version_column() -> Column[int]:
    """A row version bumped by every UPDATE; the mapper refuses an UPDATE that finds another version."""
    return Column("version", Integer, nullable=False)


__all__ = ["json_list_field", "json_value_field", "timestamp_field", "version_column"]
