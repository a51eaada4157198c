"""JSON API for assessments (take, review, sign, read), their signed records, and record verification."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, status
from fastapi.responses import Response, StreamingResponse
from sqlmodel import Session

from app.assessments import jobs
from app.assessments import service as assessment_service
from app.assessments.schemas import (
    AssessmentDetail,
    AssessmentList,
    AssessmentPublic,
    RecordUpload,
    ReviewCreate,
    VerificationPublic,
)
from app.auth.deps import Public, Requires, actor_of
from app.auth.models import User
from app.auth.permissions import Permission
from app.core.db import utcnow
from app.core.deps import RowId, SessionDep, errors
from app.documents import service as document_service

router = APIRouter(tags=["assessments"])
Reader = Annotated[User, Requires(Permission.assessment_read)]
VERIFY_PATH = "/api/v1/records/verify"


def public(view: assessment_service.AssessmentView, *, detail: bool = False) -> AssessmentPublic:
    a = view.assessment
    values = {k: getattr(a, k) for k in AssessmentPublic.model_fields if hasattr(a, k)}
    values |= {"state": view.state, "superseded_by_id": view.superseded_by_id}
    if detail:
        return AssessmentDetail(**values, snapshot=a.snapshot)
    return AssessmentPublic(**values)


def _view(session, assessment) -> assessment_service.AssessmentView:  # type: ignore[no-untyped-def]
    return assessment_service.state_of(session, assessment, today=date.today())


@router.post("/api/v1/integrations/{integration_id}/assessments", status_code=status.HTTP_201_CREATED,
             responses=errors(404, 409))
def create_assessment(
    integration_id: RowId, session: SessionDep, response: Response,
    user: Annotated[User, Requires(Permission.assessment_create)],
) -> AssessmentDetail:
    """Take an assessment: the newest submitted response of each questionnaire, the documents in force and
    the Heroku facts, with their scores and gates, frozen as a snapshot for security to review."""
    assessment = assessment_service.create_assessment(session, integration_id, actor=actor_of(user),
                                                      today=date.today())
    response.headers["Location"] = f"/api/v1/assessments/{assessment.id}"
    return public(_view(session, assessment), detail=True)  # type: ignore[return-value]


@router.get("/api/v1/integrations/{integration_id}/assessments", responses=errors(404))
def list_assessments(integration_id: RowId, session: SessionDep, _user: Reader) -> AssessmentList:
    """The integration's assessments, newest first, with their state today (superseded, expired...)."""
    views = assessment_service.list_for_integration(session, integration_id, today=date.today())
    return AssessmentList(items=[public(v) for v in views], total=len(views))


@router.get("/api/v1/assessments/{assessment_id}", responses=errors(404))
def get_assessment(assessment_id: RowId, session: SessionDep, _user: Reader) -> AssessmentDetail:
    assessment = assessment_service.get_assessment(session, assessment_id)
    return public(_view(session, assessment), detail=True)  # type: ignore[return-value]


@router.post("/api/v1/assessments/{assessment_id}/review", responses=errors(404, 409))
def review(
    assessment_id: RowId, data: ReviewCreate, session: SessionDep,
    user: Annotated[User, Requires(Permission.assessment_review)],
) -> AssessmentDetail:
    """Security's decision with its reasons: reviewer points for free-text answers and compensating
    controls accepted or refused are applied and the scores taken again. A failed gate blocks an
    approval unless an exception lifts it. Refused (409) once the assessment is signed."""
    assessment = assessment_service.review(session, assessment_id, actor=actor_of(user), data=data,
                                           today=date.today())
    return public(_view(session, assessment), detail=True)  # type: ignore[return-value]


@router.post("/api/v1/assessments/{assessment_id}/sign", responses=errors(404, 409, 503))
def sign(
    assessment_id: RowId, session: SessionDep, user: Annotated[User, Requires(Permission.assessment_sign)],
) -> AssessmentPublic:
    """Legal signs: the PDF record is rendered, signed with the organisation's certificate (refused when it
    is expired or not yet valid) and stored; the assessment is frozen and supersedes the previous one."""
    actor = actor_of(user)
    job = assessment_service.prepare_signing(session, assessment_id, actor=actor, now=utcnow())
    # Rendering takes seconds: end this transaction (and its write lock) first, so other writers go on.
    session.commit()
    signed = assessment_service.render_and_sign(job)
    assessment = assessment_service.complete_signing(session, job, signed, actor=actor)
    return public(_view(session, assessment))


PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}


@router.get("/api/v1/assessments/{assessment_id}/record.pdf", response_class=Response,
            responses={200: {"content": PDF, "description": "The signed record"}, **errors(404, 409, 500)})
def download_record(
    assessment_id: RowId, session: SessionDep, _user: Annotated[User, Requires(Permission.record_read)],
) -> Response:
    """The signed PDF record, checked against its SHA-256 before it is sent."""
    return record_file_response(session, assessment_id)


def record_file_response(session: Session, assessment_id: int) -> Response:
    """The signed record as an attachment (the API's download and the page's), checked against its SHA-256
    before the first byte and again while it streams."""
    assessment, stored, _store = assessment_service.record_of(session, assessment_id)
    return StreamingResponse(
        document_service.stream_content(stored, session.get_bind()), media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{assessment_service.record_file_name(session, assessment)}"',
            "Content-Length": str(stored.size), "ETag": f'"sha256:{stored.sha256}"',
            "Cache-Control": "private, no-cache", "X-Content-Type-Options": "nosniff",
        },
    )


@router.post(VERIFY_PATH, responses=errors(413, 415, 422), dependencies=[Public])
def verify_record(
    upload: Annotated[RecordUpload, Form(media_type="multipart/form-data")], session: SessionDep,
) -> VerificationPublic:
    """Check a record anyone holds (no sign-in needed): intact, signed by our trusted certificate, the
    signature covering the entire file, and which assessment it is. Nothing is stored."""
    data = upload.file.file.read(jobs.MAX_RECORD_BYTES + 1)
    upload.file.file.close()
    found = jobs.lookup_record(session, data)
    # Anyone may call this: end the transaction before the file is parsed, so no lock is held meanwhile.
    session.commit()
    return jobs.check_record(data, found)
