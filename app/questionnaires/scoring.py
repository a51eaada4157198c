"""The scoring engine, `scoring/1` (DOMAIN.md): inherent exposure, assurance, residual risk, gates,
findings — three numbers never blended before the end, each explained question by question.

Pure: standard library and the pure modules it builds on; no I/O, no settings, no clock.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any, Literal

from app.integrations.exposure import Exposure, ExposureInput, Tier, inherent_exposure
from app.questionnaires.definition import Question, QuestionnaireDef

SCORER_VERSION = "scoring/1"
_TIERS = (Tier.low, Tier.medium, Tier.high, Tier.critical)


class Evidence(StrEnum):
    """How an answer is backed, from weakest to strongest."""

    self_attested = "self_attested"
    document = "document"  # backed by an attached document
    independent = "independent"  # a current SOC 2 Type II, ISO 27001 or PCI AoC covering the control


@dataclass(frozen=True)
class ScoringConfig:
    confidence: Mapping[Evidence, float] = field(
        default_factory=lambda: {Evidence.independent: 1.0, Evidence.document: 0.85, Evidence.self_attested: 0.7}
    )
    compensating_credit: float = 0.5  # points a "no" earns when a reviewer accepted a compensating control
    two_steps_at: float = 85.0  # assurance that lowers the inherent tier by two steps
    one_step_at: float = 60.0


@dataclass(frozen=True)
class Answer:
    question_id: str
    value: str | float | tuple[str, ...] | None = None  # yes/no, option value(s), number, text or ISO date
    na: bool = False
    na_reason: str | None = None
    evidence: Evidence = Evidence.self_attested
    compensating_control: bool = False  # accepted by a reviewer
    reviewer_points: float | None = None  # text/date answers earn points only when a reviewer assigns them
    document_in_date: bool = False  # document questions: an allowed document type, in date, is attached


@dataclass(frozen=True)
class PolicyCheck:
    """A gate over the register (DPA in force, plan compliance, ...), evaluated by the code that owns it."""

    id: str
    satisfied: bool
    severity: Literal["low", "medium", "high", "critical"]
    message: str


_ANSWER_FIELDS = tuple(f.name for f in fields(Answer))

QuestionStatus = Literal["answered", "unanswered", "na", "hidden", "unscored"]


@dataclass(frozen=True)
class QuestionScore:
    question_id: str
    status: QuestionStatus
    weight: float  # 0 when it leaves the denominator (N/A, hidden, unscored)
    points: float  # before evidence confidence
    confidence: float
    earned: float  # points × confidence


@dataclass(frozen=True)
class SectionScore:
    section_id: str
    weight: float
    score: float | None  # 0–1; None when nothing in it counts
    questions: tuple[QuestionScore, ...]


@dataclass(frozen=True)
class GateResult:
    id: str  # question id, or a policy check id
    source: Literal["question", "policy"]
    status: Literal["passed", "failed", "not_answered"]
    severity: str
    message: str


@dataclass(frozen=True)
class Finding:
    question_id: str
    severity: str
    text: str
    remediation: str | None


@dataclass(frozen=True)
class ScoreResult:
    scorer: str
    inputs_hash: str
    inherent: Exposure
    assurance: float  # 0–100
    residual: Tier
    verdict: Literal["blocked", "pass"]
    sections: tuple[SectionScore, ...]
    gates: tuple[GateResult, ...]
    findings: tuple[Finding, ...]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def visible(question: Question, answers: Mapping[str, Answer], questions: Mapping[str, Question]) -> bool:
    """A `show_if` question is asked only when the named question's answer is one of the listed values."""
    if question.show_if is None:
        return True
    answer = answers.get(question.show_if.question)
    if answer is None or answer.na:
        return False
    chosen = _chosen(answer, questions.get(question.show_if.question))
    return bool(chosen & set(question.show_if.in_))


