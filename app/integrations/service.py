"""Integration use cases: record what crosses the boundary, keep the inherent tier current."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.audit import service as audit
from app.audit.chain import diff
from app.audit.service import Actor
from app.auth.permissions import may_edit_integration
from app.core.concurrency import check_version
from app.core.db import json_list_contains, utcnow
from app.core.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from app.core.pagination import PageResult, SortField, paginate, parse_sort, table_columns
from app.heroku.models import GateException
from app.integrations.exposure import (
    Access,
    Criticality,
    DataCategory,
    ExposureInput,
    Tier,
    Volume,
    inherent_exposure,
    parse_categories,
)
from app.integrations.models import Integration, IntegrationKind, IntegrationStatus
from app.integrations.schemas import IntegrationCreate, IntegrationUpdate, shape_problems
from app.vendors.models import Vendor, VendorStatus


class IntegrationNotFound(NotFound):
    pass


class UnknownVendor(InvalidInput):
    pass


class VendorNotActive(InvalidState):
    pass


class IntegrationRetired(InvalidState):
    pass


class InvalidIntegration(InvalidInput):
    pass


class NotYourRequest(PermissionDenied):
    pass


SORTS: dict[str, SortField] = {
    "name": SortField(Integration.name, lambda i: i.name),  # type: ignore[arg-type]
    "kind": SortField(Integration.kind, lambda i: i.kind),  # type: ignore[arg-type]
    "status": SortField(Integration.status, lambda i: i.status),  # type: ignore[arg-type]
    "inherent_tier": SortField(Integration.inherent_rank, lambda i: i.inherent_rank),  # type: ignore[arg-type]
    "created_at": SortField(Integration.created_at, lambda i: i.created_at, is_datetime=True),  # type: ignore[arg-type]
    "updated_at": SortField(Integration.updated_at, lambda i: i.updated_at, is_datetime=True),  # type: ignore[arg-type]
}


# A change to any of these after approval reopens the review (DOMAIN.md: plan change, new data category).
_REOPENING = frozenset({"kind", "data_categories", "access", "volume", "transfer_countries", "heroku_app",
                        "addon_plan", "vendor_id"})
_DECIDED_APPROVALS = frozenset({IntegrationStatus.approved.value, IntegrationStatus.approved_with_conditions.value})


def _apply_exposure(integration: Integration) -> None:
    exposure = inherent_exposure(
        ExposureInput(
            data_categories=parse_categories(integration.data_categories),
            access=Access(integration.access),
            volume=Volume(integration.volume),
            business_criticality=Criticality(integration.business_criticality),
        )
    )
    integration.inherent_tier = exposure.tier.value
    integration.inherent_rank = exposure.tier.rank
    integration.inherent_driver = exposure.driver
    integration.inherent_rules = exposure.rules


def _usable_vendor(session: Session, vendor_id: int) -> Vendor:
    # FOR SHARE: an offboarding (FOR UPDATE) waits for us, or we see it, so none of our rows escapes retirement.
    vendor = session.get(Vendor, vendor_id, with_for_update={"read": True})
    if vendor is None:
        raise UnknownVendor(f"vendor_id: no vendor with id {vendor_id}; create the vendor first.")
    if vendor.status == VendorStatus.offboarded:
        raise VendorNotActive(f"Vendor {vendor_id} is offboarded; it cannot take new integrations.")
    return vendor


def create_integration(
    session: Session,
    *,
    actor: Actor,
    data: IntegrationCreate,
    status: IntegrationStatus = IntegrationStatus.requested,
) -> Integration:
    _usable_vendor(session, data.vendor_id)
    requested_by = actor.id if actor.type == "user" else None
    integration = Integration(**data.model_dump(mode="json"), status=status.value, requested_by_id=requested_by)
    _apply_exposure(integration)
    session.add(integration)
    session.flush()
    audit.record(session, actor=actor, action="integration.created", subject_type="integration",
                 subject_id=integration.id, changes=diff({}, audit.facts(integration)))
    return integration


def get_integration(session: Session, integration_id: int) -> Integration:
    integration = session.get(Integration, integration_id)
    if integration is None:
        raise IntegrationNotFound(f"No integration with id {integration_id}.")
    return integration


def list_integrations(
    session: Session,
    *,
    vendor_id: int | None = None,
    kind: IntegrationKind | None = None,
    status: IntegrationStatus | None = None,
    data_category: DataCategory | None = None,
    country: str | None = None,
    tier: Tier | None = None,
    q: str | None = None,
    sort: str = "name",
    limit: int = 50,
    cursor: str | None = None,
) -> PageResult[Any]:
    """Integrations matching every given filter; `country` matches a transfer country."""
    order = parse_sort(sort, SORTS)
    dialect = session.get_bind().dialect.name
    stmt = table_columns(Integration)
    if vendor_id is not None:
        stmt = stmt.where(Integration.vendor_id == vendor_id)
    if kind is not None:
        stmt = stmt.where(Integration.kind == kind.value)
    if status is not None:
        stmt = stmt.where(Integration.status == status.value)
    if tier is not None:
        stmt = stmt.where(Integration.inherent_tier == tier.value)
    if data_category is not None:
        stmt = stmt.where(json_list_contains(Integration.data_categories, data_category.value, dialect))
    if country is not None:
        stmt = stmt.where(json_list_contains(Integration.transfer_countries, country, dialect))
    if q:
        stmt = stmt.where(Integration.name.icontains(q, autoescape=True))  # type: ignore[attr-defined]
    return paginate(session, stmt, id_column=Integration.id, sort=order, limit=limit, cursor=cursor)  # type: ignore[arg-type]


def update_integration(
    session: Session, integration_id: int, *, actor: Actor, changes: IntegrationUpdate, expected_version: Collection[int] | None
) -> Integration:
    integration = get_integration(session, integration_id)
    if not may_edit_integration(actor.role, actor.id, integration.requested_by_id):
        raise NotYourRequest(
            f"Integration {integration_id} was requested by someone else; engineers edit only their own requests."
        )
    check_version(integration.version, expected_version, what="integration")
    if integration.status == IntegrationStatus.retired:
        raise IntegrationRetired(f"Integration {integration_id} is retired; its record cannot change.")
    values: dict[str, Any] = changes.model_dump(mode="json", exclude_unset=True)
    merged = {key: values.get(key, getattr(integration, key)) for key in ("kind", "data_categories", "heroku_app", "addon_plan")}
    problems = shape_problems(
        kind=merged["kind"], categories=merged["data_categories"],
        heroku_app=merged["heroku_app"], addon_plan=merged["addon_plan"],
    )
    if problems:
        raise InvalidIntegration("; ".join(problems))
    before = audit.facts(integration)
    changed = {k: v for k, v in values.items() if getattr(integration, k) != v}
    if not changed:
        return integration
    for key, value in changed.items():
        setattr(integration, key, value)
    now = utcnow()
    voided: list[int] = []
    if integration.status in _DECIDED_APPROVALS and _REOPENING & changed.keys():
        # What was approved is no longer what will run: the approval lapses and security reviews again,
        # and the gate exceptions granted with it lapse too (they were granted for what is no longer asked).
        integration.status = IntegrationStatus.requested.value
        voided = _void_exceptions(session, integration_id, now=now)
    _apply_exposure(integration)
    integration.updated_at = now
    session.flush()
    changes = diff(before, audit.facts(integration))
    if voided:
        changes["gate_exceptions_voided"] = {"before": None, "after": voided}
    audit.record(session, actor=actor, action="integration.updated", subject_type="integration",
                 subject_id=integration.id, changes=changes)
    return integration


def _void_exceptions(session: Session, integration_id: int, *, now: datetime) -> list[int]:
    """Voids the integration's gate exceptions that still stand; returns their ids."""
    exceptions = list(session.scalars(select(GateException).where(
        GateException.integration_id == integration_id, GateException.voided_at.is_(None)  # type: ignore[union-attr]
    ).order_by(GateException.id)))  # type: ignore[arg-type]
    for exception in exceptions:
        exception.voided_at = now
    return [e.id for e in exceptions]  # type: ignore[misc]


