"""The scoring engine: table-driven cases and hypothesis properties over a small questionnaire."""

from hypothesis import given
from hypothesis import strategies as st

from app.integrations.exposure import Access, Criticality, DataCategory, ExposureInput, Tier, Volume
from app.questionnaires.loader import parse
from app.questionnaires.scoring import Answer, Evidence, PolicyCheck, ScoringConfig, residual_tier, score
from tests.questionnaires.answers import all_best
from tests.questionnaires.test_loader import GOOD

EXTRA = """\
  - id: ops
    title: Operations
    weight: 1
    questions:
      - id: ops.patch_days
        text: Days to patch a critical vulnerability?
        type: number
        bands: [{max: 7, points: 1}, {max: 30, points: 0.5}, {points: 0}]
        na_allowed: true
        gate: {when: {gt: 90}, severity: medium, message: Critical patches within 90 days.}
        remediation: Patch faster.
      - id: ops.certs
        text: Which certifications do you hold?
        type: multi
        options:
          - {value: soc2, label: SOC 2, points: 1}
          - {value: iso, label: ISO 27001, points: 1}
          - {value: none, label: None, points: 0}
        remediation: Get certified.
      - id: ops.report
        text: Attach your SOC 2 Type II report
        type: document
        evidence: [soc2_type2]
        remediation: Provide the report.
      - id: ops.notes
        text: Anything else?
        type: text
        required: false
"""
DEFINITION, _problems = parse(GOOD + EXTRA, name="tiny.v1.yaml")
assert DEFINITION is not None, _problems
EXPOSURE = ExposureInput(frozenset({DataCategory.phi}), Access.read, Volume.lt_1k, Criticality.low)
QUESTIONS = {q.id: q for q in DEFINITION.questions()}


def run(answers: dict[str, Answer], **kwargs):
    return score(DEFINITION, answers, exposure=EXPOSURE, **kwargs)


def test_all_best_is_100_and_all_empty_is_0():
    assert run(all_best(DEFINITION)).assurance == 100
    empty = run({})
    assert empty.assurance == 0
    assert empty.verdict == "blocked"  # its knock-out question is unanswered
    assert {f.question_id for f in empty.findings} >= {"access.mfa", "ops.report"}


def test_a_critical_integration_at_90_is_medium_not_low():
    config = ScoringConfig()
    assert residual_tier(Tier.critical, 90, config) is Tier.medium
    assert residual_tier(Tier.high, 85, config) is Tier.low
    assert residual_tier(Tier.high, 84.99, config) is Tier.medium
    assert residual_tier(Tier.medium, 59.9, config) is Tier.medium
    assert residual_tier(Tier.low, 100, config) is Tier.low


def test_evidence_confidence_scales_points():
    best = all_best(DEFINITION)
    self_attested = {k: Answer(**{**a.__dict__, "evidence": Evidence.self_attested}) for k, a in best.items()}
    assert run(self_attested).assurance == 70


def test_a_failed_gate_blocks_whatever_the_score():
    answers = all_best(DEFINITION) | {"access.mfa": Answer("access.mfa", "no", evidence=Evidence.independent)}
    result = run(answers)
    assert result.verdict == "blocked"
    assert [g.id for g in result.gates if g.status == "failed"] == ["access.mfa"]
    assert result.assurance > 50
    numeric = all_best(DEFINITION) | {"ops.patch_days": Answer("ops.patch_days", 120, evidence=Evidence.independent)}
    assert run(numeric).verdict == "blocked"


def test_a_policy_check_blocks_too():
    result = run(all_best(DEFINITION), policy=[PolicyCheck("policy.baa", False, "critical", "No BAA in force.")])
    assert result.verdict == "blocked"
    assert result.assurance == 100


def test_na_leaves_the_denominator_and_hidden_questions_are_not_asked():
    best = all_best(DEFINITION)
    with_na = best | {"ops.patch_days": Answer("ops.patch_days", na=True, na_reason="no software")}
    assert run(with_na).assurance == 100
    onprem = best | {"access.model": Answer("access.model", "onprem", evidence=Evidence.independent)}
    statuses = {q.question_id: q.status for s in run(onprem).sections for q in s.questions}
    assert statuses["access.review"] == "hidden"


