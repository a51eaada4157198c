"""Assessment use cases: take the snapshot, review (security), sign (legal) with a PDF record, verify."""

import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.assessments import snapshot as snap
from app.assessments.models import Assessment, AssessmentStatus
from app.assessments.schemas import ReviewCreate
from app.audit import service as audit
from app.audit.service import Actor
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from app.documents import service as document_service
from app.documents.status import IN_FORCE
from app.heroku.models import AddonInstallation, AddonPlan, GateException, HerokuApp, HerokuSpace
from app.integrations import service as integration_service
from app.integrations.decisions import check_exceptions
from app.integrations.exposure import Tier
from app.integrations.models import Integration, IntegrationKind, IntegrationStatus
from app.questionnaires import scoring
from app.responses import service as response_service
from app.responses.models import Response, ResponseAnswer, ResponseStatus
from app.vendors import service as vendor_service


class AssessmentNotFound(NotFound):
    pass


class AssessmentSigned(InvalidState):
    pass


class AssessmentNotDecided(InvalidState):
    pass


class NothingToAssess(InvalidState):
    pass


class SeparationOfDuties(PermissionDenied):
    pass


class InvalidReview(InvalidInput):
    pass


class AssessmentOutdated(InvalidState):
    pass


class AssessmentChanged(InvalidState):
    pass


class RecordNotSigned(InvalidState):
    pass


_TIER_ORDER = [t.value for t in Tier]
_DECISION_STATUS = {"approve": IntegrationStatus.approved, "approve_with_conditions": IntegrationStatus.approved_with_conditions,
                    "reject": IntegrationStatus.rejected}


# --- the snapshot ---------------------------------------------------------------------------------

def _latest_submitted(session: Session, integration_id: int) -> list[int]:
    """The newest submitted response of each questionnaire (by key) for the integration."""
    from app.questionnaires.models import QuestionnaireVersion

    rows = session.execute(
        select(Response.id, QuestionnaireVersion.key)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Response.questionnaire_version_id)
        .where(Response.integration_id == integration_id, Response.status == ResponseStatus.submitted.value)
        .order_by(Response.submitted_at.desc(), Response.id.desc())  # type: ignore[union-attr]
    )
    chosen: dict[str, int] = {}
    for response_id, key in rows:
        chosen.setdefault(key, response_id)
    return sorted(chosen.values())


def _response_snap(session: Session, response_id: int, *, today: date, expiring_days: int) -> snap.ResponseSnap:
    current = response_service.view(session, response_id)
    inputs = response_service.scoring_inputs(session, response_id, today=today, expiring_days=expiring_days)
    result = scoring.score(inputs.definition, inputs.answers, exposure=inputs.exposure,
                           content_hash=inputs.content_hash, policy=inputs.policy)
    stored = {a.question_id: a for a in current.answers}
    rows = []
    for section in inputs.definition.sections:
        for question in section.questions:
            answer = stored.get(question.id)
            rows.append(snap.AnswerRow(
                section=section.title, question_id=question.id, question=question.text, type=question.type,
                value=answer.value if answer else None, na=bool(answer and answer.na),
                na_reason=answer.na_reason if answer else None, comment=answer.comment if answer else None,
                evidence=inputs.answers[question.id].evidence.value if question.id in inputs.answers else "self_attested",
                compensating_control=answer.compensating_control if answer else None,
                compensating_accepted=answer.compensating_accepted if answer else None,
                reviewer_points=answer.reviewer_points if answer else None,
                answered_by=answer.answered_by if answer else None,
            ))
    return snap.ResponseSnap(
        response_id=response_id, questionnaire_key=current.version.key,
        questionnaire_version=current.version.version, questionnaire_title=current.version.title,
        content_hash=inputs.content_hash, submitted_at=current.response.submitted_at,
        submitted_by=current.response.submitted_by,
        definition=inputs.definition.model_dump(mode="json", by_alias=True, exclude_none=True),
        exposure=snap.as_json({"data_categories": sorted(c.value for c in inputs.exposure.data_categories),
                               "access": inputs.exposure.access, "volume": inputs.exposure.volume,
                               "business_criticality": inputs.exposure.business_criticality}),
        answers=[snap.as_json(a.__dict__) for a in inputs.answers.values()],
        policy=[snap.as_json(p.__dict__) for p in inputs.policy],
        rows=rows, score=snap.as_json(result.as_dict()),
    )


