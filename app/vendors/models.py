"""Vendor: a company we share data with. Never hard-deleted; offboarding keeps the history."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from app.core.models import json_list_field, timestamp_field, version_column


class VendorStatus(StrEnum):
    prospective = "prospective"
    active = "active"
    offboarded = "offboarded"


_version = version_column()


class Vendor(SQLModel, table=True):
    __tablename__ = "vendor"
    __table_args__ = (
        CheckConstraint("status IN ('prospective', 'active', 'offboarded')", name="status"),
        Index("ix_vendor_name_id", "name", "id"),
        Index("ix_vendor_status_name", "status", "name", "id"),
        Index("ix_vendor_created_at_id", "created_at", "id"),
        Index("ix_vendor_updated_at_id", "updated_at", "id"),
    )
    __mapper_args__ = {"version_id_col": _version}

    id: int | None = Field(default=None, primary_key=True)
    legal_name: str = Field(max_length=200, unique=True)
    # NFKC + casefold of legal_name: the database refuses two spellings of one company, on both engines.
    legal_name_key: str = Field(max_length=400, unique=True)
    name: str = Field(max_length=200)
    website: str | None = Field(default=None, max_length=500)
    country: str = Field(max_length=2, index=True)
    data_locations: list[str] = json_list_field()
    subprocessors: list[dict[str, Any]] = json_list_field()
    contacts: list[dict[str, Any]] = json_list_field()
    status: str = Field(default=VendorStatus.prospective, max_length=20)
    offboarded_at: datetime | None = timestamp_field(nullable=True)
    offboard_reason: str | None = Field(default=None, max_length=2000)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    version: int = Field(default=1, sa_column=_version)
