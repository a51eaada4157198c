"""The vendor's page: a plain HTML form (no JavaScript) behind an invite link. The link is the credential;
it reaches one response and nothing else, and these pages show nothing beyond it."""

import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from app.auth.deps import Public
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import DomainError
from app.questionnaires.definition import Question
from app.responses import invites as invite_service
from app.responses.models import ResponseAnswer
from app.responses.schemas import AnswerIn
from app.web.csrf import CsrfRefused, CsrfToken, FormCsrf, verify_csrf
from app.web.templating import render

# A questionnaire of a few hundred questions posts four or five fields each (Starlette's default cap is 1,000);
# the body size limit still bounds the request as a whole.
router = APIRouter(include_in_schema=False, form_limits={"max_fields": 10_000})

# The secret is in the URL: never cached, never sent on as a Referer (the CSP already keeps every
# request on this site).
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_INTEGER = re.compile(r"^[+-]?\d{1,15}$")
_UNION_NOISE = {"int_type", "float_type", "list_type", "string_type"}


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
    error: str | None = None

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
    return view


def _posted_field(question: Question, form: FormData) -> FieldView:
    qid = question.id
    view = FieldView(question=question, options=_options(question), na=bool(form.get(f"na:{qid}")),
                     na_reason=_text(form, f"na_reason:{qid}"), comment=_text(form, f"comment:{qid}"))
    if question.type == "multi":
        view.chosen = {v for v in form.getlist(f"value:{qid}") if isinstance(v, str)}
    else:
        view.value = _text(form, f"value:{qid}")
    return view


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _answer_of(view: FieldView) -> AnswerIn:
    """The answer a posted field means; ValueError with a message for the vendor when it means none."""
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
    try:
        return AnswerIn(
            question_id=question.id, value=value, na=view.na, na_reason=(view.na_reason.strip() or None) if view.na
            else None, comment=view.comment.strip() or None,
        )
    except ValidationError as exc:
        raise ValueError(_validation_message(exc)) from None


def _validation_message(exc: ValidationError) -> str:
    names = {"value": "Answer", "na_reason": "Reason", "comment": "Comment"}
    errors = [e for e in exc.errors() if e.get("type") not in _UNION_NOISE] or exc.errors()
    first = errors[0]
    where = names.get(str(first["loc"][0]) if first.get("loc") else "", "Answer")
    message = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
    if first.get("type") == "string_too_long":
        message = f"use at most {first.get('ctx', {}).get('max_length')} characters"
    return f"{where}: {message}."


def _read_form(form: invite_service.VendorForm, posted: FormData) -> tuple[dict[str, FieldView], list[AnswerIn], dict[str, str]]:
    """The fields the vendor sent, the answers they mean, and the fields that mean none.

    Only questions of this response's own questionnaire version that the form showed are read: any
    other name in the body (another response's question ids, a response or invite id) is ignored."""
    definition = form.current.definition
    shown = dict.fromkeys(v for v in posted.getlist("shown") if isinstance(v, str))
    fields: dict[str, FieldView] = {}
    answers: list[AnswerIn] = []
    problems: dict[str, str] = {}
    for qid in shown:
        question = definition.question(qid)
        if question is None or not invite_service.answerable(question):
            continue
        view = fields[qid] = _posted_field(question, posted)
        try:
            answers.append(_answer_of(view))
        except ValueError as exc:
            problems[qid] = str(exc)
    return fields, answers, problems


async def posted_form(request: Request) -> FormData:
    """The form body FastAPI already parsed (cached on the request), with every field name in it."""
    return await request.form()


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
    problems = problems or {}
    rows = {row.question_id: row for row in current.answers}
    merged = invite_service.merged_answers(current, answers or [])
    # A question with a problem stays on the page even if the answers just sent would hide it.
    shown = invite_service.visible_ids(current.definition, merged) | set(problems)
    sections = []
    for section in current.definition.sections:
        fields = []
        for question in section.questions:
            if question.id not in shown:
                continue
            view = (posted or {}).get(question.id) or _stored_field(question, rows.get(question.id))
            view.error = problems.get(question.id)
            fields.append(view)
        if fields:
            sections.append({"title": section.title, "fields": fields})
    order = {q.id: n for n, q in enumerate(current.definition.questions())}
    summary = [(qid, q.text if (q := current.definition.question(qid)) else qid, problems[qid])
               for qid in sorted(problems, key=lambda qid: order.get(qid, len(order)))]
    context = {
        "vendor_name": form.vendor_name, "title": current.definition.title,
        "description": current.definition.description, "sections": sections, "summary": summary,
        "answered": current.required - len(current.missing), "required": current.required,
        "expires_at": form.invite.expires_at, "notice": notice,
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
    posted: Annotated[FormData, Depends(posted_form)],
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
    fields, answers, problems = _read_form(form, posted)
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
