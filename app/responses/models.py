"""Responses: answers to one questionnaire version for one integration, and invite links for vendors."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import JSONType
from app.core.models import timestamp_field, version_column


class ResponseStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"


_version = version_column()


class Response(SQLModel, table=True):
    __tablename__ = "response"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'submitted')", name="status"),
        Index("ix_response_integration_id", "integration_id", "id"),
    )
    __mapper_args__ = {"version_id_col": _version}

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = Field(foreign_key="integration.id")
    # Bound for life: a response is always scored against the version it was started on.
    questionnaire_version_id: int = Field(foreign_key="questionnaire_version.id", index=True)
    status: str = Field(default=ResponseStatus.draft, max_length=20)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    submitted_at: datetime | None = timestamp_field(nullable=True)
    submitted_by: str | None = Field(default=None, max_length=254)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    version: int = Field(default=1, sa_column=_version)


class ResponseAnswer(SQLModel, table=True):
    __tablename__ = "response_answer"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id", name="uq_response_answer_response_id_question_id"),
        CheckConstraint("evidence IN ('self_attested', 'document', 'independent')", name="evidence"),
    )

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id")
    question_id: str = Field(max_length=80)
    value: Any = Field(default=None, sa_column=Column(JSONType, nullable=True))
    na: bool = False
    na_reason: str | None = Field(default=None, max_length=2000)
    comment: str | None = Field(default=None, max_length=4000)
    evidence: str = Field(default="self_attested", max_length=20)
    evidence_document_id: int | None = Field(default=None, description="Set when documents arrive (issue 5)")
    compensating_control: str | None = Field(default=None, max_length=2000)
    compensating_accepted: bool | None = Field(default=None, description="A reviewer's decision")
    reviewer_points: float | None = Field(default=None, ge=0, le=1)
    answered_by: str = Field(max_length=254, description="An e-mail, or 'vendor via invite N'")
    updated_at: datetime = timestamp_field()


class ResponseInvite(SQLModel, table=True):
    """A link that lets a vendor answer one response without an account; the URL holds the secret."""

    __tablename__ = "response_invite"

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    email: str | None = Field(default=None, max_length=254)
    expires_at: datetime = timestamp_field()
    revoked_at: datetime | None = timestamp_field(nullable=True)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = timestamp_field()