def _heroku_snap(session: Session, integration: Integration) -> snap.HerokuSnap | None:
    if integration.kind != IntegrationKind.heroku_addon or not integration.heroku_app:
        return None
    app = session.execute(select(HerokuApp).where(HerokuApp.name == integration.heroku_app)).scalars().first()
    space = session.get(HerokuSpace, app.space_id) if app and app.space_id else None
    plan = session.execute(select(AddonPlan).where(AddonPlan.name == integration.addon_plan)).scalars().first()
    installation = session.execute(select(AddonInstallation).where(
        AddonInstallation.integration_id == integration.id)).scalars().first()
    return snap.HerokuSnap(
        app=integration.heroku_app, space=space.name if space else None,
        shield=app.shield if app else None, app_data_categories=list(app.data_categories) if app else [],
        plan=integration.addon_plan, plan_compliance=plan.compliance if plan else None,
        installable_inside_private_network=plan.installable_inside_private_network if plan else None,
        installation=installation.name if installation else None,
        installation_state=installation.state if installation else None,
    )


def _addon_gates(session: Session, integration: Integration, today: date) -> list[dict[str, Any]]:
    if integration.kind != IntegrationKind.heroku_addon:
        return []
    from app.heroku import service as heroku_service

    return [{"id": g.check.id, "source": "addon", "status": "passed" if g.check.satisfied else "failed",
             "severity": g.check.severity, "message": g.check.message}
            for g in heroku_service.evaluate(session, integration, today=today)]


def take_snapshot(session: Session, integration: Integration, *, today: date) -> snap.Snapshot:
    settings = get_settings()
    expiring_days = settings.document_expiring_days
    vendor = vendor_service.get_vendor(session, integration.vendor_id)
    responses = [_response_snap(session, r, today=today, expiring_days=expiring_days)
                 for r in _latest_submitted(session, integration.id)]  # type: ignore[arg-type]
    documents = [
        snap.DocumentSnap(
            id=v.document.id, type=v.document.type, title=v.document.title, file_name=v.document.file_name,  # type: ignore[arg-type]
            sha256=v.document.sha256, signed_on=v.document.signed_on, effective_on=v.document.effective_on,
            expires_on=v.document.expires_on, status=v.standing.status.value,
            transfer_mechanism=v.document.transfer_mechanism,
        )
        for v in document_service.list_documents(session, vendor.id, today=today, expiring_days=expiring_days)  # type: ignore[arg-type]
        if v.standing.status in IN_FORCE
    ]
    gates: dict[str, dict[str, Any]] = {}
    findings: list[dict[str, Any]] = []
    for response in responses:
        for gate in response.score["gates"]:
            key = gate["id"]
            if key not in gates or gates[key]["status"] == "passed":
                gates[key] = {**gate, "source": gate.get("source", "question"), "questionnaire": response.questionnaire_key}
        findings.extend({**f, "questionnaire": response.questionnaire_key} for f in response.score["findings"])
    for gate in _addon_gates(session, integration, today):
        if gate["id"] not in gates or gates[gate["id"]]["status"] == "passed":
            gates[gate["id"]] = gate
    residuals = [r.score["residual"] for r in responses]
    residual = max(residuals, key=_TIER_ORDER.index) if residuals else integration.inherent_tier
    assurance = min((r.score["assurance"] for r in responses), default=None)
    overall = snap.Overall(
        inherent=integration.inherent_tier, assurance=assurance, residual=residual,
        verdict="blocked" if any(g["status"] != "passed" for g in gates.values()) else "pass",
        gates=sorted(gates.values(), key=lambda g: g["id"]), findings=findings,
    )
    return snap.Snapshot(
        taken_at=utcnow(), taken_on=today,
        integration=snap.IntegrationSnap(**{k: getattr(integration, k) for k in snap.IntegrationSnap.model_fields}),
        vendor=snap.VendorSnap(**{k: getattr(vendor, k) for k in snap.VendorSnap.model_fields}),
        heroku=_heroku_snap(session, integration), documents=documents, responses=responses, overall=overall,
    )


