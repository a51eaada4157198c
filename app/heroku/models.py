"""The Heroku catalogue (services, plans) and estate (spaces, apps, add-on installations) as imported,
plus the record of each import. Nothing here is deleted: an add-on that disappears gets `gone_at`."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from app.core.db import JSONType
from app.core.models import json_list_field, json_value_field, timestamp_field, version_column

_app_version = version_column()


class HerokuSpace(SQLModel, table=True):
    __tablename__ = "heroku_space"

    id: int | None = Field(default=None, primary_key=True)
    heroku_id: str | None = Field(default=None, max_length=64, unique=True)
    name: str = Field(max_length=100, unique=True)
    shield: bool | None = None
    region: str | None = Field(default=None, max_length=100)
    team: str | None = Field(default=None, max_length=100)
    state: str | None = Field(default=None, max_length=50)
    first_seen_at: datetime = timestamp_field()
    last_seen_at: datetime = timestamp_field()


class HerokuApp(SQLModel, table=True):
    __tablename__ = "heroku_app"
    # The version is the ETag of what we say about the app (its data categories), bumped by
    # service.set_app_data only: an import refreshing Heroku's facts must not invalidate a client's copy.
    __mapper_args__ = {"version_id_col": _app_version, "version_id_generator": False}

    id: int | None = Field(default=None, primary_key=True)
    heroku_id: str | None = Field(default=None, max_length=64, unique=True)
    name: str = Field(max_length=100, unique=True)
    team: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    space_id: int | None = Field(default=None, foreign_key="heroku_space.id", index=True)
    space_known: bool = Field(default=False, description="An import or sync said which space, if any")
    shield: bool | None = None
    generation: str | None = Field(default=None, max_length=50)
    # Set by us, not by Heroku: what the app itself holds. PHI here makes every add-on on it a PHI flow.
    data_categories: list[str] = json_list_field()
    first_seen_at: datetime = timestamp_field()
    last_seen_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    version: int = Field(default=1, sa_column=_app_version)


class AddonService(SQLModel, table=True):
    __tablename__ = "addon_service"

    id: int | None = Field(default=None, primary_key=True)
    heroku_id: str | None = Field(default=None, max_length=64, unique=True)
    name: str = Field(max_length=100, unique=True)  # the slug, e.g. heroku-postgresql
    human_name: str | None = Field(default=None, max_length=200)
    vendor_id: int = Field(foreign_key="vendor.id", index=True)
    created_at: datetime = timestamp_field()


class AddonPlan(SQLModel, table=True):
    __tablename__ = "addon_plan"

    id: int | None = Field(default=None, primary_key=True)
    heroku_id: str | None = Field(default=None, max_length=64, unique=True)
    name: str = Field(max_length=200, unique=True)  # service:plan
    service_id: int = Field(foreign_key="addon_service.id", index=True)
    human_name: str | None = Field(default=None, max_length=200)
    # null: not known yet (no plan details seen); [] : the plan claims no compliance. Never conflated.
    compliance: list[str] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    installable_inside_private_network: bool | None = None
    installable_outside_private_network: bool | None = None
    price_cents: int | None = None
    price_unit: str | None = Field(default=None, max_length=20)
    price_contract: bool | None = None
    state: str | None = Field(default=None, max_length=50)
    details_seen_at: datetime | None = timestamp_field(nullable=True)


class AddonInstallation(SQLModel, table=True):
    """An add-on seen on an app by an import. Shadow when no approved integration stands behind it."""

    __tablename__ = "addon_installation"
    __table_args__ = (Index("ix_addon_installation_app_id_name", "app_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    heroku_id: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    app_id: int = Field(foreign_key="heroku_app.id")  # the billing app
    service_id: int | None = Field(default=None, foreign_key="addon_service.id", index=True)
    plan_id: int | None = Field(default=None, foreign_key="addon_plan.id", index=True)
    state: str | None = Field(default=None, max_length=50)  # as Heroku said, unknown values included
    config_vars: list[str] = json_list_field()
    # [{"app": name, "name": attachment}], or null when no import has listed them
    attachments: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    billed_price_cents: int | None = None
    billed_price_unit: str | None = Field(default=None, max_length=20)
    provider_id: str | None = Field(default=None, max_length=200)
    web_url: str | None = Field(default=None, max_length=500)
    heroku_created_at: str | None = Field(default=None, max_length=40)
    integration_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("integration.id"), nullable=True, index=True)
    )
    first_seen_at: datetime = timestamp_field()
    last_seen_at: datetime = timestamp_field()
    gone_at: datetime | None = timestamp_field(nullable=True)


class HerokuImport(SQLModel, table=True):
    """One import or sync and what it did: the trail an auditor reads to see when an add-on appeared."""

    __tablename__ = "heroku_import"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=20)  # addons | apps_info | plans | api
    file_sha256: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    file_size: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    complete: bool = False
    counts: dict[str, Any] = json_value_field()
    skipped: list[dict[str, Any]] = json_list_field()
    actor: str = Field(max_length=254)
    created_at: datetime = timestamp_field()


class GateException(SQLModel, table=True):
    """A failed policy gate lifted for one integration by a named person, for a reason, until a date."""

    __tablename__ = "gate_exception"

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = Field(foreign_key="integration.id", index=True)
    gate: str = Field(max_length=100)
    reason: str = Field(max_length=2000)
    expires_on: date = Field(description="The exception lapses after this day")
    granted_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    granted_by: str = Field(max_length=254)
    created_at: datetime = timestamp_field()
    # Set when the request it was granted for reopened (what was approved changed): it lifts nothing since.
    voided_at: datetime | None = timestamp_field(nullable=True)


class IntegrationDecision(SQLModel, table=True):
    """Security's decision on a request, with the gates as they stood when it was taken."""

    __tablename__ = "integration_decision"

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = Field(foreign_key="integration.id", index=True)
    decision: str = Field(max_length=30)  # approve | approve_with_conditions | reject
    reason: str = Field(max_length=2000)
    conditions: list[str] = json_list_field()
    gates: list[dict[str, Any]] = json_list_field()
    decided_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    decided_by: str = Field(max_length=254)
    created_at: datetime = timestamp_field()