def _chosen(answer: Answer, question: Question | None = None) -> set[str]:
    if question is not None and question.type == "document":
        # No in-date document attached: it is missing or expired, either way not current.
        return set() if answer.document_in_date else {"missing", "expired"}
    if isinstance(answer.value, tuple):
        return set(answer.value)
    if isinstance(answer.value, str):
        return {answer.value}
    return set()


def answer_points(question: Question, answer: Answer) -> float | None:
    """Points in [0, 1] before evidence confidence; None when the answer gives nothing to score."""
    value = answer.value
    if question.type == "yes_no" and isinstance(value, str) and question.points:
        return question.points.get(value)  # type: ignore[call-overload]
    if question.type in ("choice", "multi"):
        by_value = {o.value: o.points for o in question.options or ()}
        chosen = [by_value[v] for v in sorted(_chosen(answer)) if v in by_value]
        if not chosen:
            return None
        if question.type == "choice":
            return chosen[0]
        return max(chosen) if question.points_mode == "max" else sum(chosen) / len(chosen)
    if question.type == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        for band in question.bands or ():
            if band.max is None or value <= band.max:
                return band.points
        return None
    if question.type == "document":
        return 1.0 if answer.document_in_date else 0.0
    if question.type in ("text", "date") and answer.reviewer_points is not None:
        return answer.reviewer_points
    return None


def _question_score(question: Question, answer: Answer | None, shown: bool, config: ScoringConfig) -> QuestionScore:
    def score(status: QuestionStatus, weight: float = 0.0, points: float = 0.0, confidence: float = 0.0) -> QuestionScore:
        return QuestionScore(question.id, status, weight, points, confidence, points * confidence)

    if not shown:
        return score("hidden")
    if answer is not None and answer.na and question.na_allowed:
        return score("na")
    scorable = question.weight > 0 and (
        question.type in ("yes_no", "choice", "multi", "number", "document")
        or (answer is not None and answer.reviewer_points is not None)
    )
    if not scorable:
        return score("unscored")
    points = answer_points(question, answer) if answer is not None and not answer.na else None
    if points is None:
        return score("unanswered", question.weight)
    if answer is not None and answer.compensating_control and points < config.compensating_credit:
        points = config.compensating_credit
    confidence = config.confidence[answer.evidence] if answer is not None else 0.0
    return score("answered", question.weight, points, confidence)


def _gate(question: Question, answer: Answer | None) -> GateResult | None:
    """A knock-out question's outcome. Unanswered counts against it (it cannot be shown to pass, and
    skipping a question must not get round its gate); N/A, where the question allows it, passes."""
    gate = question.gate
    if gate is None:
        return None
    if answer is not None and answer.na and question.na_allowed:
        return GateResult(question.id, "question", "passed", gate.severity, gate.message)
    if question.type == "document":  # met by an attached document, not by an answer: none means missing
        in_date = answer is not None and answer.document_in_date
        failed = not in_date and bool({"missing", "expired"} & set(gate.when))  # type: ignore[arg-type]
        return GateResult(question.id, "question", "failed" if failed else "passed", gate.severity, gate.message)
    if answer is None or answer.na or answer.value is None:
        return GateResult(question.id, "question", "not_answered", gate.severity, gate.message)
    if question.type == "number":
        failed = isinstance(answer.value, int | float) and gate.when.fails(float(answer.value))  # type: ignore[union-attr]
    else:
        failed = bool(_chosen(answer, question) & set(gate.when))  # type: ignore[arg-type]
    return GateResult(question.id, "question", "failed" if failed else "passed", gate.severity, gate.message)


def _finding(question: Question, result: QuestionScore, gate: GateResult | None) -> Finding | None:
    """Each answer short of full points is a finding; a failed or unanswered gate lends its severity."""
    if gate is not None and gate.status != "passed":
        prefix = "not answered: " if gate.status == "not_answered" else ""
        return Finding(question.id, gate.severity, prefix + gate.message, question.remediation)
    if result.status == "unanswered":
        return Finding(question.id, "low", f"not answered: {question.text}", question.remediation)
    if result.status == "answered" and result.points < 1:
        return Finding(question.id, "medium" if result.points == 0 else "low", question.text, question.remediation)
    return None


