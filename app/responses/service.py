"""Response use cases: start one bound to a questionnaire version, save answers checked against their
questions, submit when complete, score it."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.audit import service as audit
from app.audit.service import Actor
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import InvalidInput, InvalidState, NotFound
from app.integrations import service as integration_service
from app.integrations.exposure import Access, Criticality, ExposureInput, Volume, parse_categories
from app.integrations.models import IntegrationStatus
from app.questionnaires import scoring
from app.questionnaires import service as questionnaire_service
from app.questionnaires.definition import QuestionnaireDef
from app.questionnaires.models import QuestionnaireVersion
from app.responses.models import Response, ResponseAnswer, ResponseStatus
from app.responses.rules import check_answer
from app.responses.schemas import AnswerIn


class ResponseNotFound(NotFound):
    pass


class ResponseSubmitted(InvalidState):
    pass


class InvalidAnswers(InvalidInput):
    pass


class IncompleteResponse(InvalidInput):
    pass


@dataclass(frozen=True)
class ResponseView:
    response: Response
    version: QuestionnaireVersion
    definition: QuestionnaireDef
    answers: list[ResponseAnswer]
    missing: list[str]
    required: int


def start_response(session: Session, *, actor: Actor, integration_id: int, key: str, version: int | None) -> Response:
    integration = integration_service.get_integration(session, integration_id)
    if integration.status == IntegrationStatus.retired:
        raise InvalidState(f"Integration {integration_id} is retired; it takes no new responses.")
    row = questionnaire_service.get_version(session, key, version)
    response = Response(integration_id=integration_id, questionnaire_version_id=row.id,
                        created_by_id=actor.id if actor.type == "user" else None)
    session.add(response)
    session.flush()
    audit.record(session, actor=actor, action="response.started", subject_type="response", subject_id=response.id,
                 changes={"integration_id": {"before": None, "after": integration_id},
                          "questionnaire": {"before": None, "after": f"{row.key} v{row.version}"}})
    return response


def get_response(session: Session, response_id: int, *, lock: bool = False) -> Response:
    response = session.get(Response, response_id, with_for_update=True if lock else None)
    if response is None:
        raise ResponseNotFound(f"No response with id {response_id}.")
    return response


def _answers(session: Session, response_id: int) -> list[ResponseAnswer]:
    stmt = select(ResponseAnswer).where(ResponseAnswer.response_id == response_id).order_by(ResponseAnswer.id)
    return list(session.execute(stmt).scalars())


def to_scoring_answer(row: ResponseAnswer) -> scoring.Answer:
    value = tuple(row.value) if isinstance(row.value, list) else row.value
    return scoring.Answer(
        question_id=row.question_id, value=value, na=row.na, na_reason=row.na_reason,
        evidence=scoring.Evidence(row.evidence), compensating_control=row.compensating_accepted is True,
        reviewer_points=row.reviewer_points,
    )


def missing_answers(definition: QuestionnaireDef, answers: dict[str, scoring.Answer]) -> tuple[list[str], int]:
    """Required questions that are shown (given the answers so far) and have no answer (N/A counts).

    Document questions are not asked of the respondent: they are met by attaching the document to the
    vendor, and until then they score 0 (and fail their gate), so they never hold up a submission."""
    by_id = {q.id: q for q in definition.questions()}
    required = [q for q in definition.questions()
                if q.required and q.type != "document" and scoring.visible(q, answers, by_id)]
    missing = [q.id for q in required if q.id not in answers]
    return missing, len(required)


def view(session: Session, response_id: int) -> ResponseView:
    response = get_response(session, response_id)
    version = session.get(QuestionnaireVersion, response.questionnaire_version_id)
    assert version is not None
    definition = questionnaire_service.definition_of(version)
    rows = _answers(session, response_id)
    missing, required = missing_answers(definition, {r.question_id: to_scoring_answer(r) for r in rows})
    return ResponseView(response, version, definition, rows, missing, required)


def import_answers(
    session: Session, response_id: int, *, actor: Actor, data: bytes, answered_by: str
) -> ResponseView:
    """Apply a filled-in CSV export: every row is checked first (one bad row refuses the file, with each
    bad row listed by line); rows equal to what is stored change nothing."""
    from app.responses import spreadsheet  # the CSV format reads this module's rules; imported here to stay one-way

    text = spreadsheet.decode(data)
    response = get_response(session, response_id, lock=True)
    if response.status == ResponseStatus.submitted:
        raise ResponseSubmitted(f"Response {response_id} was submitted; its answers can no longer change.")
    current = view(session, response_id)
    answers = spreadsheet.changed_answers(spreadsheet.read_csv(text, current.definition), current.answers)
    return save_answers(session, response_id, actor=actor, answers=answers, answered_by=answered_by)


def save_answers(
    session: Session,
    response_id: int,
    *,
    actor: Actor,
    answers: Sequence[AnswerIn],
    answered_by: str,
    force_evidence: str | None = None,
) -> ResponseView:
    """Partial save: only the questions sent change. All answers are checked first; one bad answer
    refuses the whole batch with every problem listed, and nothing is written."""
    response = get_response(session, response_id, lock=True)
    if response.status == ResponseStatus.submitted:
        raise ResponseSubmitted(f"Response {response_id} was submitted; its answers can no longer change.")
    current = view(session, response_id)
    problems = [p for a in answers if (p := check_answer(current.definition.question(a.question_id), a))]
    seen: set[str] = set()
    for a in answers:
        if a.question_id in seen:
            problems.append(f"{a.question_id}: answered twice in one request")
        seen.add(a.question_id)
    if problems:
        raise InvalidAnswers("; ".join(problems))
    existing = {row.question_id: row for row in current.answers}
    changes: dict[str, Any] = {}
    now = utcnow()
    for a in answers:
        row = existing.get(a.question_id)
        before = _facts(row) if row else None
        if a.value is None and not a.na:
            if row is not None:
                session.delete(row)
                changes[a.question_id] = {"before": before, "after": None}
            continue
        if row is None:
            row = ResponseAnswer(response_id=response_id, question_id=a.question_id, answered_by=answered_by)
            session.add(row)
        row.value, row.na, row.na_reason, row.comment = a.value, a.na, a.na_reason, a.comment
        row.evidence = force_evidence or a.evidence
        row.compensating_control = a.compensating_control
        if before is None or before.get("compensating_control") != a.compensating_control:
            row.compensating_accepted = None  # a changed control needs a fresh review
        row.answered_by, row.updated_at = answered_by, now
        after = _facts(row)
        if after != before:
            changes[a.question_id] = {"before": before, "after": after}
    if changes:
        response.updated_at = now
        session.flush()
        audit.record(session, actor=actor, action="response.answers_saved", subject_type="response",
                     subject_id=response_id, changes=changes)
    return view(session, response_id)


def _facts(row: ResponseAnswer) -> dict[str, Any]:
    return {"value": row.value, "na": row.na, "na_reason": row.na_reason, "comment": row.comment,
            "evidence": row.evidence, "compensating_control": row.compensating_control}


def submit_response(session: Session, response_id: int, *, actor: Actor, submitted_by: str) -> ResponseView:
    response = get_response(session, response_id, lock=True)
    if response.status == ResponseStatus.submitted:
        raise ResponseSubmitted(f"Response {response_id} was already submitted.")
    current = view(session, response_id)
    if current.missing:
        raise IncompleteResponse(
            f"{len(current.missing)} required question(s) are not answered: {', '.join(current.missing)}"
        )
    response.status = ResponseStatus.submitted
    response.submitted_at = response.updated_at = utcnow()
    response.submitted_by = submitted_by
    session.flush()
    audit.record(session, actor=actor, action="response.submitted", subject_type="response", subject_id=response_id,
                 changes={"status": {"before": "draft", "after": "submitted"}})
    return view(session, response_id)


@dataclass(frozen=True)
class ScoringInputs:
    """Everything `scoring.score` is given for one response: stored with an assessment, it recomputes."""

    definition: QuestionnaireDef
    answers: dict[str, scoring.Answer]
    exposure: ExposureInput
    content_hash: str
    policy: list[scoring.PolicyCheck]


def scoring_inputs(
    session: Session, response_id: int, *, today: date | None = None, expiring_days: int | None = None
) -> ScoringInputs:
    """The inputs that score a response against its own questionnaire version, its integration's current
    exposure and the vendor's documents on `today`:
    - a document question earns its points (at full confidence: the register holds the document) when a
      document of one of its evidence types is in force;
    - an answer claiming independent attestation counts as such only while a document of the question's
      evidence types (any SOC 2 Type II, ISO 27001 or PCI AoC if it names none) is in force, and as
      document-backed otherwise;
    - the GDPR / HIPAA / PCI document gates (DPA, transfer mechanism, BAA, PCI AoC) join the gates."""
    from app.documents import service as document_service  # documents build on responses' scoring inputs

    today = today or date.today()
    expiring_days = expiring_days or get_settings().document_expiring_days
    current = view(session, response_id)
    integration = integration_service.get_integration(session, current.response.integration_id)
    exposure = ExposureInput(
        data_categories=parse_categories(integration.data_categories), access=Access(integration.access),
        volume=Volume(integration.volume), business_criticality=Criticality(integration.business_criticality),
    )
    facts = document_service.vendor_facts(session, integration.vendor_id, today=today, expiring_days=expiring_days)
    answers: dict[str, scoring.Answer] = {}
    for row in current.answers:
        answer = to_scoring_answer(row)
        question = current.definition.question(row.question_id)
        if answer.evidence == scoring.Evidence.independent and not _attested(question, facts.in_force):
            answer = replace(answer, evidence=scoring.Evidence.document)
        answers[row.question_id] = answer
    for question in current.definition.questions():
        if question.type == "document" and question.id not in answers:
            in_date = _attested(question, facts.in_force)
            answers[question.id] = scoring.Answer(
                question_id=question.id, document_in_date=in_date,
                evidence=scoring.Evidence.independent if in_date else scoring.Evidence.self_attested,
            )
    policy = document_service.integration_gates(session, integration, facts=facts)
    return ScoringInputs(current.definition, answers, exposure, current.version.content_hash, policy)


def score_response(
    session: Session, response_id: int, *, today: date | None = None, expiring_days: int | None = None
) -> scoring.ScoreResult:
    """Scores a response as `scoring_inputs` describes."""
    inputs = scoring_inputs(session, response_id, today=today, expiring_days=expiring_days)
    return scoring.score(inputs.definition, inputs.answers, exposure=inputs.exposure,
                         content_hash=inputs.content_hash, policy=inputs.policy)


# Independent attestations: what backs an "independent" claim on a question that names no evidence types.
ATTESTATIONS = ("soc2_type2", "iso27001", "pci_aoc")


def _attested(question: Any, in_force: dict[str, int]) -> bool:
    """A document of one of the question's evidence types (or any attestation if it names none) is in force."""
    if question is None:
        return False
    types = [str(t) for t in question.evidence] or ATTESTATIONS
    return any(t in in_force for t in types)