def test_a_compensating_control_earns_partial_credit():
    best = all_best(DEFINITION)
    no = best | {"access.mfa": Answer("access.mfa", "no", evidence=Evidence.independent)}
    compensated = best | {"access.mfa": Answer("access.mfa", "no", evidence=Evidence.independent,
                                                compensating_control=True)}
    assert run(no).assurance < run(compensated).assurance < 100


def test_the_result_explains_itself_and_names_its_inputs():
    result = run(all_best(DEFINITION))
    mfa = next(q for s in result.sections for q in s.questions if q.question_id == "access.mfa")
    assert (mfa.status, mfa.weight, mfa.points, mfa.confidence) == ("answered", 3, 1, 1)
    assert result.scorer == "scoring/1" and len(result.inputs_hash) == 64
    assert run(all_best(DEFINITION)).inputs_hash == result.inputs_hash
    assert run({}).inputs_hash != result.inputs_hash


# --- properties ---


def answer_for(question_id: str) -> st.SearchStrategy[Answer]:
    q = QUESTIONS[question_id]
    evidence = st.sampled_from(list(Evidence))
    if q.type == "yes_no":
        value = st.sampled_from(["yes", "no"])
    elif q.type == "choice":
        value = st.sampled_from([o.value for o in q.options])
    elif q.type == "multi":
        value = st.lists(st.sampled_from([o.value for o in q.options]), min_size=1, unique=True).map(tuple)
    elif q.type == "number":
        value = st.integers(0, 200)
    else:
        value = st.just(None)
    return st.builds(Answer, st.just(question_id), value=value, evidence=evidence,
                     na=st.booleans() if q.na_allowed else st.just(False),
                     compensating_control=st.booleans(), document_in_date=st.booleans())


answer_sets = st.fixed_dictionaries({}, optional={qid: answer_for(qid) for qid in QUESTIONS})


@given(answer_sets)
def test_assurance_is_within_0_and_100(answers):
    assert 0 <= run(answers).assurance <= 100


@given(answer_sets, st.sampled_from(sorted(QUESTIONS)))
def test_improving_one_answer_never_lowers_assurance(answers, question_id):
    best = all_best(DEFINITION)[question_id]
    improved = answers | {question_id: best}
    if QUESTIONS[question_id].show_if is None and not any(
        q.show_if and q.show_if.question == question_id for q in QUESTIONS.values()
    ):
        assert run(improved).assurance >= run(answers).assurance


@given(answer_sets)
def test_answer_order_does_not_matter(answers):
    reversed_answers = dict(reversed(list(answers.items())))
    assert run(reversed_answers) == run(answers)


@given(answer_sets)
def test_a_failed_gate_always_blocks(answers):
    result = run(answers)
    assert (result.verdict == "blocked") == any(g.status != "passed" for g in result.gates)
    if any(g.status == "failed" for g in result.gates):
        assert result.verdict == "blocked"


def test_skipping_a_knock_out_question_does_not_get_round_its_gate():
    answers = all_best(DEFINITION)
    del answers["access.mfa"]
    result = run(answers)
    assert result.verdict == "blocked"
    assert [(g.id, g.status) for g in result.gates if g.status != "passed"] == [("access.mfa", "not_answered")]


def test_a_lower_but_passing_answer_is_not_reported_at_the_gates_severity():
    answers = all_best(DEFINITION) | {"ops.patch_days": Answer("ops.patch_days", 20, evidence=Evidence.independent)}
    result = run(answers)
    assert result.verdict == "pass"
    assert [(f.question_id, f.severity) for f in result.findings] == [("ops.patch_days", "low")]


@given(answer_sets)
def test_na_answers_leave_the_denominator(answers):
    result = run(answers)
    for section in result.sections:
        for q in section.questions:
            if q.status in ("na", "hidden", "unscored"):
                assert q.weight == 0
