"""Assessment pages: the list by state, taking one, the detail with security's review form and legal's sign
form, the signed record's download, and a public page that checks a record (/records/verify).

Every action calls the service the JSON API calls, with the same transaction handling.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from app.assessments import jobs, record
from app.assessments import service as assessment_service
from app.assessments.api import record_file_response
from app.assessments.models import AssessmentStatus
from app.assessments.schemas import ReviewCreate
from app.auth.deps import Public, actor_of
from app.auth.models import User
from app.auth.permissions import Permission, allowed
from app.core.db import utcnow
from app.core.deps import MAX_ID, RowId, SessionDep
from app.core.errors import DomainError, NotFound
from app.integrations import service as integration_service
from app.integrations.decisions import MAX_EXCEPTION_DAYS
from app.vendors import service as vendor_service
from app.web.csrf import CsrfProtected, CsrfToken, FormCsrf
from app.web.deps import OptionalWebUser, web_requires
from app.web.forms import PostedForm, form_str
from app.web.templating import redirect, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, web_requires(Permission.assessment_read)]
PAGE_SIZE = 50
STATE_TABS = [
    ("in_review", "Awaiting review"),
    ("decided", "Decided, awaiting signature"),
    ("signed", "Signed"),
    ("ended", "Expired or superseded"),
    ("all", "All"),
]
DECISIONS = [
    ("approve", "Approve", None),
    ("approve_with_conditions", "Approve with conditions", "List the conditions below, one per line."),
    ("reject", "Reject", None),
]
DECISION_LABELS = {value: label for value, label, _help in DECISIONS}



# --- the list ------------------------------------------------------------------------------------------


@router.get("/assessments")
def assessments_page(
    request: Request,
    session: SessionDep,
    user: Reader,
    csrf: FormCsrf,
    state: Annotated[str | None, Query(max_length=20)] = None,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Assessments by state, newest first, 50 a page. Legal lands on those awaiting signature, others on
    those awaiting review."""
    tabs = [value for value, _label in STATE_TABS]
    if state not in tabs:
        signer_only = allowed(user.role, Permission.assessment_sign) and not allowed(
            user.role, Permission.assessment_review)
        state = "decided" if signer_only else "in_review"
    # An id: ASCII digits (str.isdigit() also holds for "²", which int() refuses) within the ids' 32 bits.
    before = int(cursor) if cursor and cursor.isascii() and cursor.isdigit() and 0 < int(cursor) <= MAX_ID else None
    listing = assessment_service.list_assessments(session, state=None if state == "all" else state,
                                                  today=date.today(), limit=PAGE_SIZE, before=before)
    return render(request, "assessments/list.html", {
        "user": user, "active_section": "assessments", "state": state, "tabs": STATE_TABS,
        "state_label": dict(STATE_TABS)[state],
        "listing": listing, "counts": {**listing.counts, "all": sum(listing.counts.values())},
        "decision_labels": DECISION_LABELS, "paged": before is not None,
    }, csrf=csrf)


# --- take one ------------------------------------------------------------------------------------------


@router.post("/integrations/{integration_id}/assessments", dependencies=[CsrfProtected])
def take_assessment(
    request: Request,
    integration_id: RowId,
    session: SessionDep,
    user: Annotated[User, web_requires(Permission.assessment_create)],
    csrf: FormCsrf,
) -> Response:
    """Take an assessment (the same snapshot as the API's) and open it; a refusal says why and where to go."""
    try:
        with session.begin_nested():
            assessment = assessment_service.create_assessment(session, integration_id, actor=actor_of(user),
                                                              today=date.today())
    except NotFound:
        raise
    except DomainError as exc:
        integration = integration_service.get_integration(session, integration_id)
        detail = exc.detail
        if isinstance(exc, assessment_service.NothingToAssess):
            detail = ("This integration has no submitted questionnaire yet. Start one (or open the one in "
                      "progress) from the integration page, have it answered and submitted, then take the "
                      "assessment.")
        return render(request, "assessments/take_refused.html", {
            "user": user, "active_section": "assessments", "integration": integration, "detail": detail,
        }, csrf=csrf, status_code=exc.status_code)
    return redirect(f"/assessments/{assessment.id}",
                    "Assessment taken: the submitted answers, documents in force and gates are frozen for review.")


