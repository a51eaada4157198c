"""Reminder deliveries (each announcement of a due item, once per lead time, channel and recipient) and the
per-user secrets behind calendar feeds. Reminders themselves are derived from the register, never stored."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import timestamp_field


class DeliveryStatus(StrEnum):
    claimed = "claimed"  # a run took it and is sending it; retried by another run once the lease has passed
    sent = "sent"  # never sent again
    failed = "failed"  # the channel refused or did not answer; retried by a later run


class Channel(StrEnum):
    email = "email"
    webhook = "webhook"


class ReminderDelivery(SQLModel, table=True):
    """One announcement: item (its key and due date) × lead time × channel × recipient, recorded once.

    The unique constraint is what makes a reminder go out once: a run claims a delivery by inserting its row,
    and a run that finds the row already there leaves it alone (unless it failed, or its claim's lease ran out).
    """

    __tablename__ = "reminder_delivery"
    __table_args__ = (
        UniqueConstraint("item_key", "due_on", "lead_days", "channel", "recipient"),
        CheckConstraint("status IN ('claimed', 'sent', 'failed')", name="status"),
        CheckConstraint("channel IN ('email', 'webhook')", name="channel"),
        CheckConstraint("attempts >= 1", name="attempts"),
        Index("ix_reminder_delivery_status_claimed_at", "status", "claimed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_key: str = Field(max_length=200)  # e.g. document:12:expires:2027-01-31
    due_on: date
    lead_days: int = Field(description="Days before the due date (60, 30, 7, 0); negative: overdue by that many")
    channel: str = Field(max_length=20)
    recipient: str = Field(max_length=100)  # user:<id>, or webhook:<hash of its URL>
    user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    kind: str = Field(max_length=40)
    title: str = Field(max_length=300)  # what the recipient was told, kept for the record
    status: str = Field(default=DeliveryStatus.claimed, max_length=10)
    attempts: int = 1
    run_id: str = Field(max_length=32, index=True)  # the run that holds (or last held) the claim
    claimed_at: datetime = timestamp_field()
    sent_at: datetime | None = timestamp_field(nullable=True)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = timestamp_field()


class CalendarFeedToken(SQLModel, table=True):
    """The secret in a user's calendar feed URL, stored only as its SHA-256; one active per user."""

    __tablename__ = "calendar_feed_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12, description="The first characters, to recognise a feed URL")
    created_at: datetime = timestamp_field()
    revoked_at: datetime | None = timestamp_field(nullable=True)