# --- workflow -------------------------------------------------------------------------------------

def get_assessment(session: Session, assessment_id: int, *, lock: bool = False) -> Assessment:
    assessment = session.get(Assessment, assessment_id, with_for_update=True if lock else None)
    if assessment is None:
        raise AssessmentNotFound(f"No assessment with id {assessment_id}.")
    return assessment


def _apply_snapshot(assessment: Assessment, taken: snap.Snapshot) -> None:
    assessment.snapshot = taken.model_dump(mode="json")
    assessment.inherent_tier = taken.overall.inherent
    assessment.assurance = taken.overall.assurance
    assessment.residual_tier = taken.overall.residual
    assessment.verdict = taken.overall.verdict


def create_assessment(session: Session, integration_id: int, *, actor: Actor, today: date) -> Assessment:
    """Gathers the newest submitted response of each questionnaire, the documents in force and the
    Heroku facts, and freezes them with their scores and gates."""
    integration = integration_service.get_integration(session, integration_id)
    if integration.status == IntegrationStatus.retired:
        raise InvalidState(f"Integration {integration_id} is retired; it is not assessed any more.")
    taken = take_snapshot(session, integration, today=today)
    if not taken.responses:
        raise NothingToAssess(
            f"Integration {integration_id} has no submitted response; answer and submit a questionnaire first "
            f"(GET /api/v1/integrations/{integration_id}/questionnaires lists those that apply)."
        )
    assessment = Assessment(integration_id=integration_id, created_by_id=actor.id if actor.type == "user" else None,
                            snapshot={}, inherent_tier="", residual_tier="", verdict="")
    _apply_snapshot(assessment, taken)
    session.add(assessment)
    session.flush()
    audit.record(session, actor=actor, action="assessment.created", subject_type="assessment",
                 subject_id=assessment.id, changes={
                     "integration_id": {"before": None, "after": integration_id},
                     "responses": {"before": None, "after": [r.response_id for r in taken.responses]},
                     "residual_tier": {"before": None, "after": assessment.residual_tier},
                     "verdict": {"before": None, "after": assessment.verdict},
                 })
    return assessment


def _refuse_if_signed(assessment: Assessment) -> None:
    if assessment.status == AssessmentStatus.signed:
        raise AssessmentSigned(
            f"Assessment {assessment.id} is signed and cannot change; start a new assessment of integration "
            f"{assessment.integration_id} (it will supersede this one)."
        )


