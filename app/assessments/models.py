"""Assessment: the decision on one integration at one time, with the snapshot it rested on and, once
signed, its PDF record (stored by SHA-256). A signed assessment never changes; the next one supersedes it."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from app.core.db import JSONType
from app.core.models import json_list_field, timestamp_field, version_column


class AssessmentStatus(StrEnum):
    in_review = "in_review"  # snapshot taken, waiting for security
    decided = "decided"  # security decided; waiting for legal to sign
    signed = "signed"  # immutable, with its signed record


_version = version_column()


class Assessment(SQLModel, table=True):
    __tablename__ = "assessment"
    __table_args__ = (
        CheckConstraint("status IN ('in_review', 'decided', 'signed')", name="status"),
        CheckConstraint(
            "decision IS NULL OR decision IN ('approve', 'approve_with_conditions', 'reject')", name="decision"
        ),
        CheckConstraint("status <> 'signed' OR record_sha256 IS NOT NULL", name="signed_has_record"),
        Index("ix_assessment_integration_id_id", "integration_id", "id"),
    )
    __mapper_args__ = {"version_id_col": _version}

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = Field(foreign_key="integration.id")
    status: str = Field(default=AssessmentStatus.in_review, max_length=20)
    snapshot: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    # The snapshot's headline, for lists and reminders
    inherent_tier: str = Field(max_length=10)
    assurance: float | None = None
    residual_tier: str = Field(max_length=10)
    verdict: str = Field(max_length=10)
    decision: str | None = Field(default=None, max_length=30)
    reason: str | None = Field(default=None, max_length=2000)
    conditions: list[str] = json_list_field()
    reviewer_id: int | None = Field(default=None, foreign_key="user_account.id")
    reviewer: str | None = Field(default=None, max_length=254)
    reviewed_at: datetime | None = timestamp_field(nullable=True)
    signer_id: int | None = Field(default=None, foreign_key="user_account.id")
    signer: str | None = Field(default=None, max_length=254)
    signed_at: datetime | None = timestamp_field(nullable=True)
    valid_until: date | None = None
    record_sha256: str | None = Field(
        default=None, sa_column=Column(String(64), ForeignKey("stored_file.sha256"), nullable=True, unique=True)
    )
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    version: int = Field(default=1, sa_column=_version)
