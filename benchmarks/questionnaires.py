"""Questionnaire figures (issue 4): scoring one 300-question response, and loading the shipped files.

- Scoring: a synthetic questionnaire of 10 sections × 30 questions (yes_no, choice, multi with both
  points modes, number, document, text, date; knock-out gates on each gateable type; follow-ups shown
  on yes_no, choice and document answers; N/A allowed on some), written as YAML and read through
  `loader.parse`, so it passes the same structural and cross checks as a shipped file. Its answer set
  mixes best, middling and worst answers, N/A (allowed and not), unanswered, compensating controls, the
  three evidence levels, reviewer points on text and dates, and parents that hide their follow-ups.
  `scoring.score` is timed per call after a warm-up, with two policy checks.
- Loading: `loader.load_dir` over the real `questionnaires/` folder (read, YAML with line numbers,
  pydantic validation, cross checks, SHA-256), warmed up once, median of the timed runs.

Targets are on wall-clock time; `cpu` is the timing thread's CPU time over the same calls, which other load
on the machine does not inflate (wall well above cpu: the machine was busy, not the code slower).
"""

import hashlib
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.integrations.exposure import Access, Criticality, DataCategory, ExposureInput, Volume
from app.questionnaires.definition import Question, QuestionnaireDef
from app.questionnaires.loader import load_dir, parse
from app.questionnaires.scoring import Answer, Evidence, PolicyCheck, ScoreResult, score
from benchmarks.report import Latency

TARGET_SCORE_MS = 1.0
TARGET_LOAD_MS = 200.0
SECTIONS = 10
QUESTIONS_PER_SECTION = 30
QUESTIONNAIRES_DIR = Path(__file__).resolve().parent.parent / "questionnaires"
EXPOSURE = ExposureInput(frozenset({DataCategory.customer_personal, DataCategory.phi}), Access.write,
                         Volume.lt_10m, Criticality.high)
POLICY = (
    PolicyCheck("policy.dpa_in_force", True, "high", "A signed DPA is in force."),
    PolicyCheck("policy.plan_compliant", False, "medium", "The add-on plan is on the approved list."),
)


def Timing(label: str, wall: Sequence[float], cpu: Sequence[float], target_ms: float, note: str = "") -> Latency:  # noqa: N802
    """A Latency with the CPU time beside it, to three decimals: these figures are around a millisecond."""
    return Latency(label, tuple(wall), (), target_ms, note, cpu_ms=tuple(cpu), decimals=3)


# ---- the synthetic questionnaire ------------------------------------------------------------------

# The type of question i in a section (i % 10); every section has the same shape.
_SHAPE = ("yes_no", "choice", "multi", "number", "document", "yes_no", "choice", "text", "yes_no", "date")


def _question_yaml(s: int, i: int) -> list[str]:
    """One question as YAML lines (indented for a section's `questions:` list)."""
    kind = _SHAPE[i % len(_SHAPE)]
    qid = f"s{s:02d}.q{i:02d}"
    lines = [f"      - id: {qid}",
             f"        text: Synthetic question {i + 1} of section {s + 1} ({kind}); how is this control run?",
             f"        type: {kind}",
             f"        weight: {(1, 2, 0.5, 3)[i % 4]}"]
    if i % 6 == 5:
        lines.append("        na_allowed: true")
    if i % 8 == 7:
        lines.append("        required: false")
    if kind == "yes_no":
        lines.append("        points: {yes: 1, no: 0}")
        if i % 20 == 0:
            lines.append(f"        gate: {{when: [no], severity: high, message: Control {qid} must be in place.}}")
    elif kind in ("choice", "multi"):
        lines.append("        options:")
        for value, points in (("full", 1), ("most", 0.7), ("some", 0.3), ("none", 0)):
            lines.append(f"          - {{value: {value}, label: \"{value.title()} coverage\", points: {points}}}")
        if kind == "multi":
            lines.append(f"        points_mode: {'max' if i % 20 == 12 else 'mean'}")
        if kind == "choice" and i % 30 == 1:
            lines.append(f"        gate: {{when: [none], severity: critical, message: {qid} cannot be none.}}")
    elif kind == "number":
        lines.append("        bands: [{max: 7, points: 1}, {max: 30, points: 0.6}, {max: 90, points: 0.2}, {points: 0}]")
        if i % 30 == 3:
            lines.append(f"        gate: {{when: {{gt: 90}}, severity: medium, message: {qid} within 90 days.}}")
    elif kind == "document":
        lines.append("        evidence: [soc2_type2, iso27001]")
        if i % 30 == 4:
            lines.append(f"        gate: {{when: [missing, expired], severity: high, message: Attach a current {qid}.}}")
    # Follow-ups: some questions are asked only on a parent's answer (always an earlier question).
    parent = {2: (8, "[missing, expired]"), 5: (10, "[yes]"), 7: (1, "[full, most]"), 9: (1, "[yes]")}.get(i % 10)
    if i >= 10 and parent is not None:
        lines.append(f"        show_if: {{question: s{s:02d}.q{i - parent[0]:02d}, in: {parent[1]}}}")
    lines.append(f"        regulations: [\"GDPR Art. 32\", \"ISO/IEC 27001:2022 A.{5 + s}.{i + 1}\"]")
    lines.append(f"        remediation: Put control {qid} in place and keep the evidence current.")
    return lines