def retire_integrations_of_vendor(session: Session, *, actor: Actor, vendor_id: int) -> int:
    """Retires every integration of an offboarded vendor; returns how many changed."""
    stmt = select(Integration).where(
        Integration.vendor_id == vendor_id, Integration.status != IntegrationStatus.retired.value
    )
    integrations = session.execute(stmt).scalars().all()
    now = utcnow()
    for integration in integrations:
        before = integration.status
        integration.status = IntegrationStatus.retired.value
        integration.updated_at = now
        session.flush()
        audit.record(session, actor=actor, action="integration.retired", subject_type="integration",
                     subject_id=integration.id, changes={"status": {"before": before, "after": integration.status}})
    return len(integrations)


# --- page queries: the integration page's gates and scored responses ------------------------------

@dataclass(frozen=True)
class ScoredResponse:
    """One questionnaire response of an integration, scored as GET /api/v1/responses/{id}/score scores it,
    with the evidence each answer was counted at (an "independent" claim without a current attestation
    on file counts as document-backed)."""

    response: Any  # app.responses.models.Response
    version: Any  # app.questionnaires.models.QuestionnaireVersion
    definition: Any  # app.questionnaires.definition.QuestionnaireDef
    result: Any  # app.questionnaires.scoring.ScoreResult
    evidence: dict[str, str]  # question id → evidence basis of its answer


def gates_of(session: Session, integration: Integration, *, today: date) -> list[Any]:
    """The register's policy gates for `integration` on `today`, as heroku service GateViews (check, and
    the exception lifting it): an add-on's gates (plan, private space, Shield, and the vendor's documents)
    as its request is judged; for any other integration the document gates (DPA, transfer mechanism,
    BAA, PCI AoC) that its questionnaire scores carry."""
    from app.core.config import get_settings
    from app.documents import service as document_service
    from app.heroku import service as heroku_service

    if integration.kind == IntegrationKind.heroku_addon:
        return heroku_service.evaluate(session, integration, today=today)
    facts = document_service.vendor_facts(session, integration.vendor_id, today=today,
                                          expiring_days=get_settings().document_expiring_days)
    return [heroku_service.GateView(check, None)
            for check in document_service.integration_gates(session, integration, facts=facts)]


def scored_responses(session: Session, integration_id: int, *, today: date) -> list[ScoredResponse]:
    """Every response of the integration, newest first, each scored on `today` (drafts too: what they
    would score if submitted as they stand)."""
    from app.questionnaires import scoring
    from app.questionnaires.models import QuestionnaireVersion
    from app.responses import service as response_service
    from app.responses.models import Response

    get_integration(session, integration_id)
    rows = session.execute(
        select(Response, QuestionnaireVersion)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Response.questionnaire_version_id)  # type: ignore[arg-type]
        .where(Response.integration_id == integration_id)
        .order_by(Response.id.desc())  # type: ignore[union-attr]
    ).all()
    scored = []
    for response, version in rows:
        inputs = response_service.scoring_inputs(session, response.id, today=today)
        result = scoring.score(inputs.definition, inputs.answers, exposure=inputs.exposure,
                               content_hash=inputs.content_hash, policy=inputs.policy)
        evidence = {qid: answer.evidence.value for qid, answer in inputs.answers.items()}
        scored.append(ScoredResponse(response, version, inputs.definition, result, evidence))
    return scored