def _apply_reviewer_inputs(session: Session, assessment: Assessment, data: ReviewCreate) -> dict[str, Any]:
    covered = {r["response_id"] for r in assessment.snapshot["responses"]}
    changes: dict[str, Any] = {}
    signed = _responses_in_signed_records(session, assessment.integration_id)
    for item in [*data.reviewer_points, *data.compensating]:
        if item.response_id not in covered:
            raise InvalidReview(f"response {item.response_id} is not covered by assessment {assessment.id}.")
        if item.response_id in signed:
            raise InvalidReview(
                f"response {item.response_id} is part of a signed record; its reviewer inputs are frozen with it. "
                "Review it as it stands, or have a new response submitted."
            )
    for item in data.reviewer_points:
        row = _answer(session, item.response_id, item.question_id)
        definition = response_service.view(session, item.response_id).definition
        question = definition.question(item.question_id)
        if question is None or question.type not in ("text", "date"):
            raise InvalidReview(f"{item.question_id}: points are assigned only to text and date answers.")
        if row.reviewer_points != item.points:
            changes[f"{item.response_id}/{item.question_id}/reviewer_points"] = {"before": row.reviewer_points,
                                                                                 "after": item.points}
            row.reviewer_points = item.points
    for item in data.compensating:
        row = _answer(session, item.response_id, item.question_id)
        if not row.compensating_control:
            raise InvalidReview(f"{item.question_id}: the answer names no compensating control to accept or refuse.")
        if row.compensating_accepted != item.accepted:
            changes[f"{item.response_id}/{item.question_id}/compensating_accepted"] = {
                "before": row.compensating_accepted, "after": item.accepted}
            row.compensating_accepted = item.accepted
    session.flush()
    return changes


def _responses_in_signed_records(session: Session, integration_id: int) -> set[int]:
    snapshots = session.scalars(select(Assessment.snapshot).where(
        Assessment.integration_id == integration_id, Assessment.status == AssessmentStatus.signed.value))
    return {r["response_id"] for snapshot in snapshots for r in snapshot.get("responses", [])}


def _answer(session: Session, response_id: int, question_id: str) -> ResponseAnswer:
    row = session.execute(select(ResponseAnswer).where(
        ResponseAnswer.response_id == response_id, ResponseAnswer.question_id == question_id)).scalars().first()
    if row is None:
        raise InvalidReview(f"{question_id}: response {response_id} has no answer to it.")
    return row


def review(session: Session, assessment_id: int, *, actor: Actor, data: ReviewCreate, today: date) -> Assessment:
    """Security's review: reviewer points and compensating-control decisions are applied, the snapshot is
    taken again with them, and the decision recorded. A failed gate blocks an approval unless an
    exception (reason, expiry within a year) lifts it. Possible again until legal signs."""
    assessment = get_assessment(session, assessment_id, lock=True)
    _refuse_if_signed(assessment)
    integration = integration_service.get_integration(session, assessment.integration_id)
    if integration.status == IntegrationStatus.retired:
        raise InvalidState(f"Integration {integration.id} is retired; its assessments are no longer decided.")
    _refuse_if_outdated(session, assessment)
    if actor.id is not None and actor.id == integration.requested_by_id:
        raise SeparationOfDuties("You requested this integration; someone else in security must review it.")
    answer_changes = _apply_reviewer_inputs(session, assessment, data)
    taken = take_snapshot(session, integration, today=today)
    _apply_snapshot(assessment, taken)
    lifted = {e.gate: e for e in session.scalars(select(GateException).where(
        GateException.integration_id == integration.id, GateException.expires_on >= today,
        GateException.voided_at.is_(None)))}  # type: ignore[union-attr]
    failed = {g["id"]: g["message"] for g in taken.overall.gates if g["status"] != "passed" and g["id"] not in lifted}
    check_exceptions(f"assessment {assessment_id}", decision=data.decision, failed=failed,
                     exceptions=data.exceptions, today=today)
    for exception in data.exceptions:
        session.add(GateException(integration_id=integration.id, gate=exception.gate, reason=exception.reason,
                                  expires_on=exception.expires_on, granted_by_id=actor.id, granted_by=actor.label))
    before = {"status": assessment.status, "decision": assessment.decision}
    assessment.status = AssessmentStatus.decided.value
    assessment.decision, assessment.reason, assessment.conditions = data.decision, data.reason, list(data.conditions)
    assessment.reviewer_id, assessment.reviewer, assessment.reviewed_at = actor.id, actor.label, utcnow()
    assessment.updated_at = utcnow()
    status = _DECISION_STATUS[data.decision]
    if integration.status != status.value:
        integration.status = status.value
        integration.updated_at = utcnow()
    session.flush()
    audit.record(session, actor=actor, action="assessment.reviewed", subject_type="assessment",
                 subject_id=assessment_id, changes={
                     "status": {"before": before["status"], "after": assessment.status},
                     "decision": {"before": before["decision"], "after": data.decision},
                     "reason": {"before": None, "after": data.reason},
                     "conditions": {"before": None, "after": data.conditions},
                     "exceptions": {"before": None, "after": [e.model_dump(mode="json") for e in data.exceptions]},
                     **answer_changes,
                 })
    return assessment


