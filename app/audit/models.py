"""AuditEvent: the append-only, hash-chained record of every change to the register."""

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Integer
from sqlmodel import Field, SQLModel

from app.core.models import json_value_field, timestamp_field


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_subject", "subject_type", "subject_id", "seq"),
        Index("ix_audit_event_actor", "actor_id", "seq"),
        Index("ix_audit_event_action", "action", "seq"),
        Index("ix_audit_event_at", "at"),
    )

    # Assigned by the appender (previous + 1), never by the database: a gap is a deleted event.
    seq: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    at: datetime = timestamp_field()
    actor_type: str = Field(max_length=20)  # user | system
    actor_id: int | None = Field(default=None)
    actor: str = Field(max_length=254, description="Who, readable: an e-mail or a job name")
    action: str = Field(max_length=60)
    subject_type: str = Field(max_length=40)
    subject_id: str = Field(max_length=254)
    changes: dict[str, Any] = json_value_field()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
