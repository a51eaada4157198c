"""Questionnaire pages: one form, two doors.

- `/respond/{secret}`: the vendor's page behind an invite link. The link is the credential; it reaches one
  response and nothing else, and the page shows nothing beyond it (no account, no navigation).
- `/responses/{id}`: the internal form for signed-in staff: the same fields and the same form reader, plus the
  evidence level, compensating controls, the documents on file, progress by section, the vendor links
  (invites, shown once) and, once submitted, the score.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from app.assessments import service as assessment_service
from app.auth.deps import Public, actor_of
from app.auth.models import User
from app.auth.permissions import Permission, allowed
from app.core.db import utcnow
from app.core.deps import RowId, SessionDep, SettingsDep
from app.core.errors import DomainError, NotFound
from app.integrations import service as integration_service
from app.questionnaires import service as questionnaire_service
from app.questionnaires.definition import Question
from app.responses import invites as invite_service
from app.responses import service as response_service
from app.responses.models import ResponseAnswer, ResponseStatus
from app.responses.schemas import AnswerIn, InviteCreate, ResponseCreate
from app.vendors import service as vendor_service
from app.web.csrf import CsrfProtected, CsrfRefused, CsrfToken, FormCsrf, verify_csrf
from app.web.deps import web_requires
from app.web.forms import PostedForm, form_str
from app.web.templating import redirect, render

# A questionnaire of a few hundred questions posts four to six fields each (Starlette's default cap is 1,000);
# the body size limit still bounds the request as a whole.
router = APIRouter(include_in_schema=False, form_limits={"max_fields": 10_000})
Reader = Annotated[User, web_requires(Permission.response_read)]
Writer = Annotated[User, web_requires(Permission.response_write)]

# The secret is in the URL: never cached, never sent on as a Referer (the CSP already keeps every
# request on this site).
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
# Whether the vendor's page loads /static/js/questionnaire.js and carries its follow-up questions hidden and
# disabled, for the script to show as answers change (the issue: the invite link uses the same form). Without
# JavaScript the server still shows follow-up questions on each save.
VENDOR_FORM_SCRIPT = True
EVIDENCE_LEVELS = [
    ("self_attested", "Self-attested (as stated)"),
    ("document", "Backed by a document"),
    ("independent", "Independently attested (a current SOC 2 Type II, ISO 27001 or PCI AoC)"),
]
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_INTEGER = re.compile(r"^[+-]?\d{1,15}$")
_UNION_NOISE = {"int_type", "float_type", "list_type", "string_type"}


# --- the one form: fields as shown, and the reader of what a form posted --------------------------------


@dataclass
class FieldView:
    """One question as the form shows it: its current (or just posted) answer and any problem with it."""

    question: Question
    options: list[tuple[str, str]] = field(default_factory=list)
    value: str = ""
    chosen: set[str] = field(default_factory=set)
    na: bool = False
    na_reason: str = ""
    comment: str = ""
    evidence: str = "self_attested"  # staff form only
    control: str = ""  # compensating control; staff form only
    error: str | None = None
    hidden: bool = False  # on the page for the script, hidden (and not posted) until its show_if holds
    live: bool = False  # the question its show_if names is on this form, so the script can follow it
    documents: list[Any] | None = None  # staff form: documents on file that can back it (None: not shown)

    @property
    def answerable(self) -> bool:
        return invite_service.answerable(self.question)


def _options(question: Question) -> list[tuple[str, str]]:
    if question.type == "yes_no":
        return [("yes", "Yes"), ("no", "No")]
    return [(o.value, o.label) for o in question.options or ()]


def _stored_field(question: Question, row: ResponseAnswer | None) -> FieldView:
    view = FieldView(question=question, options=_options(question))
    if row is None:
        return view
    if isinstance(row.value, list):
        view.chosen = {str(v) for v in row.value}
    elif row.value is not None:
        view.value = str(row.value)
    view.na, view.na_reason, view.comment = row.na, row.na_reason or "", row.comment or ""
    view.evidence, view.control = row.evidence, row.compensating_control or ""
    return view


def _posted_field(question: Question, form: FormData, *, staff: bool) -> FieldView:
    qid = question.id
    view = FieldView(question=question, options=_options(question), na=bool(form.get(f"na:{qid}")),
                     na_reason=form_str(form, f"na_reason:{qid}"), comment=form_str(form, f"comment:{qid}"))
    if question.type == "multi":
        view.chosen = {v for v in form.getlist(f"value:{qid}") if isinstance(v, str)}
    else:
        view.value = form_str(form, f"value:{qid}")
    if staff:
        view.evidence = form_str(form, f"evidence:{qid}") or "self_attested"
        view.control = form_str(form, f"control:{qid}")
    return view



def _answer_of(view: FieldView, *, staff: bool) -> AnswerIn:
    """The answer a posted field means; ValueError with a message for the person filling it in when it means none."""
    question = view.question
    value: Any = None
    if view.na:
        value = None  # N/A wins: a radio choice cannot be unticked without JavaScript
    elif question.type == "multi":
        # Kept in the questionnaire's option order, whatever order the browser sent.
        value = [v for v, _label in view.options if v in view.chosen] + sorted(
            view.chosen - {v for v, _label in view.options}
        ) or None
    elif question.type == "number":
        raw = view.value.strip()
        if raw:
            if not _NUMBER.match(raw):
                raise ValueError("Enter a number, such as 24 or 99.9.")
            value = int(raw) if _INTEGER.match(raw) else float(raw)
    else:
        value = view.value.strip() or None
    extra: dict[str, Any] = {}
    if staff:
        control = view.control.strip() or None
        if control and value is None and not view.na:
            raise ValueError("Choose an answer (or N/A) so the compensating control can be saved with it.")
        extra = {"evidence": view.evidence, "compensating_control": control}
    try:
        return AnswerIn(
            question_id=question.id, value=value, na=view.na, na_reason=(view.na_reason.strip() or None) if view.na
            else None, comment=view.comment.strip() or None, **extra,
        )
    except ValidationError as exc:
        raise ValueError(_validation_message(exc)) from None


def _validation_message(exc: ValidationError) -> str:
    names = {"value": "Answer", "na_reason": "Reason", "comment": "Comment", "evidence": "Evidence",
             "compensating_control": "Compensating control"}
    errors = [e for e in exc.errors() if e.get("type") not in _UNION_NOISE] or exc.errors()
    first = errors[0]
    where = names.get(str(first["loc"][0]) if first.get("loc") else "", "Answer")
    message = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
    if first.get("type") == "string_too_long":
        message = f"use at most {first.get('ctx', {}).get('max_length')} characters"
    return f"{where}: {message}."


def read_form(
    current: response_service.ResponseView, posted: FormData, *, staff: bool
) -> tuple[dict[str, FieldView], list[AnswerIn], dict[str, str]]:
    """The fields a questionnaire form sent, the answers they mean, and the fields that mean none.

    Only questions of this response's own questionnaire version that the form showed (`shown`) are read:
    any other name in the body (another response's question ids, a response or invite id) is ignored. The
    vendor's form (`staff=False`) never carries an evidence level or a compensating control."""
    definition = current.definition
    shown = dict.fromkeys(v for v in posted.getlist("shown") if isinstance(v, str))
    fields: dict[str, FieldView] = {}
    answers: list[AnswerIn] = []
    problems: dict[str, str] = {}
    for qid in shown:
        question = definition.question(qid)
        if question is None or not invite_service.answerable(question):
            continue
        view = fields[qid] = _posted_field(question, posted, staff=staff)
        try:
            answers.append(_answer_of(view, staff=staff))
        except ValueError as exc:
            problems[qid] = str(exc)
    return fields, answers, problems


def build_sections(
    current: response_service.ResponseView,
    *,
    posted: dict[str, FieldView] | None = None,
    problems: dict[str, str] | None = None,
    answers: list[AnswerIn] | None = None,
    include_hidden: bool = False,
    documents: dict[str, list[Any]] | None = None,
) -> tuple[list[dict[str, Any]], list[tuple[str, str, str]]]:
    """The form's sections (each with its fields and saved progress) and the problems summary, in order.

    A question is shown when its show_if holds for the answers as they would be once `answers` are saved;
    with `include_hidden` the others are on the page too, hidden and disabled, for the script to reveal."""
    problems = problems or {}
    rows = {row.question_id: row for row in current.answers}
    merged = invite_service.merged_answers(current, answers or [])
    # A question with a problem stays on the page even if the answers just sent would hide it.
    shown = invite_service.visible_ids(current.definition, merged) | set(problems)
    on_form = {q.id for q in current.definition.questions() if invite_service.answerable(q)}
    progress = {p.section_id: p for p in response_service.progress(current)}
    sections = []
    for section in current.definition.sections:
        fields = []
        for question in section.questions:
            hidden = question.id not in shown
            if hidden and not include_hidden:
                continue
            view = (posted or {}).get(question.id) or _stored_field(question, rows.get(question.id))
            view.error = problems.get(question.id)
            view.hidden = hidden
            view.live = question.show_if is not None and question.show_if.question in on_form
            if documents is not None and question.id in documents:
                view.documents = documents[question.id]
            fields.append(view)
        if fields:
            done = progress[section.id]
            sections.append({"id": section.id, "title": section.title, "fields": fields,
                             "answered": done.answered, "required": done.required,
                             "hidden": all(f.hidden for f in fields)})
    order = {q.id: n for n, q in enumerate(current.definition.questions())}
    summary = [(qid, q.text if (q := current.definition.question(qid)) else qid, problems[qid])
               for qid in sorted(problems, key=lambda qid: order.get(qid, len(order)))]
    return sections, summary


# --- the vendor's page ---------------------------------------------------------------------------------



def _page(
    request: Request,
    form: invite_service.VendorForm,
    csrf: CsrfToken,
    *,
    posted: dict[str, FieldView] | None = None,
    problems: dict[str, str] | None = None,
    answers: list[AnswerIn] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    current = form.current
    sections, summary = build_sections(current, posted=posted, problems=problems, answers=answers,
                                       include_hidden=VENDOR_FORM_SCRIPT)
    context = {
        "vendor_name": form.vendor_name, "title": current.definition.title,
        "description": current.definition.description, "sections": sections, "summary": summary,
        "answered": current.required - len(current.missing), "required": current.required,
        "expires_at": form.invite.expires_at, "notice": notice, "script": VENDOR_FORM_SCRIPT,
    }
    return render(request, "respond/form.html", context, status_code=status_code, csrf=csrf, headers=PAGE_HEADERS)


def _unavailable(request: Request, exc: DomainError) -> Response:
    if isinstance(exc, invite_service.InviteClosed):
        return render(request, "respond/closed.html", {"detail": exc.detail}, status_code=exc.status_code,
                      headers=PAGE_HEADERS)
    heading = {404: "This link does not work", 410: "This link no longer works"}.get(
        exc.status_code, "This form cannot be used right now"
    )
    return render(request, "respond/unavailable.html", {"heading": heading, "detail": exc.detail},
                  status_code=exc.status_code, headers=PAGE_HEADERS)


@router.get("/respond/{secret}", dependencies=[Public])
def respond_form(request: Request, secret: str, session: SessionDep, csrf: FormCsrf) -> Response:
    try:
        form = invite_service.open_form(session, secret)
    except DomainError as exc:
        return _unavailable(request, exc)
    return _page(request, form, csrf)


@router.post("/respond/{secret}", dependencies=[Public])
def respond(
    request: Request,
    secret: str,
    session: SessionDep,
    settings: SettingsDep,
    csrf: FormCsrf,
    posted: PostedForm,
    csrf_token: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "save",
) -> Response:
    try:
        # Checked first, before the link is even looked up; refused here rather than by the app's handler
        # so that this page, too, carries no-referrer.
        verify_csrf(request, settings, csrf_token)
    except CsrfRefused as exc:
        return render(request, "respond/unavailable.html",
                      {"heading": "This form could not be accepted", "detail": exc.detail, "reload": True},
                      status_code=exc.status_code, headers=PAGE_HEADERS)
    submit = action == "submit"
    try:
        form = invite_service.open_form(session, secret, lock=True)  # held until this request commits
    except DomainError as exc:
        return _unavailable(request, exc)
    fields, answers, problems = read_form(form.current, posted, staff=False)
    problems = {**invite_service.problems_with(form.current, answers, submit=submit), **problems}
    if problems:
        return _page(request, form, csrf, posted=fields, problems=problems, answers=answers, status_code=422)
    try:
        saved = invite_service.save_vendor_answers(session, secret, answers=answers, submit=submit)
    except invite_service.VendorAnswersRefused as exc:  # the service checks again; nothing was written
        return _page(request, form, csrf, posted=fields, problems=exc.problems, answers=answers, status_code=422)
    except DomainError as exc:
        return _unavailable(request, exc)
    if submit:
        return render(request, "respond/closed.html",
                      {"detail": "Your answers were submitted. Thank you; there is nothing more to do.",
                       "vendor_name": saved.vendor_name, "title": saved.current.definition.title},
                      headers=PAGE_HEADERS)
    return _page(request, saved, csrf, notice="Your answers were saved. You can come back to this link to "
                                              "finish before it expires.")


# --- the internal form: start, fill in, submit; vendor links --------------------------------------------


def _questionnaire_options(session: SessionDep, integration: Any) -> list[tuple[str, str]]:
    """Every loaded questionnaire (newest versions), those that apply to the integration first."""
    suggested = questionnaire_service.applicable(session, kind=integration.kind,
                                                 data_categories=integration.data_categories)
    keys = {row.key for row in suggested}
    rest = [row for row in questionnaire_service.list_latest(session) if row.key not in keys]
    return ([(r.key, f"{r.title} (v{r.version}, suggested for this integration)") for r in suggested]
            + [(r.key, f"{r.title} (v{r.version})") for r in rest])


@router.post("/integrations/{integration_id}/responses", dependencies=[CsrfProtected])
def start_response(
    request: Request,
    integration_id: RowId,
    session: SessionDep,
    user: Writer,
    csrf: FormCsrf,
    questionnaire: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Start answering a questionnaire (its newest version) for an integration; off to the form."""
    integration = integration_service.get_integration(session, integration_id)  # 404 page when unknown
    error, status = None, 422
    try:
        data = ResponseCreate(questionnaire=questionnaire.strip())
    except ValidationError:
        error = "Choose a questionnaire from the list."
    else:
        try:
            with session.begin_nested():
                response = response_service.start_response(session, actor=actor_of(user),
                                                           integration_id=integration_id, key=data.questionnaire,
                                                           version=data.version)
        except DomainError as exc:
            error, status = exc.detail, exc.status_code
        else:
            return redirect(f"/responses/{response.id}",
                            "Questionnaire started. Answer it here, or invite the vendor to answer it.")
    vendor = vendor_service.get_vendor(session, integration.vendor_id)
    return render(request, "responses/start.html", {
        "user": user, "active_section": "vendors", "integration": integration, "vendor": vendor,
        "options": _questionnaire_options(session, integration), "value": questionnaire, "error": error,
    }, csrf=csrf, status_code=status)


def _response_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: User,
    csrf: CsrfToken,
    response_id: int,
    *,
    posted: dict[str, FieldView] | None = None,
    problems: dict[str, str] | None = None,
    answers: list[AnswerIn] | None = None,
    error: str | None = None,
    invite_values: dict[str, str] | None = None,
    invite_errors: dict[str, str] | None = None,
    issued: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    current = response_service.view(session, response_id)
    integration = integration_service.get_integration(session, current.response.integration_id)
    vendor = vendor_service.get_vendor(session, integration.vendor_id)
    today = date.today()
    documents = response_service.evidence_on_file(session, response_id, today=today,
                                                  expiring_days=settings.document_expiring_days)
    sections, summary = build_sections(current, posted=posted, problems=problems, answers=answers,
                                       include_hidden=True, documents=documents)
    submitted = current.response.status == ResponseStatus.submitted
    can_write = allowed(user.role, Permission.response_write)
    now = utcnow()
    invites = ([(i, invite_service.invite_state(i, now=now)) for i in invite_service.list_invites(session, response_id)]
               if can_write else [])
    score = response_service.score_response(session, response_id, today=today) if submitted else None
    assessments = assessment_service.list_for_integration(session, integration.id, today=today)[:5] if submitted \
        else []
    return render(request, "responses/form.html", {
        "user": user, "active_section": "vendors", "current": current, "response": current.response,
        "integration": integration, "vendor": vendor, "sections": sections, "summary": summary,
        "answered": current.required - len(current.missing), "required": current.required,
        "editable": can_write and not submitted, "submitted": submitted, "error": error,
        "evidence_levels": EVIDENCE_LEVELS, "invites": invites,
        "active_invites": sum(1 for _i, state in invites if state == "active"),
        "invite_values": invite_values or {"email": "", "expires_in_days": str(invite_service.DEFAULT_EXPIRY_DAYS)},
        "invite_errors": invite_errors or {}, "issued": issued, "max_expiry_days": invite_service.MAX_EXPIRY_DAYS,
        "contacts": [c.get("email") for c in vendor.contacts if c.get("email")],
        "score": score, "assessments": assessments,
    }, csrf=csrf, status_code=status_code, headers=headers)


@router.get("/responses/{response_id}")
def response_form(
    request: Request, response_id: RowId, session: SessionDep, settings: SettingsDep, user: Reader, csrf: FormCsrf,
) -> Response:
    return _response_page(request, session, settings, user, csrf, response_id)


@router.post("/responses/{response_id}", dependencies=[CsrfProtected])
def save_response(
    request: Request,
    response_id: RowId,
    session: SessionDep,
    settings: SettingsDep,
    user: Writer,
    csrf: FormCsrf,
    posted: PostedForm,
    action: Annotated[str, Form()] = "save",
) -> Response:
    """Save a draft (only the answers that changed) or submit: all or nothing; on any problem the form comes
    back with every problem listed by question, the values as typed, and nothing saved."""
    submit = action == "submit"
    current = response_service.view(session, response_id)
    fields, answers, problems = read_form(current, posted, staff=True)
    page = {"posted": fields, "answers": answers}
    if current.response.status == ResponseStatus.submitted:
        return _response_page(request, session, settings, user, csrf, response_id, status_code=409,
                              error="This response was submitted; its answers can no longer change. Nothing was saved.")
    problems = {**invite_service.problems_with(current, answers, submit=submit), **problems}
    if problems:
        return _response_page(request, session, settings, user, csrf, response_id, problems=problems,
                              status_code=422, **page)
    actor = actor_of(user)
    try:
        with session.begin_nested():  # a refused submit takes the answers saved before it back with it
            changed = response_service.changed_answers(current, answers)
            if changed:
                response_service.save_answers(session, response_id, actor=actor, answers=changed,
                                              answered_by=user.email)
            if submit:
                response_service.submit_response(session, response_id, actor=actor, submitted_by=user.email)
    except DomainError as exc:  # the service checks again (a vendor may have saved meanwhile)
        return _response_page(request, session, settings, user, csrf, response_id, error=f"{exc.detail} Nothing was saved.",
                              status_code=exc.status_code, **page)
    if submit:
        return redirect(f"/responses/{response_id}", "Submitted. The score is below; take an assessment to send it "
                                                     "to security for review.")
    return redirect(f"/responses/{response_id}", "Draft saved.")


_INVITE_FIELDS = {"email": "email", "expires_in_days": "expires_in_days"}


@router.post("/responses/{response_id}/invites", dependencies=[CsrfProtected])
def create_invite(
    request: Request,
    response_id: RowId,
    session: SessionDep,
    settings: SettingsDep,
    user: Writer,
    csrf: FormCsrf,
    email: Annotated[str, Form(max_length=1000)] = "",
    expires_in_days: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """A vendor link for this response. The page that answers shows it once (status 201), and nowhere else:
    it is not put in a redirect's flash cookie, and only its hash is stored."""
    values = {"email": email, "expires_in_days": expires_in_days}
    errors: dict[str, str] = {}
    days: int | None = None
    try:
        days = int(expires_in_days.strip() or invite_service.DEFAULT_EXPIRY_DAYS)
    except ValueError:
        errors["expires_in_days"] = f"Enter a whole number of days, from 1 to {invite_service.MAX_EXPIRY_DAYS}."
    data = None
    try:
        data = InviteCreate(email=email.strip() or None, expires_in_days=days if days is not None else 14)
    except ValidationError as exc:
        for problem in exc.errors():
            name = _INVITE_FIELDS.get(str(problem["loc"][0]) if problem.get("loc") else "", "email")
            if name == "email":
                errors.setdefault(name, "Enter an e-mail address such as security@vendor.example.com, or leave it empty.")
            else:
                errors.setdefault(name, f"Enter a whole number of days, from 1 to {invite_service.MAX_EXPIRY_DAYS}.")
    if errors or data is None:
        return _response_page(request, session, settings, user, csrf, response_id, invite_values=values,
                              invite_errors=errors, status_code=422)
    try:
        with session.begin_nested():
            issued = invite_service.create_invite(session, response_id, actor=actor_of(user), email=data.email,
                                                  expires_in_days=data.expires_in_days)
    except NotFound:
        raise
    except DomainError as exc:
        return _response_page(request, session, settings, user, csrf, response_id, invite_values=values,
                              invite_errors={"form": exc.detail}, status_code=exc.status_code)
    # The address vendors reach us at (RISKREG_PUBLIC_URL), else the one this page was reached at.
    url = f"{(settings.public_url or str(request.base_url)).rstrip('/')}/respond/{issued.secret}"
    return _response_page(request, session, settings, user, csrf, response_id, status_code=201,
                          issued={"invite": issued.invite, "url": url})


@router.post("/invites/{invite_id}/revoke", dependencies=[CsrfProtected])
def revoke_invite(invite_id: RowId, session: SessionDep, user: Writer) -> Response:
    invite = invite_service.revoke_invite(session, invite_id, actor=actor_of(user))
    return redirect(f"/responses/{invite.response_id}#invites",
                    f"Invite {invite.id} revoked: its link no longer works. Answers already saved stay.")
