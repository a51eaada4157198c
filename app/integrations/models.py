"""Integration: one use of one vendor by us, the unit that is scored."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from app.core.models import json_list_field, timestamp_field, version_column


class IntegrationKind(StrEnum):
    heroku_addon = "heroku_addon"
    saas = "saas"
    api = "api"
    other = "other"


class IntegrationStatus(StrEnum):
    requested = "requested"
    in_review = "in_review"
    approved = "approved"
    approved_with_conditions = "approved_with_conditions"
    rejected = "rejected"
    retired = "retired"


class Substitutability(StrEnum):
    easy = "easy"
    hard = "hard"
    none = "none"


def _in(column: str, values: type[StrEnum]) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


_version = version_column()


class Integration(SQLModel, table=True):
    __tablename__ = "integration"
    __table_args__ = (
        _in("kind", IntegrationKind),
        _in("status", IntegrationStatus),
        CheckConstraint("access IN ('none', 'read', 'write', 'admin')", name="access"),
        CheckConstraint("volume IN ('lt_1k', 'lt_100k', 'lt_10m', 'gte_10m')", name="volume"),
        CheckConstraint(
            "business_criticality IN ('low', 'medium', 'high', 'critical')", name="business_criticality"
        ),
        _in("substitutability", Substitutability),
        CheckConstraint("inherent_tier IN ('low', 'medium', 'high', 'critical')", name="inherent_tier"),
        CheckConstraint("inherent_rank BETWEEN 0 AND 3", name="inherent_rank"),
        # Lists filter on one column and sort by another: (filter, sort key, id) serves both.
        Index("ix_integration_name_id", "name", "id"),
        Index("ix_integration_vendor_id_name", "vendor_id", "name", "id"),
        Index("ix_integration_kind_name", "kind", "name", "id"),
        Index("ix_integration_status_name", "status", "name", "id"),
        Index("ix_integration_inherent_tier_name", "inherent_tier", "name", "id"),
        Index("ix_integration_inherent_rank_id", "inherent_rank", "id"),
        Index("ix_integration_created_at_id", "created_at", "id"),
        Index("ix_integration_updated_at_id", "updated_at", "id"),
        # The dashboard: counts by status and the tier × status heatmap from the index alone; one's own requests.
        Index("ix_integration_status_kind_rank", "status", "kind", "inherent_rank"),
        Index("ix_integration_requested_by_id_id", "requested_by_id", "id"),
    )
    __mapper_args__ = {"version_id_col": _version}

    id: int | None = Field(default=None, primary_key=True)
    vendor_id: int = Field(foreign_key="vendor.id")
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    purpose: str = Field(max_length=2000)
    data_categories: list[str] = json_list_field()
    access: str = Field(max_length=10)
    volume: str = Field(max_length=10)
    data_filtering: str | None = Field(default=None, max_length=4000)
    fields_shared: list[str] = json_list_field()
    transfer_countries: list[str] = json_list_field()
    business_criticality: str = Field(max_length=10)
    substitutability: str = Field(max_length=10)
    heroku_app: str | None = Field(default=None, max_length=100)
    addon_plan: str | None = Field(default=None, max_length=200)
    # Computed by exposure.inherent_exposure on every write; never set by a client.
    inherent_tier: str = Field(max_length=10)
    inherent_rank: int = Field(description="0 low … 3 critical: the tier as a sortable, indexable number")
    inherent_driver: str = Field(max_length=100)
    inherent_rules: str = Field(max_length=20)
    status: str = Field(default=IntegrationStatus.requested, max_length=30)
    requested_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    version: int = Field(default=1, sa_column=_version)