def residual_tier(inherent: Tier, assurance: float, config: ScoringConfig) -> Tier:
    """Two steps down at assurance ≥ 85, one at ≥ 60, none below; never below low.

    Strong answers reduce risk, they do not erase it: critical at 90 is medium, not low.
    """
    steps = 2 if assurance >= config.two_steps_at else 1 if assurance >= config.one_step_at else 0
    return _TIERS[max(0, inherent.rank - steps)]


def inputs_hash(questionnaire: QuestionnaireDef, content_hash: str, answers: Mapping[str, Answer],
                exposure: ExposureInput, policy: Sequence[PolicyCheck], config: ScoringConfig) -> str:
    body = {
        "scorer": SCORER_VERSION,
        "questionnaire": [questionnaire.key, questionnaire.version, content_hash],
        # Field names once, then one row an answer (vars(), not a deep-copying asdict(): the fields are
        # scalars, enums and tuples of str; the copy was two thirds of scoring's time).
        "answers": {"fields": _ANSWER_FIELDS, "rows": [list(vars(answers[k]).values()) for k in sorted(answers)]},
        "exposure": {
            "data_categories": sorted(c.value for c in exposure.data_categories),
            "access": exposure.access.value,
            "volume": exposure.volume.value,
            "business_criticality": exposure.business_criticality.value,
        },
        "policy": sorted((asdict(p) for p in policy), key=lambda p: p["id"]),
        "config": {**asdict(config), "confidence": {k.value: v for k, v in config.confidence.items()}},
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def score(
    questionnaire: QuestionnaireDef,
    answers: Mapping[str, Answer],
    *,
    exposure: ExposureInput,
    content_hash: str = "",
    policy: Sequence[PolicyCheck] = (),
    config: ScoringConfig | None = None,
) -> ScoreResult:
    """Scores one response. Assurance: each counted question earns points × confidence; a section is the
    weighted mean of its questions, the total the weighted mean of sections that count, times 100.
    Unanswered earns 0; N/A, hidden and unscored questions leave the denominator. Any failed gate
    (a knock-out answer, an unanswered knock-out question, or a policy check) makes the verdict
    `blocked`, whatever the score.
    """
    config = config or ScoringConfig()
    by_id = {q.id: q for q in questionnaire.questions()}
    sections, gates, findings = [], [], []
    for section in questionnaire.sections:
        results = []
        for question in section.questions:
            answer = answers.get(question.id)
            shown = question.show_if is None or visible(question, answers, by_id)
            result = _question_score(question, answer, shown, config)
            results.append(result)
            gate = _gate(question, answer) if shown else None
            if gate is not None:
                gates.append(gate)
            if (finding := _finding(question, result, gate)) is not None:
                findings.append(finding)
        total_weight = sum(r.weight for r in results)
        section_score = sum(r.earned * r.weight for r in results) / total_weight if total_weight else None
        sections.append(SectionScore(section.id, section.weight, section_score, tuple(results)))
    counted = [s for s in sections if s.score is not None]
    weight = sum(s.weight for s in counted)
    assurance = round(100 * sum(s.score * s.weight for s in counted) / weight, 2) if weight else 0.0  # type: ignore[operator]
    for check in policy:
        gates.append(GateResult(check.id, "policy", "passed" if check.satisfied else "failed", check.severity,
                                check.message))
    inherent = inherent_exposure(exposure)
    blocked = any(g.status != "passed" for g in gates)
    return ScoreResult(
        scorer=SCORER_VERSION,
        inputs_hash=inputs_hash(questionnaire, content_hash, answers, exposure, policy, config),
        inherent=inherent,
        assurance=assurance,
        residual=residual_tier(inherent.tier, assurance, config),
        verdict="blocked" if blocked else "pass",
        sections=tuple(sections),
        gates=tuple(gates),
        findings=tuple(findings),
    )
