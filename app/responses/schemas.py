"""Request and response shapes of the response API."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, EmailStr, Field, StrictFloat, StrictInt

from app.core.schemas import LongText, MediumText, RequestModel, ResponseModel, text
from app.questionnaires.definition import Key
from app.responses.models import ResponseStatus

QuestionId = text(80)
OptionValue = text(80)
# A string is an option value (checked against the question) or free text, up to 4,000 characters.
AnswerValue = StrictInt | StrictFloat | LongText | Annotated[list[OptionValue], Field(max_length=100)] | None
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


InviteState = Literal["active", "expired", "revoked"]


class InviteCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"email": "security@vendor.example.com", "expires_in_days": 14}]}
    )

    email: EmailStr | None = Field(default=None, description="Who the link is for (kept as a record; nothing is sent)")
    expires_in_days: int = Field(default=14, ge=1, le=90, strict=True)


class InvitePublic(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": 3, "response_id": 4, "email": "security@vendor.example.com", "state": "active",
                 "expires_at": "2026-11-15T09:30:00Z", "revoked_at": None, "created_at": "2026-11-01T09:30:00Z"}
            ]
        }
    )

    id: int
    response_id: int
    email: str | None
    state: InviteState
    expires_at: datetime
    revoked_at: datetime | None
    created_at: datetime


class IssuedInvitePublic(InvitePublic):
    """Returned once, when the invite is created: the link is never shown again (only its hash is kept)."""

    url: str = Field(description="The vendor's link, relative to this server: /respond/<secret>")


class InviteList(ResponseModel):
    items: list[InvitePublic]