# --- the detail, with the review and sign forms ----------------------------------------------------------


@dataclass(frozen=True)
class PointsRow:
    name: str  # the form field
    response_id: int
    question_id: str
    question: str
    answer: Any
    points: float | None
    frozen: bool


@dataclass(frozen=True)
class ControlRow:
    name: str
    response_id: int
    question_id: str
    question: str
    control: str
    accepted: bool | None
    frozen: bool


@dataclass(frozen=True)
class GateRow:
    gate: dict[str, Any]
    exception: Any  # a GateException in force, or None


def _review_inputs(session: SessionDep, assessment: Any, *, today: date) -> tuple[
        list[PointsRow], list[ControlRow], list[GateRow]]:
    """What the review form asks, from the snapshot: points for answered text and date questions, a decision
    on each compensating control, and an exception for each failed gate (unless one already lifts it)."""
    frozen = assessment_service.frozen_responses(session, assessment.integration_id)
    points, controls = [], []
    for response in assessment.snapshot.get("responses", []):
        rid = response["response_id"]
        for row in response["rows"]:
            qid = row["question_id"]
            if row["type"] in ("text", "date") and row["value"] is not None:
                points.append(PointsRow(f"points:{rid}:{qid}", rid, qid, row["question"], row["value"],
                                        row["reviewer_points"], rid in frozen))
            if row["compensating_control"]:
                controls.append(ControlRow(f"compensating:{rid}:{qid}", rid, qid, row["question"],
                                           row["compensating_control"], row["compensating_accepted"], rid in frozen))
    lifted = assessment_service.exceptions_in_force(session, assessment.integration_id, today=today)
    gates = [GateRow(g, lifted.get(g["id"])) for g in assessment.snapshot.get("overall", {}).get("gates", [])
             if g["status"] != "passed"]
    return points, controls, gates


def _detail(
    request: Request,
    session: SessionDep,
    user: User,
    csrf: CsrfToken,
    assessment_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    review_error: str | None = None,
    sign_error: str | None = None,
    status_code: int = 200,
) -> Response:
    assessment = assessment_service.get_assessment(session, assessment_id)
    today = date.today()
    view = assessment_service.state_of(session, assessment, today=today)
    integration = integration_service.get_integration(session, assessment.integration_id)
    vendor = vendor_service.get_vendor(session, integration.vendor_id)
    actor = actor_of(user)
    can_review = allowed(user.role, Permission.assessment_review)
    can_sign = allowed(user.role, Permission.assessment_sign)
    review_refusal = assessment_service.review_refusal(session, assessment, actor=actor) if can_review else None
    sign_refusal = assessment_service.sign_refusal(session, assessment, actor=actor) \
        if can_sign and assessment.status != AssessmentStatus.signed else None
    points, controls, gates = _review_inputs(session, assessment, today=today)
    if values is None:
        values = {"decision": assessment.decision or "", "reason": assessment.reason or "",
                  "conditions": "\n".join(assessment.conditions or [])}
    return render(request, "assessments/detail.html", {
        "user": user, "active_section": "assessments", "a": assessment, "state": view.state,
        "superseded_by_id": view.superseded_by_id, "snapshot": assessment.snapshot,
        "shown": {r["response_id"]: record.shown_answers(r) for r in assessment.snapshot.get("responses", [])},
        "integration": integration, "vendor": vendor, "decisions": DECISIONS, "decision_labels": DECISION_LABELS,
        "can_review": can_review, "review_refusal": review_refusal, "can_sign": can_sign,
        "sign_refusal": sign_refusal, "points": points, "controls": controls, "gates": gates,
        "values": values, "errors": errors or {}, "review_error": review_error, "sign_error": sign_error,
        "exception_default": (today + timedelta(days=90)).isoformat(), "max_exception_days": MAX_EXCEPTION_DAYS,
        "today": today,
    }, csrf=csrf, status_code=status_code)


@router.get("/assessments/{assessment_id}")
def assessment_page(request: Request, assessment_id: RowId, session: SessionDep, user: Reader,
                    csrf: FormCsrf) -> Response:
    return _detail(request, session, user, csrf, assessment_id)