def cadence_months(residual: str) -> int:
    settings = get_settings()
    return {"critical": settings.review_months_critical, "high": settings.review_months_high,
            "medium": settings.review_months_medium, "low": settings.review_months_low}[residual]


def record_meta(assessment: Assessment) -> dict[str, Any]:
    return {
        "assessment_id": assessment.id, "status": assessment.status, "decision": assessment.decision,
        "reason": assessment.reason, "conditions": assessment.conditions, "reviewer": assessment.reviewer,
        "reviewed_at": assessment.reviewed_at.isoformat() if assessment.reviewed_at else None,
        "signer": assessment.signer, "signed_at": assessment.signed_at.isoformat() if assessment.signed_at else None,
        "valid_until": assessment.valid_until.isoformat() if assessment.valid_until else None,
    }


@dataclass(frozen=True)
class SigningJob:
    """What signing needs once the checks passed: rendered and signed outside any write transaction."""

    assessment_id: int
    version: int  # the assessment's row version when checked: a review in between makes signing start over
    signer_id: int | None
    signer_label: str
    signed_at: datetime
    valid_until: date | None
    supersedes_id: int | None
    view: Any  # record.RecordView
    embedded: bytes  # assessment.json


def _refuse_if_outdated(session: Session, assessment: Assessment) -> None:
    newer = session.execute(select(Assessment.id).where(
        Assessment.integration_id == assessment.integration_id, Assessment.status == AssessmentStatus.signed.value,
        Assessment.id > assessment.id)).scalars().first()  # type: ignore[operator]
    if newer is not None:
        raise AssessmentOutdated(
            f"Assessment {newer} of the same integration is newer and already signed; this one is out of date."
        )


def _check_signable(session: Session, assessment: Assessment, actor: Actor) -> None:
    _refuse_if_signed(assessment)
    if assessment.status != AssessmentStatus.decided or assessment.decision is None:
        raise AssessmentNotDecided(f"Assessment {assessment.id} has not been reviewed yet; security decides first.")
    if actor.id is not None and actor.id == assessment.reviewer_id:
        raise SeparationOfDuties("You reviewed this assessment; someone else must sign it.")
    _refuse_if_outdated(session, assessment)


def prepare_signing(session: Session, assessment_id: int, *, actor: Actor, now: datetime) -> SigningJob:
    """Checks that legal may sign now, and builds the record's view and embedded snapshot. The signing
    certificate is checked here too, so an expired key is refused before anything is rendered."""
    from app.assessments import record
    from app.core import signing
    from app.documents.status import add_months

    assessment = get_assessment(session, assessment_id)
    _check_signable(session, assessment, actor)
    signing.configured_signer(now=now)
    valid_until = None if assessment.decision == "reject" else add_months(
        now.date(), cadence_months(assessment.residual_tier))
    previous = supersedes(session, assessment)
    meta = {**record_meta(assessment), "status": "signed", "signer": actor.label, "signed_at": now.isoformat(),
            "valid_until": valid_until.isoformat() if valid_until else None, "supersedes_id": previous}
    embedded = json.dumps({"assessment": meta, "snapshot": assessment.snapshot}, indent=1, sort_keys=True).encode()
    view = record.build_record(snap.Snapshot.model_validate(assessment.snapshot), record.Decision(
        assessment_id=assessment_id, status="signed", decision=assessment.decision, reason=assessment.reason,
        conditions=list(assessment.conditions), reviewer=assessment.reviewer, reviewed_at=assessment.reviewed_at,
        signer=actor.label, signed_at=now, valid_until=valid_until, supersedes_id=previous,
    ))
    return SigningJob(assessment_id, assessment.version, actor.id, actor.label, now, valid_until, previous, view,
                      embedded)