def synthetic_yaml(sections: int = SECTIONS, per_section: int = QUESTIONS_PER_SECTION) -> str:
    lines = ["key: bench-synthetic", "version: 1", "title: Benchmark synthetic questionnaire",
             "applies_to:", "  kinds: [heroku_addon, saas, api, other]", "sections:"]
    for s in range(sections):
        lines += [f"  - id: section-{s:02d}", f"    title: Section {s + 1}", f"    weight: {1 + s % 3}",
                  "    questions:"]
        for i in range(per_section):
            lines += _question_yaml(s, i)
    return "\n".join(lines) + "\n"


def synthetic_definition() -> tuple[QuestionnaireDef, str]:
    """The definition and its content hash; raises if the generated file fails the loader's checks."""
    text = synthetic_yaml()
    definition, problems = parse(text, name="bench-synthetic.v1.yaml")
    if definition is None:
        raise RuntimeError("the synthetic questionnaire does not load:\n" + "\n".join(map(str, problems[:20])))
    return definition, hashlib.sha256(text.encode()).hexdigest()


# ---- the answer set -------------------------------------------------------------------------------

_EVIDENCE = (Evidence.independent, Evidence.document, Evidence.self_attested)


def _best(question: Question) -> str | float | tuple[str, ...] | None:
    return {"yes_no": "yes", "choice": "full", "multi": ("full", "most"), "number": 5.0}.get(question.type)


def _worst(question: Question) -> str | float | tuple[str, ...] | None:
    return {"yes_no": "no", "choice": "none", "multi": ("none",), "number": 120.0}.get(question.type)


def _middling(question: Question) -> str | float | tuple[str, ...] | None:
    return {"yes_no": "yes", "choice": "most", "multi": ("most", "some", "none"), "number": 21.0}.get(question.type)


def synthetic_answers(definition: QuestionnaireDef, seed: int = 4) -> tuple[dict[str, Answer], dict[str, int]]:
    """A mixed answer set (deterministic) and how many answers of each kind it holds."""
    rng = random.Random(seed)
    answers: dict[str, Answer] = {}
    mix: dict[str, int] = {}
    for question in definition.questions():
        roll = rng.random()
        evidence = rng.choice(_EVIDENCE)
        in_date = question.type == "document"
        if roll < 0.10:
            kind = "unanswered"
        elif roll < 0.18:
            kind = "na"  # allowed on some questions, ignored (unanswered) on the rest
            answers[question.id] = Answer(question.id, na=True, na_reason="Not applicable to this service.")
        elif roll < 0.33:
            kind = "worst"
            answers[question.id] = Answer(question.id, value=_worst(question), evidence=evidence,
                                          document_in_date=False)
        elif roll < 0.41:
            kind = "compensating"
            answers[question.id] = Answer(question.id, value=_worst(question), evidence=evidence,
                                          compensating_control=True, document_in_date=False)
        elif roll < 0.60:
            kind = "middling"
            answers[question.id] = Answer(question.id, value=_middling(question), evidence=evidence,
                                          document_in_date=in_date)
        else:
            kind = "best"
            answers[question.id] = Answer(question.id, value=_best(question), evidence=evidence,
                                          document_in_date=in_date)
        if question.type in ("text", "date") and question.id in answers and not answers[question.id].na:
            value = "Described in our runbook." if question.type == "text" else "2025-06-30"
            answers[question.id] = Answer(question.id, value=value, evidence=evidence,
                                          reviewer_points=rng.choice((None, 0.5, 1.0)))
        mix[kind] = mix.get(kind, 0) + 1
    return answers, mix


