"""The questionnaire file format (QUESTIONNAIRES.md) as frozen models: what a loaded version is.

Pure: pydantic and the standard library only. Structural rules live here (unknown keys, types,
ranges); rules across fields and questions are in `checks.py`, so every problem is found in one pass.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.integrations.exposure import DataCategory

QuestionType = Literal["yes_no", "choice", "multi", "number", "text", "date", "document"]
Severity = Literal["low", "medium", "high", "critical"]
DocumentType = Literal[
    "dpa", "baa", "scc", "msa", "soc2_type2", "iso27001", "pci_aoc", "pen_test", "insurance", "other"
]
IntegrationKindName = Literal["heroku_addon", "saas", "api", "other"]

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)]
Ident = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Points = Annotated[float, Field(ge=0, le=1)]

SCORED_TYPES = frozenset({"yes_no", "choice", "multi", "number", "document"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Option(_Strict):
    value: Ident
    label: Text
    points: Points


class Band(_Strict):
    """A number up to `max` (inclusive) earns `points`; the last band has no `max` and takes the rest."""

    max: float | None = None
    points: Points


class Bounds(_Strict):
    """A numeric gate: the answer fails when it is below `lt`/`le` or above `gt`/`ge`."""

    lt: float | None = None
    le: float | None = None
    gt: float | None = None
    ge: float | None = None

    def fails(self, value: float) -> bool:
        return any(
            (
                self.lt is not None and value < self.lt,
                self.le is not None and value <= self.le,
                self.gt is not None and value > self.gt,
                self.ge is not None and value >= self.ge,
            )
        )


class Gate(_Strict):
    when: list[Ident] | Bounds = Field(description="Answers that fail it; for numbers, {lt: 72} style bounds")
    severity: Severity
    message: Text


class ShowIf(_Strict):
    question: Ident
    in_: list[Ident] = Field(alias="in", min_length=1)


class Question(_Strict):
    id: Ident
    text: Text
    type: QuestionType
    weight: float = Field(default=1, ge=0, description="0 = asked but not scored")
    required: bool = True
    na_allowed: bool = False
    points: dict[Literal["yes", "no"], Points] | None = None
    options: list[Option] | None = None
    points_mode: Literal["mean", "max"] | None = None
    bands: list[Band] | None = None
    evidence: list[DocumentType] = Field(default_factory=list)
    gate: Gate | None = None
    show_if: ShowIf | None = None
    regulations: list[Text] = Field(default_factory=list)
    remediation: Text | None = None

    @property
    def scored(self) -> bool:
        return self.type in SCORED_TYPES and self.weight > 0

    def answer_values(self) -> frozenset[str]:
        """The answers a gate or show_if may name."""
        if self.type == "yes_no":
            return frozenset({"yes", "no"})
        if self.type in ("choice", "multi"):
            return frozenset(o.value for o in self.options or ())
        if self.type == "document":
            return frozenset({"missing", "expired"})
        return frozenset()


class Section(_Strict):
    id: Ident
    title: Text
    weight: float = Field(gt=0)
    questions: list[Question] = Field(min_length=1)


class AppliesTo(_Strict):
    kinds: list[IntegrationKindName] | None = None
    data_categories_any: list[DataCategory] | None = None


class QuestionnaireDef(_Strict):
    key: Key
    version: int = Field(ge=1)
    title: Text
    description: Text | None = None
    applies_to: AppliesTo | None = None
    sections: list[Section] = Field(min_length=1)

    def questions(self) -> list[Question]:
        return [q for section in self.sections for q in section.questions]

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions() if q.id == question_id), None)

    def applies(self, *, kind: str, data_categories: frozenset[str]) -> bool:
        """All given conditions of `applies_to` hold (no conditions: it applies to everything)."""
        rule = self.applies_to
        if rule is None:
            return True
        if rule.kinds is not None and kind not in rule.kinds:
            return False
        if rule.data_categories_any is not None and not data_categories & {c.value for c in rule.data_categories_any}:
            return False
        return True