# --- for the pages: progress by section, evidence on file, what a staff form changed, an integration's list ---


@dataclass(frozen=True)
class SectionProgress:
    section_id: str
    title: str
    answered: int
    required: int


def progress(current: ResponseView) -> list[SectionProgress]:
    """Per section, the required questions counted as `missing_answers` counts them (shown given the saved
    answers, document questions left out) and how many of them have a saved answer (N/A counts)."""
    answers = {row.question_id: to_scoring_answer(row) for row in current.answers}
    by_id = {q.id: q for q in current.definition.questions()}
    out = []
    for section in current.definition.sections:
        required = [q.id for q in section.questions
                    if q.required and q.type != "document" and scoring.visible(q, answers, by_id)]
        out.append(SectionProgress(section.id, section.title, sum(1 for qid in required if qid in answers),
                                   len(required)))
    return out


def evidence_on_file(session: Session, response_id: int, *, today: date, expiring_days: int) -> dict[str, list[Any]]:
    """For each question that a document can back (type `document`, or naming evidence types), the vendor's
    documents in force on `today` of those types (a document question naming none: any independent
    attestation, as scoring counts it), newest first. Questions with nothing on file map to []."""
    from app.documents import service as document_service
    from app.documents.status import IN_FORCE

    current = view(session, response_id)
    integration = integration_service.get_integration(session, current.response.integration_id)
    questions = [q for q in current.definition.questions() if q.type == "document" or q.evidence]
    if not questions:
        return {}
    documents = [v for v in document_service.list_documents(session, integration.vendor_id, today=today,
                                                             expiring_days=expiring_days)
                 if v.standing.status in IN_FORCE]
    out: dict[str, list[Any]] = {}
    for question in questions:
        types = {str(t) for t in question.evidence} or set(ATTESTATIONS)
        out[question.id] = [v for v in documents if v.document.type in types]
    return out