_DECISION_SHAPE = {
    "approve_with_conditions needs at least one condition":
        "Add at least one condition (one per line) for “Approve with conditions”.",
    "conditions go with approve_with_conditions":
        "Conditions go only with “Approve with conditions”: clear them or choose that decision.",
    "exceptions: one per gate": "One exception per gate.",
}


def _read_review(form: FormData, points: list[PointsRow], controls: list[ControlRow],
                 gates: list[GateRow]) -> tuple[dict[str, Any], dict[str, str], ReviewCreate | None]:
    """The review form as typed (to show again), its problems by field name, and the review it means.
    Only reviewer inputs that change something are sent, as a reviewer would send them to the API."""
    values: dict[str, Any] = {name: form_str(form, name) for name in ("decision", "reason", "conditions")}
    errors: dict[str, str] = {}
    reviewer_points, compensating, exceptions = [], [], []
    exception_gates: list[str] = []
    for row in points:
        raw = values[row.name] = form_str(form, row.name).strip()
        if row.frozen or not raw:
            continue
        try:
            number = float(raw)
            if not 0 <= number <= 1:
                raise ValueError
        except ValueError:
            errors[row.name] = "Enter points from 0 to 1, such as 0.5."
            continue
        if number != row.points:
            reviewer_points.append({"response_id": row.response_id, "question_id": row.question_id, "points": number})
    for row in controls:
        raw = values[row.name] = form_str(form, row.name)
        if row.frozen or raw not in ("accept", "refuse"):
            continue
        if (raw == "accept") != row.accepted:
            compensating.append({"response_id": row.response_id, "question_id": row.question_id,
                                 "accepted": raw == "accept"})
    for gate in gates:
        gid = gate.gate["id"]
        lift, reason, expires = f"lift:{gid}", f"exception_reason:{gid}", f"exception_expires:{gid}"
        values[lift], values[reason], values[expires] = form_str(form, lift), form_str(form, reason), form_str(form, expires)
        if gate.exception is not None or not values[lift]:
            continue
        try:
            expires_on = date.fromisoformat(values[expires].strip())
        except ValueError:
            errors[expires] = "Enter the day the exception ends, as YYYY-MM-DD."
            continue
        exceptions.append({"gate": gid, "reason": values[reason], "expires_on": expires_on})
        exception_gates.append(gid)
    conditions = [line.strip() for line in values["conditions"].splitlines() if line.strip()]
    if values["decision"] not in DECISION_LABELS:
        errors["decision"] = "Choose Approve, Approve with conditions or Reject."
    if not values["reason"].strip():
        errors["reason"] = "Say why: the reason is kept with the decision and printed on the record."
    if errors:
        return values, errors, None
    try:
        data = ReviewCreate.model_validate({
            "decision": values["decision"], "reason": values["reason"], "conditions": conditions,
            "reviewer_points": reviewer_points, "compensating": compensating, "exceptions": exceptions,
        })
    except ValidationError as exc:
        for problem in exc.errors():
            loc = problem.get("loc") or ()
            message = str(problem.get("msg", "is not valid")).removeprefix("Value error, ")
            if not loc:
                name = "conditions" if "condition" in message else "exceptions"
                errors.setdefault(name, _DECISION_SHAPE.get(message, message))
            elif loc[0] == "exceptions" and len(loc) > 2 and isinstance(loc[1], int):
                gid = exception_gates[loc[1]]
                field = {"reason": "exception_reason", "expires_on": "exception_expires"}.get(str(loc[2]), "lift")
                errors.setdefault(f"{field}:{gid}", f"{message}.")
            elif loc[0] == "conditions":
                errors.setdefault("conditions", f"Each condition: {message.lower()}.")
            else:
                errors.setdefault(str(loc[0]), f"{message}.")
        return values, errors, None
    return values, errors, data


