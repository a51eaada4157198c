"""Request and response shapes of the integration API."""

from collections.abc import Collection
from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, field_validator, model_validator

from app.core.countries import CountryCode
from app.core.deps import MAX_ID
from app.core.pagination import Page
from app.core.schemas import Label, LongText, MediumText, Name, RequestModel, ResponseModel, unique
from app.integrations.exposure import Access, Criticality, DataCategory, Tier, Volume
from app.integrations.models import IntegrationKind, IntegrationStatus, Substitutability

HerokuAppName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9-]{2,29}$"),
    Field(description="Heroku app name", examples=["acme-billing-prod"]),
]
AddonPlan = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=200, pattern=r"^[a-z0-9][a-z0-9-]*:[a-z0-9][a-z0-9-]*$"),
    Field(description="Heroku add-on plan as service:plan", examples=["papertrail:choklad"]),
]
FieldName = Label


def shape_problems(
    *, kind: str, categories: Collection[str], heroku_app: str | None, addon_plan: str | None
) -> list[str]:
    """Cross-field rules that hold for every integration, on create and after any PATCH."""
    problems = []
    if DataCategory.none in categories and len(categories) > 1:
        problems.append("data_categories: 'none' cannot be combined with other categories")
    if kind == IntegrationKind.heroku_addon:
        if not heroku_app or not addon_plan:
            problems.append("a heroku_addon integration needs heroku_app and addon_plan (service:plan)")
    elif heroku_app or addon_plan:
        problems.append(f"heroku_app and addon_plan apply only to kind heroku_addon, not {kind}")
    return problems


_EXAMPLE = {
    "vendor_id": 1,
    "name": "Papertrail on acme-billing-prod",
    "kind": "heroku_addon",
    "purpose": "Centralised application logs",
    "data_categories": ["logs_telemetry", "customer_personal"],
    "access": "write",
    "volume": "lt_10m",
    "data_filtering": "Log drain passes through a scrubber that drops e-mail addresses and tokens",
    "fields_shared": ["request_path", "status", "user_id"],
    "transfer_countries": ["US"],
    "business_criticality": "medium",
    "substitutability": "easy",
    "heroku_app": "acme-billing-prod",
    "addon_plan": "papertrail:choklad",
}


class IntegrationCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    vendor_id: int = Field(ge=1, le=MAX_ID, strict=True)
    name: Name
    kind: IntegrationKind
    purpose: MediumText
    data_categories: list[DataCategory] = Field(min_length=1, max_length=len(DataCategory))
    access: Access
    volume: Volume
    data_filtering: LongText | None = Field(default=None, description="How we limit what is shared")
    fields_shared: list[FieldName] = Field(default_factory=list, max_length=200)
    transfer_countries: list[CountryCode] = Field(default_factory=list, max_length=250)
    business_criticality: Criticality
    substitutability: Substitutability
    heroku_app: HerokuAppName | None = None
    addon_plan: AddonPlan | None = None

    _dedupe = field_validator("data_categories", "fields_shared", "transfer_countries")(unique)

    @model_validator(mode="after")
    def _shape(self) -> "IntegrationCreate":
        problems = shape_problems(
            kind=self.kind,
            categories=self.data_categories,
            heroku_app=self.heroku_app,
            addon_plan=self.addon_plan,
        )
        if problems:
            raise ValueError("; ".join(problems))
        return self


class IntegrationUpdate(RequestModel):
    """Only the fields sent change; the inherent tier is recomputed. Non-nullable fields refuse null."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"data_categories": ["logs_telemetry"]}]})

    name: Name = None  # type: ignore[assignment]
    kind: IntegrationKind = None  # type: ignore[assignment]
    purpose: MediumText = None  # type: ignore[assignment]
    data_categories: list[DataCategory] = Field(default=None, min_length=1, max_length=len(DataCategory))  # type: ignore[assignment]
    access: Access = None  # type: ignore[assignment]
    volume: Volume = None  # type: ignore[assignment]
    data_filtering: LongText | None = None
    fields_shared: list[FieldName] = Field(default=None, max_length=200)  # type: ignore[assignment]
    transfer_countries: list[CountryCode] = Field(default=None, max_length=250)  # type: ignore[assignment]
    business_criticality: Criticality = None  # type: ignore[assignment]
    substitutability: Substitutability = None  # type: ignore[assignment]
    heroku_app: HerokuAppName | None = None
    addon_plan: AddonPlan | None = None

    _dedupe = field_validator("data_categories", "fields_shared", "transfer_countries")(unique)


class IntegrationPublic(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_EXAMPLE,
                    "id": 7,
                    "inherent_tier": "medium",
                    "inherent_driver": "data_categories:logs_telemetry",
                    "inherent_rules": "scoring/1",
                    "status": "requested",
                    "requested_by_id": 3,
                    "created_at": "2026-11-01T09:30:00Z",
                    "updated_at": "2026-11-01T09:30:00Z",
                    "version": 1,
                }
            ]
        }
    )

    id: int
    vendor_id: int
    name: str
    kind: IntegrationKind
    purpose: str
    data_categories: list[DataCategory]
    access: Access
    volume: Volume
    data_filtering: str | None
    fields_shared: list[str]
    transfer_countries: list[str]
    business_criticality: Criticality
    substitutability: Substitutability
    heroku_app: str | None
    addon_plan: str | None
    inherent_tier: Tier = Field(description="Computed from what crosses the boundary; never set by a client")
    inherent_driver: str = Field(description="The driver that set the tier, e.g. data_categories:phi")
    inherent_rules: str = Field(description="Version of the rules that computed the tier")
    status: IntegrationStatus
    requested_by_id: int | None = Field(description="The user who requested it; engineers edit only their own")
    created_at: datetime
    updated_at: datetime
    version: int


class IntegrationPage(Page[IntegrationPublic]):
    pass