def render_and_sign(job: SigningJob) -> bytes:
    """The record PDF, rendered in a worker process and signed (PAdES). Holds no database lock."""
    from app.assessments import render
    from app.core import signing

    pdf = render.render_record_pdf(job.view, job.embedded)
    return signing.sign_pdf(pdf, signer=signing.configured_signer(now=job.signed_at), **signing.signature_options())


def complete_signing(session: Session, job: SigningJob, signed_pdf: bytes, *, actor: Actor) -> Assessment:
    """Stores the signed record and freezes the assessment, unless it changed since `prepare_signing`."""
    from app.documents.service import store_file

    assessment = session.get(Assessment, job.assessment_id, with_for_update=True, populate_existing=True)
    if assessment is None:
        raise AssessmentNotFound(f"No assessment with id {job.assessment_id}.")
    _check_signable(session, assessment, actor)
    if assessment.version != job.version or supersedes(session, assessment) != job.supersedes_id:
        raise AssessmentChanged(
            f"Assessment {job.assessment_id} was reviewed again while its record was being signed; sign it again."
        )
    stored, _ = store_file(session, io.BytesIO(signed_pdf), backend=get_settings().storage_backend,
                           max_bytes=len(signed_pdf))
    assessment.signer_id, assessment.signer, assessment.signed_at = job.signer_id, job.signer_label, job.signed_at
    assessment.valid_until = job.valid_until
    assessment.record_sha256 = stored.sha256
    assessment.status = AssessmentStatus.signed.value
    assessment.updated_at = job.signed_at
    session.flush()
    audit.record(session, actor=actor, action="assessment.signed", subject_type="assessment",
                 subject_id=job.assessment_id, changes={
                     "status": {"before": "decided", "after": "signed"},
                     "record_sha256": {"before": None, "after": stored.sha256},
                     "valid_until": {"before": None, "after": job.valid_until},
                     "supersedes_id": {"before": None, "after": job.supersedes_id},
                 })
    return assessment


def sign(session: Session, assessment_id: int, *, actor: Actor, now: datetime | None = None) -> Assessment:
    """Legal signs in one transaction (the CLI and tests): prepare, render and sign, store."""
    job = prepare_signing(session, assessment_id, actor=actor, now=now or utcnow())
    return complete_signing(session, job, render_and_sign(job), actor=actor)


def supersedes(session: Session, assessment: Assessment) -> int | None:
    """The signed assessment of the same integration that this one replaces (the newest before it)."""
    return session.execute(select(Assessment.id).where(
        Assessment.integration_id == assessment.integration_id, Assessment.status == AssessmentStatus.signed.value,
        Assessment.id < assessment.id,  # type: ignore[operator]
    ).order_by(Assessment.id.desc()).limit(1)).scalar_one_or_none()


@dataclass(frozen=True)
class AssessmentView:
    assessment: Assessment
    state: str  # in_review | decided | signed | superseded | expired
    superseded_by_id: int | None


def state_of(session: Session, assessment: Assessment, *, today: date) -> AssessmentView:
    newer = None
    if assessment.status == AssessmentStatus.signed:
        newer = session.execute(select(Assessment.id).where(
            Assessment.integration_id == assessment.integration_id, Assessment.status == AssessmentStatus.signed.value,
            Assessment.id > assessment.id,  # type: ignore[operator]
        ).order_by(Assessment.id).limit(1)).scalar_one_or_none()
    state = assessment.status
    if newer is not None:
        state = "superseded"
    elif assessment.status == AssessmentStatus.signed and assessment.valid_until and assessment.valid_until < today:
        state = "expired"
    return AssessmentView(assessment, state, newer)