def changed_answers(current: ResponseView, answers: Sequence[AnswerIn]) -> list[AnswerIn]:
    """The answers of a staff form that differ from what is stored (value, N/A and reason, comment, evidence,
    compensating control), and new ones; an unchanged answer is left alone (who answered it, and when)."""
    rows = {row.question_id: row for row in current.answers}
    changed = []
    for a in answers:
        row = rows.get(a.question_id)
        if row is None:
            if a.value is not None or a.na:
                changed.append(a)
        elif (row.value, row.na, row.na_reason, row.comment, row.evidence, row.compensating_control) != (
                a.value, a.na, a.na_reason, a.comment, a.evidence, a.compensating_control):
            changed.append(a)
    return changed


@dataclass(frozen=True)
class ResponseSummary:
    response: Response
    key: str
    version: int
    title: str


def list_for_integration(session: Session, integration_id: int) -> list[ResponseSummary]:
    """The integration's responses, newest first, with the questionnaire each is bound to."""
    integration_service.get_integration(session, integration_id)
    rows = session.execute(
        select(Response, QuestionnaireVersion)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Response.questionnaire_version_id)
        .where(Response.integration_id == integration_id).order_by(Response.id.desc())  # type: ignore[union-attr]
    )
    return [ResponseSummary(r, v.key, v.version, v.title) for r, v in rows]