@router.post("/assessments/{assessment_id}/review", dependencies=[CsrfProtected])
def review_assessment(
    request: Request,
    assessment_id: RowId,
    session: SessionDep,
    user: Annotated[User, web_requires(Permission.assessment_review)],
    csrf: FormCsrf,
    form: PostedForm,
) -> Response:
    """Security's decision, with the same validation as POST /api/v1/assessments/{id}/review; a refusal
    comes back on the form, with what was typed kept and nothing stored."""
    assessment = assessment_service.get_assessment(session, assessment_id)
    points, controls, gates = _review_inputs(session, assessment, today=date.today())
    values, errors, data = _read_review(form, points, controls, gates)
    if data is None:
        return _detail(request, session, user, csrf, assessment_id, values=values, errors=errors,
                       review_error="The decision was not recorded: check the fields marked below.", status_code=422)
    try:
        with session.begin_nested():  # reviewer inputs applied before a refusal are taken back with it
            assessment_service.review(session, assessment_id, actor=actor_of(user), data=data, today=date.today())
    except NotFound:
        raise
    except DomainError as exc:
        return _detail(request, session, user, csrf, assessment_id, values=values,
                       review_error=f"The decision was not recorded. {exc.detail}", status_code=exc.status_code)
    return redirect(f"/assessments/{assessment_id}",
                    f"Decision recorded: {DECISION_LABELS[data.decision]}. Legal can now sign the record.")


@router.post("/assessments/{assessment_id}/sign", dependencies=[CsrfProtected])
def sign_assessment(
    request: Request,
    assessment_id: RowId,
    session: SessionDep,
    user: Annotated[User, web_requires(Permission.assessment_sign)],
    csrf: FormCsrf,
) -> Response:
    """Legal signs, as POST /api/v1/assessments/{id}/sign does: checks, commit, render and sign outside the
    transaction, then store. A refusal by the checks comes back on the page; nothing was written then."""
    actor = actor_of(user)
    try:
        job = assessment_service.prepare_signing(session, assessment_id, actor=actor, now=utcnow())
    except NotFound:
        raise
    except DomainError as exc:
        return _detail(request, session, user, csrf, assessment_id, sign_error=exc.detail,
                       status_code=exc.status_code)
    # Rendering takes seconds: end this transaction (and its write lock) first, so other writers go on.
    session.commit()
    signed = assessment_service.render_and_sign(job)
    assessment_service.complete_signing(session, job, signed, actor=actor)
    return redirect(f"/assessments/{assessment_id}", "Signed. The signed record (PDF) is ready to download.")


@router.get("/assessments/{assessment_id}/record.pdf")
def download_record(
    assessment_id: RowId, session: SessionDep, _user: Annotated[User, web_requires(Permission.record_read)],
) -> Response:
    """The signed PDF record, checked against its SHA-256 before it is sent (the API's download)."""
    return record_file_response(session, assessment_id)


# --- check a record, for anyone ---------------------------------------------------------------------------

# POST /records/verify takes a record as large as the API's verify does: app/main.py's route_limits should
# give this path jobs.MAX_RECORD_BYTES + UPLOAD_OVERHEAD (without it, the global body limit applies).
VERIFY_PAGE_PATH = "/records/verify"


@router.get(VERIFY_PAGE_PATH, dependencies=[Public])
def verify_form(request: Request, user: OptionalWebUser, csrf: FormCsrf) -> Response:
    return render(request, "assessments/verify.html", {"user": user, "active_section": "assessments",
                                                        "max_mib": jobs.MAX_RECORD_BYTES // (1024 * 1024)}, csrf=csrf)


@router.post(VERIFY_PAGE_PATH, dependencies=[Public, CsrfProtected])
def verify_upload(
    request: Request,
    session: SessionDep,
    user: OptionalWebUser,
    csrf: FormCsrf,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The same check as POST /api/v1/records/verify, shown as a page. Nothing is stored."""
    context: dict[str, Any] = {"user": user, "active_section": "assessments",
                               "max_mib": jobs.MAX_RECORD_BYTES // (1024 * 1024)}
    if file is None:
        return render(request, "assessments/verify.html", {**context, "error": "Choose the PDF record to check."},
                      csrf=csrf, status_code=422)
    data = file.file.read(jobs.MAX_RECORD_BYTES + 1)
    file.file.close()
    try:
        found = jobs.lookup_record(session, data)
    except DomainError as exc:
        return render(request, "assessments/verify.html", {**context, "error": exc.detail}, csrf=csrf,
                      status_code=exc.status_code)
    # Anyone may call this: end the transaction before the file is parsed, so no lock is held meanwhile.
    session.commit()
    result = jobs.check_record(data, found)
    return render(request, "assessments/verify.html", {**context, "result": result,
                                                        "file_name": (file.filename or "")[:200]}, csrf=csrf)
