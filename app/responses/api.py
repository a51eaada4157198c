"""JSON API for responses: start one for an integration, answer, submit, score; invite a vendor to answer."""

from typing import Annotated

from fastapi import APIRouter, File, UploadFile, status
from fastapi.responses import Response

from app.auth.deps import Requires, actor_of
from app.auth.models import User
from app.auth.permissions import Permission
from app.core.db import utcnow
from app.core.deps import RowId, SessionDep, errors
from app.questionnaires.scoring import ScoreResult
from app.responses import invites as invite_service
from app.responses import service as response_service
from app.responses import spreadsheet
from app.responses.models import ResponseInvite
from app.responses.schemas import (
    AnswerPublic,
    AnswersUpdate,
    InviteCreate,
    InviteList,
    InvitePublic,
    IssuedInvitePublic,
    QuestionnaireRef,
    ResponseCreate,
    ResponsePublic,
)

router = APIRouter(tags=["responses"])
Reader = Annotated[User, Requires(Permission.response_read)]
Writer = Annotated[User, Requires(Permission.response_write)]


def public(current: response_service.ResponseView) -> ResponsePublic:
    response, version = current.response, current.version
    return ResponsePublic(
        id=response.id, integration_id=response.integration_id,  # type: ignore[arg-type]
        questionnaire=QuestionnaireRef(key=version.key, version=version.version, content_hash=version.content_hash),
        status=response.status, answers=[AnswerPublic.model_validate(a) for a in current.answers],  # type: ignore[arg-type]
        missing=current.missing, answered=len(current.answers), required=current.required,
        created_at=response.created_at, updated_at=response.updated_at, submitted_at=response.submitted_at,
        submitted_by=response.submitted_by, version=response.version,
    )


@router.post("/api/v1/integrations/{integration_id}/responses", status_code=status.HTTP_201_CREATED,
             responses=errors(404, 409))
def start_response(integration_id: RowId, data: ResponseCreate, session: SessionDep, user: Writer) -> ResponsePublic:
    """Start answering a questionnaire for an integration; the response stays bound to that version."""
    response = response_service.start_response(
        session, actor=actor_of(user), integration_id=integration_id, key=data.questionnaire, version=data.version
    )
    return public(response_service.view(session, response.id))  # type: ignore[arg-type]


@router.get("/api/v1/responses/{response_id}", responses=errors(404))
def get_response(response_id: RowId, session: SessionDep, _reader: Reader) -> ResponsePublic:
    return public(response_service.view(session, response_id))


@router.put("/api/v1/responses/{response_id}/answers", responses=errors(404, 409))
def save_answers(response_id: RowId, data: AnswersUpdate, session: SessionDep, user: Writer) -> ResponsePublic:
    """Save some answers (the others stay). Each is checked against its question; null clears one."""
    return public(response_service.save_answers(
        session, response_id, actor=actor_of(user), answers=data.answers, answered_by=user.email
    ))


@router.post("/api/v1/responses/{response_id}/submit", responses=errors(404, 409))
def submit_response(response_id: RowId, session: SessionDep, user: Writer) -> ResponsePublic:
    """Submit for review; refused with the list of required questions still unanswered."""
    return public(response_service.submit_response(session, response_id, actor=actor_of(user), submitted_by=user.email))


@router.get("/api/v1/responses/{response_id}/score", responses=errors(404))
def score_response(response_id: RowId, session: SessionDep, _reader: Reader) -> ScoreResult:
    """Inherent exposure, assurance (0–100), residual tier, gates and findings, question by question."""
    return response_service.score_response(session, response_id)


CSV_CONTENT = {"text/csv": {"schema": {"type": "string"}}}


@router.get("/api/v1/responses/{response_id}/answers.csv", response_class=Response,
            responses={200: {"description": "One row per question, in questionnaire order", "content": CSV_CONTENT},
                       **errors(404)})
def export_answers_csv(response_id: RowId, session: SessionDep, _reader: Reader) -> Response:
    """The response as a spreadsheet: every question (follow-ups too), its options, the answers so far.
    Fill in `answer`, `na`, `na_reason`, `comment` and upload it back."""
    current = response_service.view(session, response_id)
    name = f"{current.version.key}-v{current.version.version}-response-{response_id}.csv"
    # The BOM is how Excel knows the file is UTF-8.
    return Response("\ufeff" + spreadsheet.write_csv(current.definition, current.answers), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/api/v1/responses/{response_id}/answers.csv", responses=errors(404, 409, 413, 422))
def import_answers_csv(
    response_id: RowId,
    file: Annotated[UploadFile, File(description=f"A CSV as the export gives it (`,` or `;`), "
                                                 f"at most {spreadsheet.MAX_BYTES} bytes")],
    session: SessionDep,
    user: Writer,
) -> ResponsePublic:
    """Apply the answers of an exported and filled-in CSV; rows left unanswered change nothing.
    One bad row refuses the file with every bad row listed by line, and nothing is applied."""
    data = file.file.read(spreadsheet.MAX_BYTES + 1)
    return public(response_service.import_answers(
        session, response_id, actor=actor_of(user), data=data, answered_by=user.email
    ))


def invite_public(invite: ResponseInvite) -> InvitePublic:
    return InvitePublic(
        id=invite.id, response_id=invite.response_id, email=invite.email,  # type: ignore[arg-type]
        state=invite_service.invite_state(invite, now=utcnow()), expires_at=invite.expires_at,
        revoked_at=invite.revoked_at, created_at=invite.created_at,
    )


@router.post("/api/v1/responses/{response_id}/invites", status_code=status.HTTP_201_CREATED,
             responses=errors(404, 409))
def create_invite(response_id: RowId, data: InviteCreate, session: SessionDep, user: Writer) -> IssuedInvitePublic:
    """A link that lets the vendor answer this response without an account. `url` is shown only here:
    send it to the vendor (prefixed with this server's address). Their answers count as self-attested."""
    issued = invite_service.create_invite(
        session, response_id, actor=actor_of(user), email=data.email, expires_in_days=data.expires_in_days
    )
    return IssuedInvitePublic(**invite_public(issued.invite).model_dump(), url=f"/respond/{issued.secret}")


@router.get("/api/v1/responses/{response_id}/invites", responses=errors(404))
def list_invites(response_id: RowId, session: SessionDep, _writer: Writer) -> InviteList:
    """Every link made for this response, with its state; the links themselves are never shown again."""
    return InviteList(items=[invite_public(i) for i in invite_service.list_invites(session, response_id)])


@router.post("/api/v1/invites/{invite_id}/revoke", responses=errors(404))
def revoke_invite(invite_id: RowId, session: SessionDep, user: Writer) -> InvitePublic:
    """The link stops working at once; the vendor sees that it was revoked. Answers already saved stay."""
    return invite_public(invite_service.revoke_invite(session, invite_id, actor=actor_of(user)))
