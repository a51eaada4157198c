"""Response shapes of the questionnaire API."""

from pydantic import ConfigDict, Field

from app.core.schemas import ResponseModel
from app.questionnaires.definition import AppliesTo, QuestionnaireDef


class QuestionnaireSummary(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"key": "baseline-security", "version": 1, "title": "Baseline security", "description": None,
                 "content_hash": "5e1f…", "questions": 48, "sections": ["governance", "access"],
                 "applies_to": None, "versions": [1]}
            ]
        }
    )

    key: str
    version: int
    title: str
    description: str | None
    content_hash: str = Field(description="SHA-256 of the file this version was loaded from")
    questions: int
    sections: list[str]
    applies_to: AppliesTo | None
    versions: list[int] = Field(description="Every stored version of this questionnaire")


class QuestionnaireList(ResponseModel):
    items: list[QuestionnaireSummary]


class QuestionnaireDetail(ResponseModel):
    key: str
    version: int
    content_hash: str
    versions: list[int]
    definition: QuestionnaireDef
