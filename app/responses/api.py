"""JSON API for responses: start one for an integration, answer, submit, score."""

from typing import Annotated

from fastapi import APIRouter, status

from app.auth.deps import Requires, actor_of
from app.auth.models import User
from app.auth.permissions import Permission
from app.core.deps import RowId, SessionDep, errors
from app.questionnaires.scoring import ScoreResult
from app.responses import service as response_service
from app.responses.schemas import AnswerPublic, AnswersUpdate, QuestionnaireRef, ResponseCreate, ResponsePublic

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
