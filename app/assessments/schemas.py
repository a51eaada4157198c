"""Request and response shapes of the assessment and record APIs."""

from datetime import date, datetime
from typing import Any, Literal

from fastapi import UploadFile
from pydantic import ConfigDict, Field, model_validator

from app.core.deps import MAX_ID
from app.core.schemas import MediumText, RequestModel, ResponseModel, text
from app.heroku.schemas import ExceptionCreate, check_decision_shape

QuestionId = text(80)


class ReviewerPoints(RequestModel):
    response_id: int = Field(ge=1, le=MAX_ID)
    question_id: QuestionId
    points: float = Field(ge=0, le=1, description="Points in [0, 1] for a text or date answer")


class CompensatingDecision(RequestModel):
    response_id: int = Field(ge=1, le=MAX_ID)
    question_id: QuestionId
    accepted: bool


class ReviewCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"decision": "approve_with_conditions", "reason": "Controls are adequate for log data",
         "conditions": ["Re-run the pen test before adding PHI"],
         "reviewer_points": [{"response_id": 3, "question_id": "access.description", "points": 0.8}],
         "compensating": [{"response_id": 3, "question_id": "access.mfa", "accepted": True}]}]})

    decision: Literal["approve", "approve_with_conditions", "reject"]
    reason: MediumText
    conditions: list[MediumText] = Field(default_factory=list, max_length=20)
    reviewer_points: list[ReviewerPoints] = Field(default_factory=list, max_length=500)
    compensating: list[CompensatingDecision] = Field(default_factory=list, max_length=500)
    exceptions: list[ExceptionCreate] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _conditions(self) -> "ReviewCreate":
        return check_decision_shape(self)


class AssessmentPublic(ResponseModel):
    id: int
    integration_id: int
    status: str
    state: Literal["in_review", "decided", "signed", "superseded", "expired"]
    inherent_tier: str
    assurance: float | None
    residual_tier: str
    verdict: str
    decision: str | None
    reason: str | None
    conditions: list[str]
    reviewer: str | None
    reviewed_at: datetime | None
    signer: str | None
    signed_at: datetime | None
    valid_until: date | None
    record_sha256: str | None
    superseded_by_id: int | None
    created_at: datetime
    updated_at: datetime


class AssessmentDetail(AssessmentPublic):
    snapshot: dict[str, Any] = Field(description="Everything the decision rested on (also embedded in the record)")


class AssessmentList(ResponseModel):
    items: list[AssessmentPublic]
    total: int


class RecordUpload(RequestModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    file: UploadFile = Field(description="A PDF record to check")


class RecordAssessment(ResponseModel):
    id: int
    integration_id: int
    decision: str | None
    signed_at: datetime | None
    valid_until: date | None
    state: str


class VerificationPublic(ResponseModel):
    ok: bool = Field(description="Intact, signed by a certificate we trust, the signature covers the entire file, "
                                 "and it is the record we stored")
    intact: bool
    trusted: bool
    covers_entire_file: bool
    signer: str | None
    signed_at: datetime | None
    sha256: str
    matches_stored_record: bool
    recomputes: bool | None = Field(description="The embedded snapshot's scores come out the same when recomputed "
                                                "(null: no snapshot embedded)")
    assessment: RecordAssessment | None
    problems: list[str]
