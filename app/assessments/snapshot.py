"""The assessment snapshot: everything the decision rested on, frozen when the assessment is taken.

It is stored with the assessment, embedded in the signed PDF as `assessment.json`, and is enough to
recompute every score without the database (`recompute`). Pure: pydantic and the scoring engine only.
"""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from app.integrations.exposure import Access, Criticality, ExposureInput, Volume, parse_categories
from app.questionnaires import scoring
from app.questionnaires.definition import QuestionnaireDef

SCHEMA = "riskreg.assessment/1"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VendorSnap(_Frozen):
    id: int
    legal_name: str
    name: str
    country: str
    website: str | None
    status: str
    data_locations: list[str]
    subprocessors: list[dict[str, Any]]


class IntegrationSnap(_Frozen):
    id: int
    name: str
    kind: str
    purpose: str
    status: str
    data_categories: list[str]
    access: str
    volume: str
    data_filtering: str | None
    fields_shared: list[str]
    transfer_countries: list[str]
    business_criticality: str
    substitutability: str
    heroku_app: str | None
    addon_plan: str | None
    inherent_tier: str
    inherent_driver: str


class HerokuSnap(_Frozen):
    """Where the add-on runs, as the last import saw it (null fields: not known)."""

    app: str
    space: str | None
    shield: bool | None
    app_data_categories: list[str]
    plan: str | None
    plan_compliance: list[str] | None
    installable_inside_private_network: bool | None
    installation: str | None  # add-on name, if an import has seen it installed
    installation_state: str | None


class DocumentSnap(_Frozen):
    id: int
    type: str
    title: str
    file_name: str
    sha256: str
    signed_on: date | None
    effective_on: date | None
    expires_on: date | None
    status: str  # on `Snapshot.taken_on`
    transfer_mechanism: str | None


class AnswerRow(_Frozen):
    """One question as the record shows it: the text asked and the answer given."""

    section: str
    question_id: str
    question: str
    type: str
    value: Any
    na: bool
    na_reason: str | None
    comment: str | None
    evidence: str
    compensating_control: str | None
    compensating_accepted: bool | None
    reviewer_points: float | None
    answered_by: str | None


class ResponseSnap(_Frozen):
    response_id: int
    questionnaire_key: str
    questionnaire_version: int
    questionnaire_title: str
    content_hash: str
    submitted_at: datetime | None
    submitted_by: str | None
    definition: dict[str, Any]  # the questionnaire version, as loaded
    exposure: dict[str, Any]  # scoring.ExposureInput fields
    answers: list[dict[str, Any]]  # scoring.Answer fields, exactly as scored
    policy: list[dict[str, Any]]  # scoring.PolicyCheck fields, exactly as scored
    rows: list[AnswerRow]  # every question, answered or not, for reading
    score: dict[str, Any]  # scoring.ScoreResult.as_dict()


class Overall(_Frozen):
    inherent: str
    assurance: float | None  # weakest response's assurance; None when no response is covered
    residual: str
    verdict: str  # blocked | pass
    gates: list[dict[str, Any]]  # every gate of every response and the add-on gates, with status and message
    findings: list[dict[str, Any]]


class Snapshot(_Frozen):
    format: str = SCHEMA
    taken_at: datetime
    taken_on: date  # the day document status and exceptions were judged for
    integration: IntegrationSnap
    vendor: VendorSnap
    heroku: HerokuSnap | None
    documents: list[DocumentSnap]
    responses: list[ResponseSnap]
    overall: Overall
    scorer: str = scoring.SCORER_VERSION


def answers_from(raw: list[dict[str, Any]]) -> dict[str, scoring.Answer]:
    out: dict[str, scoring.Answer] = {}
    for item in raw:
        values = dict(item)
        if isinstance(values.get("value"), list):
            values["value"] = tuple(values["value"])
        values["evidence"] = scoring.Evidence(values.get("evidence", "self_attested"))
        out[values["question_id"]] = scoring.Answer(**values)
    return out


def exposure_from(raw: dict[str, Any]) -> ExposureInput:
    return ExposureInput(
        data_categories=parse_categories(raw["data_categories"]), access=Access(raw["access"]),
        volume=Volume(raw["volume"]), business_criticality=Criticality(raw["business_criticality"]),
    )


def recompute(response: ResponseSnap) -> scoring.ScoreResult:
    """Scores the response again from the snapshot alone: the same inputs give the same result."""
    return scoring.score(
        QuestionnaireDef.model_validate(response.definition), answers_from(response.answers),
        exposure=exposure_from(response.exposure), content_hash=response.content_hash,
        policy=[scoring.PolicyCheck(**p) for p in response.policy],
    )


def as_json(value: Any) -> Any:
    """A scoring result (dataclasses with enums and tuples) as plain JSON values."""
    import json

    return json.loads(json.dumps(value, default=str))