def list_for_integration(session: Session, integration_id: int, *, today: date) -> list[AssessmentView]:
    integration_service.get_integration(session, integration_id)
    rows = session.scalars(select(Assessment).where(Assessment.integration_id == integration_id)
                           .order_by(Assessment.id.desc()))
    return [state_of(session, a, today=today) for a in rows]


def record_of(session: Session, assessment_id: int) -> tuple[Assessment, Any, Any]:
    """The signed record's stored file and store, checked against its hash."""
    assessment = get_assessment(session, assessment_id)
    if assessment.record_sha256 is None:
        raise RecordNotSigned(f"Assessment {assessment_id} is not signed yet; it has no record.")
    from app.core import storage
    from app.core.storage import StoredFile

    stored = session.get(StoredFile, assessment.record_sha256)
    assert stored is not None
    store = storage.open_store(stored.backend, session)  # type: ignore[arg-type]
    storage.verify(store, stored.sha256, stored.size)
    return assessment, stored, store


def record_file_name(session: Session, assessment: Assessment) -> str:
    integration = session.get(Integration, assessment.integration_id)
    vendor = vendor_service.get_vendor(session, integration.vendor_id) if integration else None
    signed = assessment.signed_at.date().isoformat() if assessment.signed_at else "unsigned"
    stem = f"assessment-{assessment.id}-{vendor.name if vendor else ''}-{integration.name if integration else ''}-{signed}"
    return document_service.safe_file_name(stem + ".pdf", "application/pdf", fallback=f"assessment-{assessment.id}")


def find_by_record(session: Session, sha256: str) -> Assessment | None:
    return session.execute(select(Assessment).where(Assessment.record_sha256 == sha256)).scalars().first()


def embedded_snapshot(pdf: bytes) -> dict[str, Any] | None:
    """The `assessment.json` attached to a record, or None when there is none or it is not JSON."""
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(pdf))
        for name, contents in reader.attachments.items():
            if name == "assessment.json" and contents:
                return json.loads(contents[-1])
    except Exception:  # noqa: BLE001 - any unreadable input simply has no snapshot
        return None
    return None


def recomputes(embedded: dict[str, Any]) -> bool:
    """Every response's score in the embedded snapshot comes out the same when computed again."""
    try:
        taken = snap.Snapshot.model_validate(embedded["snapshot"])
        return all(snap.as_json(snap.recompute(r).as_dict()) == r.score for r in taken.responses)
    except Exception:  # noqa: BLE001 - a snapshot that cannot be read does not recompute
        return False



# --- for the pages: the register-wide list by state, and why a user may not review or sign -------------

# The list's states: ended = expired or superseded (a signed record no longer current).
LIST_STATES = ("in_review", "decided", "signed", "ended")


@dataclass(frozen=True)
class AssessmentRow:
    assessment: Assessment
    state: str  # as state_of says: in_review | decided | signed | superseded | expired
    superseded_by_id: int | None
    integration_name: str
    vendor_id: int
    vendor_name: str


@dataclass(frozen=True)
class AssessmentListing:
    items: list[AssessmentRow]
    counts: dict[str, int]  # by LIST_STATES, whatever `state` was asked for
    next_before: int | None  # pass as `before` for the next (older) page


