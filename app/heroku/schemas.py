"""Request and response shapes of the Heroku and add-on request APIs."""

from datetime import date, datetime
from typing import Any, Literal

from fastapi import UploadFile
from pydantic import ConfigDict, Field, field_validator, model_validator

from app.core.countries import CountryCode
from app.core.schemas import Label, LongText, MediumText, Name, RequestModel, ResponseModel, unique
from app.integrations.exposure import Access, Criticality, DataCategory, Volume
from app.integrations.models import Substitutability
from app.integrations.schemas import AddonPlan as PlanName
from app.integrations.schemas import HerokuAppName, IntegrationPublic


class ImportUpload(RequestModel):
    """Multipart form: a file from the Heroku CLI, recognised by its content."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    file: UploadFile = Field(description="`heroku addons --all --json`, `heroku addons --app X --json`, "
                                         "`heroku apps:info --app X --json` or `heroku addons:plans SERVICE --json`")
    complete: bool = Field(default=False, description="The file is the whole estate (an add-on list from `heroku "
                                                      "addons --all --json` only): add-ons of apps it does not "
                                                      "mention are marked gone too")


class SkippedPublic(ResponseModel):
    what: str
    reason: str


class ImportReportPublic(ResponseModel):
    import_id: int | None
    source: str
    created: dict[str, int]
    updated: dict[str, int]
    unchanged_addons: int
    gone: int
    returned: int
    linked: int
    vendors_created: list[str]
    skipped: list[SkippedPublic]


class ImportPublic(ResponseModel):
    id: int
    source: str
    file_sha256: str | None
    file_size: int | None
    complete: bool
    counts: dict[str, Any]
    skipped: list[dict[str, Any]]
    actor: str
    created_at: datetime


_REQUEST_EXAMPLE = {
    "app": "acme-billing-prod", "plan": "papertrail:choklad", "data_categories": ["logs_telemetry"],
    "purpose": "Centralised application logs for incident response",
    "data_filtering": "Log drain passes through our scrubber: e-mails and tokens are masked",
    "fields_shared": ["request_path", "status", "user_id"],
}


class AddonRequestCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_REQUEST_EXAMPLE]})

    app: HerokuAppName
    plan: PlanName
    data_categories: list[DataCategory] = Field(min_length=1, max_length=len(DataCategory),
                                                description="What will reach the add-on (the app's own join in)")
    purpose: MediumText
    data_filtering: LongText | None = Field(default=None, description="The filtering layer in front of the add-on")
    fields_shared: list[Label] = Field(default_factory=list, max_length=200)
    name: Name | None = Field(default=None, description="Default: '<plan> on <app>'")
    access: Access = Access.write
    volume: Volume = Volume.lt_100k
    business_criticality: Criticality = Criticality.medium
    substitutability: Substitutability = Substitutability.easy
    transfer_countries: list[CountryCode] | None = Field(
        default=None, max_length=250, description="Default: the vendor's data locations")

    _dedupe = field_validator("data_categories", "fields_shared")(unique)


class ExceptionCreate(RequestModel):
    gate: Label = Field(description="The id of a failed gate, e.g. policy.heroku.hipaa_plan")
    reason: MediumText
    expires_on: date = Field(description="After today, within 365 days")


class DecisionCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"decision": "approve_with_conditions", "reason": "Logs are scrubbed before they leave the app",
         "conditions": ["Review the scrubber rules quarterly"]}]})

    decision: Literal["approve", "approve_with_conditions", "reject"]
    reason: MediumText
    conditions: list[MediumText] = Field(default_factory=list, max_length=20)
    exceptions: list[ExceptionCreate] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _conditions(self) -> "DecisionCreate":
        return check_decision_shape(self)


def check_decision_shape(decision: Any) -> Any:
    """Conditions go with (and only with) approve_with_conditions; one exception per gate."""
    if decision.decision == "approve_with_conditions" and not decision.conditions:
        raise ValueError("approve_with_conditions needs at least one condition")
    if decision.decision != "approve_with_conditions" and decision.conditions:
        raise ValueError("conditions go with approve_with_conditions")
    gates = [e.gate for e in decision.exceptions]
    if len(set(gates)) != len(gates):
        raise ValueError("exceptions: one per gate")
    return decision


class ExceptionPublic(ResponseModel):
    id: int
    gate: str
    reason: str
    expires_on: date
    granted_by: str
    created_at: datetime


class GatePublic(ResponseModel):
    id: str
    status: Literal["passed", "failed", "lifted"]
    severity: str
    message: str
    exception: ExceptionPublic | None


class DecisionPublic(ResponseModel):
    decision: str
    reason: str
    conditions: list[str]
    gates: list[dict[str, Any]]
    decided_by: str
    created_at: datetime


class QuestionnaireSummary(ResponseModel):
    key: str
    version: int
    title: str


class InstallationRef(ResponseModel):
    id: int
    heroku_id: str
    name: str
    state: str | None
    gone_at: datetime | None


class AddonRequestPublic(ResponseModel):
    integration: IntegrationPublic
    verdict: Literal["clear", "blocked"] = Field(description="blocked: a gate failed and no exception lifts it")
    gates: list[GatePublic]
    questionnaires: list[QuestionnaireSummary]
    decisions: list[DecisionPublic]
    installation: InstallationRef | None


class AddonRequestList(ResponseModel):
    items: list[AddonRequestPublic]
    total: int


class PlanPublic(ResponseModel):
    id: int
    name: str
    service: str
    human_name: str | None
    compliance: list[str] | None = Field(description="null: not known yet; []: none claimed")
    installable_inside_private_network: bool | None
    installable_outside_private_network: bool | None
    price_cents: int | None
    price_unit: str | None
    details_seen_at: datetime | None


class AddonPublic(ResponseModel):
    id: int
    heroku_id: str
    name: str
    app: str
    app_id: int
    service: str | None
    plan: str | None
    plan_compliance: list[str] | None
    installable_inside_private_network: bool | None
    vendor_id: int | None
    state: str | None
    config_vars: list[str]
    attachments: list[dict[str, Any]] | None
    approval: Literal["approved", "shadow", "gone"]
    integration_id: int | None
    integration_status: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    gone_at: datetime | None


class AddonPage(ResponseModel):
    items: list[AddonPublic]
    total: int
    next: str | None = Field(description="Pass back as `after` for the next page; null on the last page")


class DriftPublic(ResponseModel):
    kind: Literal["plan_changed", "app_changed", "gone", "not_installed", "gate_failed"]
    integration_id: int
    integration_name: str
    approved_plan: str | None
    approved_app: str | None
    installation: InstallationRef | None
    detail: str


class DriftList(ResponseModel):
    items: list[DriftPublic]
    total: int


class AppPublic(ResponseModel):
    id: int
    heroku_id: str | None
    name: str
    team: str | None
    region: str | None
    space: str | None
    space_known: bool
    shield: bool | None
    generation: str | None
    data_categories: list[str]
    addons: int = Field(description="Add-ons installed now (not gone)")
    first_seen_at: datetime
    last_seen_at: datetime
    version: int = Field(description='Changes when the data categories do (imports leave it alone): the ETag is '
                                     '"v<version>", the If-Match a PATCH needs')


class AppList(ResponseModel):
    items: list[AppPublic]
    total: int


class AppUpdate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"data_categories": ["phi", "customer_personal"]}]})

    data_categories: list[DataCategory] = Field(max_length=len(DataCategory),
                                                description="What the app itself holds; [] for nothing sensitive")


class ServicePublic(ResponseModel):
    id: int
    heroku_id: str | None
    name: str
    human_name: str | None
    vendor_id: int
    plans: int


class ServiceList(ResponseModel):
    items: list[ServicePublic]
    total: int


class ServiceUpdate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"vendor_id": 7}]})

    vendor_id: int = Field(ge=1, le=2**31 - 1, description="The vendor that provides this service")


class PlanList(ResponseModel):
    items: list[PlanPublic]
    total: int


class ImportList(ResponseModel):
    items: list[ImportPublic]
    total: int

