"""Vendor invite links: a secret URL that lets a vendor answer one response, and nothing else, without an
account. The secret is shown once and stored only as its hash; vendor answers are always self-attested."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from app.audit import service as audit
from app.audit.service import Actor
from app.auth.models import User
from app.core.db import utcnow
from app.core.errors import DomainError, InvalidInput, InvalidState, NotFound
from app.core.security import new_token, token_hash
from app.integrations import service as integration_service
from app.integrations.models import IntegrationStatus
from app.questionnaires import scoring
from app.questionnaires.definition import Question, QuestionnaireDef
from app.responses import service as response_service
from app.responses.models import Response, ResponseInvite, ResponseStatus
from app.responses.rules import check_answer
from app.responses.schemas import AnswerIn
from app.vendors import service as vendor_service

DEFAULT_EXPIRY_DAYS = 14
MAX_EXPIRY_DAYS = 90
# Secrets we issue are ~46 characters; anything far longer names no invite and is not worth hashing.
_MAX_SECRET_LENGTH = 200
SELF_ATTESTED = "self_attested"


class InviteNotFound(NotFound):
    pass


class InviteGone(DomainError):
    """The link existed but no longer works (revoked or expired): 410, and the page says which."""

    status_code = 410


class InviteRevoked(InviteGone):
    pass


class InviteExpired(InviteGone):
    pass


class InviteWithdrawn(InviteGone):
    """The integration was retired (or its vendor offboarded): nothing is asked of the vendor any more."""


class InviteClosed(InvalidState):
    """The response behind the link was submitted: nothing more to answer."""


class VendorAnswersRefused(InvalidInput):
    """Answers from the form that cannot be saved (or submitted), by question id; nothing was written."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__(f"{len(problems)} answer(s) need attention: {', '.join(problems)}")
        self.problems = dict(problems)


@dataclass(frozen=True)
class IssuedInvite:
    invite: ResponseInvite
    secret: str


@dataclass(frozen=True)
class VendorForm:
    """What the vendor's page may show: their own name, the questionnaire, and this response's answers."""

    invite: ResponseInvite
    vendor_name: str
    current: response_service.ResponseView


def vendor_actor(invite: ResponseInvite) -> Actor:
    return Actor.system(f"vendor via invite {invite.id}")


def invite_state(invite: ResponseInvite, *, now: datetime) -> str:
    if invite.revoked_at is not None:
        return "revoked"
    if invite.expires_at <= now:
        return "expired"
    return "active"


def create_invite(
    session: Session,
    response_id: int,
    *,
    actor: Actor,
    email: str | None = None,
    expires_in_days: int = DEFAULT_EXPIRY_DAYS,
) -> IssuedInvite:
    """A new link for one response. The secret is returned here and never again (only its hash is kept)."""
    if not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise InvalidInput(f"expires_in_days must be between 1 and {MAX_EXPIRY_DAYS}.")
    # Locked so a submit cannot slip in between the check and the new link.
    response = response_service.get_response(session, response_id, lock=True)
    if response.status == ResponseStatus.submitted:
        raise response_service.ResponseSubmitted(
            f"Response {response_id} was submitted; there is nothing left for a vendor to answer."
        )
    secret = new_token()
    invite = ResponseInvite(
        response_id=response_id, token_hash=token_hash(secret), email=email,
        expires_at=utcnow() + timedelta(days=expires_in_days),
        created_by_id=actor.id if actor.type == "user" else None,
    )
    session.add(invite)
    session.flush()
    audit.record(session, actor=actor, action="response.invite_created", subject_type="response",
                 subject_id=response_id,
                 changes={"invite_id": {"before": None, "after": invite.id},
                          "email": {"before": None, "after": email},
                          "expires_at": {"before": None, "after": invite.expires_at}})
    return IssuedInvite(invite=invite, secret=secret)


def list_invites(session: Session, response_id: int) -> list[ResponseInvite]:
    response_service.get_response(session, response_id)  # 404 for an unknown response, not an empty list
    stmt = select(ResponseInvite).where(ResponseInvite.response_id == response_id).order_by(ResponseInvite.id)
    return list(session.execute(stmt).scalars())


def get_invite(session: Session, invite_id: int, *, lock: bool = False) -> ResponseInvite:
    invite = session.get(ResponseInvite, invite_id, with_for_update=True if lock else None)
    if invite is None:
        raise InviteNotFound(f"No invite with id {invite_id}.")
    return invite


def revoke_invite(session: Session, invite_id: int, *, actor: Actor) -> ResponseInvite:
    """The link stops working at once; revoking twice changes nothing more."""
    invite = get_invite(session, invite_id, lock=True)
    if invite.revoked_at is not None:
        return invite
    invite.revoked_at = utcnow()
    session.flush()
    audit.record(session, actor=actor, action="response.invite_revoked", subject_type="response",
                 subject_id=invite.response_id,
                 changes={"invite_id": {"before": invite.id, "after": invite.id},
                          "revoked_at": {"before": None, "after": invite.revoked_at}})
    return invite


def _sender(session: Session, invite: ResponseInvite) -> str:
    """Who to ask for a new link: the person who created this one."""
    user = session.get(User, invite.created_by_id) if invite.created_by_id is not None else None
    return f"{user.name} ({user.email})" if user is not None else "the person who sent you this link"