# ---- timing ---------------------------------------------------------------------------------------


def _time(call: Callable[[], Any], *, runs: int, warmup: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Wall-clock and thread CPU milliseconds of each timed call."""
    for _ in range(warmup):
        call()
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.thread_time()
        call()
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return tuple(wall), tuple(cpu)


def score_call(definition: QuestionnaireDef, answers: Mapping[str, Answer], content_hash: str) -> ScoreResult:
    return score(definition, answers, exposure=EXPOSURE, content_hash=content_hash, policy=POLICY)


@dataclass(frozen=True)
class Scoring:
    timing: Latency
    definition: QuestionnaireDef
    result: ScoreResult
    mix: dict[str, int]

    def lines(self, width: int) -> list[str]:
        statuses: dict[str, int] = {}
        for section in self.result.sections:
            for q in section.questions:
                statuses[q.status] = statuses.get(q.status, 0) + 1
        types: dict[str, int] = {}
        for q in self.definition.questions():
            types[q.type] = types.get(q.type, 0) + 1
        gates = [g for g in self.result.gates if g.source == "question"]
        failed = sum(g.status != "passed" for g in gates)
        return [
            self.timing.line(width),
            f"  questions by type: {', '.join(f'{k} {v}' for k, v in sorted(types.items()))}; "
            f"{sum(q.show_if is not None for q in self.definition.questions())} with show_if, {len(gates)} gated",
            f"  answer mix: {', '.join(f'{k} {v}' for k, v in sorted(self.mix.items()))}",
            f"  scored as: {', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}; assurance "
            f"{self.result.assurance:.2f}, {len(self.result.findings)} findings, {failed} of {len(gates)} question "
            f"gates not passed, verdict {self.result.verdict}",
        ]


def time_scoring(*, runs: int, warmup: int) -> Scoring:
    definition, content_hash = synthetic_definition()
    answers, mix = synthetic_answers(definition)
    result = score_call(definition, answers, content_hash)
    wall, cpu = _time(lambda: score_call(definition, answers, content_hash), runs=runs, warmup=warmup)
    count = len(definition.questions())
    timing = Timing(f"score() one {count}-question response", wall, cpu, TARGET_SCORE_MS,
                    f"{len(definition.sections)} sections, {runs} runs after {warmup} warm-up")
    return Scoring(timing, definition, result, mix)


@dataclass(frozen=True)
class Loading:
    timing: Latency
    files: int
    questions: int
    problems: int
    size_kb: float

    def lines(self, width: int) -> list[str]:
        problems = f"; {self.problems} PROBLEMS (files left out)" if self.problems else ", no problems"
        return [self.timing.line(width),
                f"  {self.files} files ({self.size_kb:.0f} kB), {self.questions} questions{problems}"]


def time_loading(*, runs: int, directory: Path = QUESTIONNAIRES_DIR) -> Loading:
    catalogue = load_dir(directory)  # also the warm-up
    wall, cpu = _time(lambda: load_dir(directory), runs=runs, warmup=0)
    questions = sum(len(loaded.definition.questions()) for loaded in catalogue.loaded.values())
    size_kb = sum(p.stat().st_size for p in directory.glob("*.yaml")) / 1000
    timing = Timing(f"load_dir({directory.name}/)", wall, cpu, TARGET_LOAD_MS, f"{runs} runs after 1 warm-up")
    return Loading(timing, len(catalogue.loaded), questions, len(catalogue.problems), size_kb)
