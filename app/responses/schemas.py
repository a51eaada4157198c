"""Request and response shapes of the response API."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StrictFloat, StrictInt

from app.core.schemas import LongText, MediumText, RequestModel, ResponseModel, text
from app.questionnaires.definition import Key
from app.responses.models import ResponseStatus

QuestionId = text(80)
OptionValue = text(80)
AnswerValue = StrictInt | StrictFloat | OptionValue | Annotated[list[OptionValue], Field(max_length=100)] | None
EvidenceLevel = Literal["self_attested", "document", "independent"]


class ResponseCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"questionnaire": "baseline-security"}]})

    questionnaire: Key
    version: int | None = Field(default=None, ge=1, le=1_000_000, strict=True,
                                description="Default: the newest version. The response stays bound to it.")


class AnswerIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"question_id": "access.mfa_staff", "value": "all_staff",
                                         "comment": "Enforced through our IdP", "evidence": "document"}]}
    )

    question_id: QuestionId
    value: AnswerValue = Field(default=None, description="yes/no, an option value, a list for multi, a number, "
                                                         "text, or an ISO date; null clears the answer")
    na: bool = Field(default=False, description="Not applicable; needs na_reason and a question that allows it")
    na_reason: MediumText | None = None
    comment: LongText | None = None
    evidence: EvidenceLevel = "self_attested"
    compensating_control: MediumText | None = Field(default=None, description="A reviewer decides whether it counts")


class AnswersUpdate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"answers": [{"question_id": "access.mfa_staff", "value": "all_staff"}]}]}
    )

    answers: list[AnswerIn] = Field(min_length=1, max_length=1000)


class AnswerPublic(ResponseModel):
    question_id: str
    value: int | float | str | list[str] | None
    na: bool
    na_reason: str | None
    comment: str | None
    evidence: EvidenceLevel
    compensating_control: str | None
    compensating_accepted: bool | None
    reviewer_points: float | None
    answered_by: str
    updated_at: datetime


class QuestionnaireRef(ResponseModel):
    key: str
    version: int
    content_hash: str


class ResponsePublic(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": 4, "integration_id": 7, "questionnaire": {"key": "heroku-addon", "version": 1,
                                                                 "content_hash": "5e1f…"},
                 "status": "draft", "answers": [], "missing": ["addon.receives"], "answered": 0, "required": 1,
                 "created_at": "2026-11-01T09:30:00Z", "updated_at": "2026-11-01T09:30:00Z",
                 "submitted_at": None, "submitted_by": None, "version": 1}
            ]
        }
    )

    id: int
    integration_id: int
    questionnaire: QuestionnaireRef
    status: ResponseStatus
    answers: list[AnswerPublic]
    missing: list[str] = Field(description="Required, visible questions still without an answer")
    answered: int
    required: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    submitted_by: str | None
    version: int