def resolve(session: Session, secret: str, *, lock: bool = False) -> tuple[ResponseInvite, Response]:
    """The invite behind a link and the one response it reaches, or why the link does not work.

    With `lock`, the invite and the response are held until commit, so a revoke or a staff edit
    cannot interleave with a vendor's save."""
    invite = None
    if 0 < len(secret) <= _MAX_SECRET_LENGTH:
        stmt = select(ResponseInvite).where(ResponseInvite.token_hash == token_hash(secret))
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        invite = session.execute(stmt).scalar_one_or_none()
    if invite is None:
        raise InviteNotFound("This link is not valid. Check that you copied the whole address.")
    if invite.revoked_at is not None:
        raise InviteRevoked("This link was revoked. If you still need to answer, ask for a new link.")
    if invite.expires_at <= utcnow():
        raise InviteExpired(
            f"This link expired on {_day(invite.expires_at)}; ask {_sender(session, invite)} for a new one."
        )
    response = response_service.get_response(session, invite.response_id, lock=lock)
    if integration_service.get_integration(session, response.integration_id).status == IntegrationStatus.retired:
        raise InviteWithdrawn("This questionnaire is no longer needed: the service it was about has been retired.")
    if response.status == ResponseStatus.submitted:
        when = f" on {_day(response.submitted_at)}" if response.submitted_at else ""
        raise InviteClosed(f"This questionnaire was submitted{when}. Thank you; there is nothing more to answer.")
    return invite, response


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def open_form(session: Session, secret: str, *, lock: bool = False) -> VendorForm:
    invite, response = resolve(session, secret, lock=lock)
    integration = integration_service.get_integration(session, response.integration_id)
    vendor = vendor_service.get_vendor(session, integration.vendor_id)
    return VendorForm(invite=invite, vendor_name=vendor.name, current=response_service.view(session, response.id))


# --- the vendor's answers: which questions the form shows, and what is wrong with what it sent ---


def answerable(question: Question) -> bool:
    """Document questions are our team's to answer (they attach the document), never the vendor's."""
    return question.type != "document"


def stored_answers(current: response_service.ResponseView) -> dict[str, scoring.Answer]:
    return {row.question_id: response_service.to_scoring_answer(row) for row in current.answers}


def merged_answers(current: response_service.ResponseView, answers: Sequence[AnswerIn]) -> dict[str, scoring.Answer]:
    """The answers as they would be if `answers` were saved (a null, non-N/A answer clears one)."""
    merged = stored_answers(current)
    for a in answers:
        if a.value is None and not a.na:
            merged.pop(a.question_id, None)
        else:
            value = tuple(a.value) if isinstance(a.value, list) else a.value
            merged[a.question_id] = scoring.Answer(question_id=a.question_id, value=value, na=a.na,
                                                   na_reason=a.na_reason, evidence=scoring.Evidence.self_attested)
    return merged


def visible_ids(definition: QuestionnaireDef, answers: Mapping[str, scoring.Answer]) -> set[str]:
    by_id = {q.id: q for q in definition.questions()}
    return {q.id for q in definition.questions() if scoring.visible(q, answers, by_id)}


def problems_with(
    current: response_service.ResponseView, answers: Sequence[AnswerIn], *, submit: bool
) -> dict[str, str]:
    """What is wrong with each answer the vendor sent, by question id; with `submit`, also every required
    question still unanswered once these answers are applied. An empty dict means it can be saved."""
    problems: dict[str, str] = {}
    for a in answers:
        question = current.definition.question(a.question_id)
        if question is None or not answerable(question):
            problems[a.question_id] = "This question cannot be answered here."
            continue
        problem = check_answer(question, a)
        if problem:
            problems[a.question_id] = _readable(problem.removeprefix(f"{a.question_id}: "))
        elif a.value is None and not a.na and a.comment:
            problems[a.question_id] = "Choose an answer (or N/A) so your comment can be saved with it."
    if submit:
        missing, _required = response_service.missing_answers(current.definition, merged_answers(current, answers))
        for question_id in missing:
            problems.setdefault(question_id, "This question needs an answer before you submit.")
    return problems


def _readable(problem: str) -> str:
    text = problem.replace(" (na_reason)", "")
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _changed(current: response_service.ResponseView, answers: Sequence[AnswerIn]) -> list[AnswerIn]:
    """Only the answers the vendor changed: an untouched answer keeps its evidence level and author.
    A changed one keeps the compensating control a reviewer already saw (the form does not show it)."""
    rows = {row.question_id: row for row in current.answers}
    changed = []
    for a in answers:
        row = rows.get(a.question_id)
        if row is None:
            if a.value is not None or a.na:
                changed.append(a)
            continue
        if (row.value, row.na, row.na_reason, row.comment) != (a.value, a.na, a.na_reason, a.comment):
            changed.append(a.model_copy(update={"compensating_control": row.compensating_control}))
    return changed


def save_vendor_answers(
    session: Session, secret: str, *, answers: Sequence[AnswerIn], submit: bool = False
) -> VendorForm:
    """Save what the vendor sent (self-attested, whatever the form claims) and, with `submit`, submit the
    response. All or nothing: on any problem `VendorAnswersRefused` lists them and nothing is written."""
    form = open_form(session, secret, lock=True)
    invite, current = form.invite, form.current
    problems = problems_with(current, answers, submit=submit)
    if problems:
        raise VendorAnswersRefused(problems)
    actor = vendor_actor(invite)
    response_id = current.response.id
    assert response_id is not None
    changed = _changed(current, answers)
    with session.begin_nested():  # a refused submit takes the answers saved before it back with it
        if changed:
            current = response_service.save_answers(
                session, response_id, actor=actor, answers=changed, answered_by=actor.label,
                force_evidence=SELF_ATTESTED,
            )
        if submit:
            current = response_service.submit_response(session, response_id, actor=actor, submitted_by=actor.label)
    return VendorForm(invite=invite, vendor_name=form.vendor_name, current=current)