def list_assessments(
    session: Session, *, state: str | None, today: date, limit: int = 50, before: int | None = None
) -> AssessmentListing:
    """Every integration's assessments in one of LIST_STATES (None: all), newest first, `limit` at a time
    (keyset on id: `before` is the last id seen), with the counts per state."""
    from sqlalchemy import and_, case, exists, func, or_
    from sqlalchemy.orm import aliased

    from app.vendors.models import Vendor

    newer = aliased(Assessment)
    newer_signed = and_(newer.integration_id == Assessment.integration_id,
                        newer.status == AssessmentStatus.signed.value, newer.id > Assessment.id)
    superseded_by = select(func.min(newer.id)).where(newer_signed).correlate(Assessment).scalar_subquery()
    is_superseded = exists().where(newer_signed).correlate(Assessment)
    signed = Assessment.status == AssessmentStatus.signed.value
    lapsed = and_(Assessment.valid_until.is_not(None), Assessment.valid_until < today)  # type: ignore[union-attr, operator]
    conditions = {
        "in_review": Assessment.status == AssessmentStatus.in_review.value,
        "decided": Assessment.status == AssessmentStatus.decided.value,
        "signed": and_(signed, ~is_superseded, ~lapsed),
        "ended": and_(signed, or_(is_superseded, lapsed)),
    }
    totals = session.execute(select(*(func.coalesce(func.sum(case((c, 1), else_=0)), 0)
                                      for c in conditions.values())).select_from(Assessment)).one()
    counts = {name: int(n) for name, n in zip(conditions, totals, strict=True)}
    stmt = (select(Assessment, superseded_by, Integration.name, Vendor.id, Vendor.name)
            .join(Integration, Integration.id == Assessment.integration_id)
            .join(Vendor, Vendor.id == Integration.vendor_id)
            .order_by(Assessment.id.desc()).limit(limit + 1))  # type: ignore[union-attr]
    if state is not None:
        stmt = stmt.where(conditions[state])
    if before is not None:
        stmt = stmt.where(Assessment.id < before)  # type: ignore[operator]
    rows = list(session.execute(stmt))
    items = []
    for assessment, newer_id, integration_name, vendor_id, vendor_name in rows[:limit]:
        row_state = assessment.status
        if assessment.status == AssessmentStatus.signed:
            if newer_id is not None:
                row_state = "superseded"
            elif assessment.valid_until is not None and assessment.valid_until < today:
                row_state = "expired"
        items.append(AssessmentRow(assessment, row_state, newer_id, integration_name, vendor_id, vendor_name))
    next_before = items[-1].assessment.id if len(rows) > limit else None
    return AssessmentListing(items, counts, next_before)


def review_refusal(session: Session, assessment: Assessment, *, actor: Actor) -> str | None:
    """Why `actor` may not review this assessment now (the checks `review` makes before reading the
    decision), or None when they may."""
    from app.core.errors import DomainError

    try:
        _refuse_if_signed(assessment)
        integration = integration_service.get_integration(session, assessment.integration_id)
        if integration.status == IntegrationStatus.retired:
            return f"Integration {integration.id} is retired; its assessments are no longer decided."
        _refuse_if_outdated(session, assessment)
    except DomainError as exc:
        return exc.detail
    if actor.id is not None and actor.id == integration.requested_by_id:
        return "You requested this integration; someone else in security must review it."
    return None


def sign_refusal(session: Session, assessment: Assessment, *, actor: Actor) -> str | None:
    """Why `actor` may not sign this assessment now (not decided, signed, reviewed by them, out of date),
    or None. The signing key is checked only when signing starts."""
    from app.core.errors import DomainError

    try:
        _check_signable(session, assessment, actor)
    except DomainError as exc:
        return exc.detail
    return None


def exceptions_in_force(session: Session, integration_id: int, *, today: date) -> dict[str, GateException]:
    """The gate exceptions that lift a failed gate of the integration on `today`, by gate id."""
    return {e.gate: e for e in session.scalars(select(GateException).where(
        GateException.integration_id == integration_id, GateException.expires_on >= today,
        GateException.voided_at.is_(None)))}  # type: ignore[union-attr]


def frozen_responses(session: Session, integration_id: int) -> set[int]:
    """Responses covered by a signed record of the integration: a review can no longer change their inputs."""
    return _responses_in_signed_records(session, integration_id)
