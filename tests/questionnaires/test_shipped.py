"""Every file in questionnaires/ loads, and scores all-best as 100 with no gate failed, all-empty as 0."""

from pathlib import Path

import pytest

from app.integrations.exposure import Access, Criticality, DataCategory, ExposureInput, Volume
from app.questionnaires.loader import load_file
from app.questionnaires.scoring import score
from tests.questionnaires.answers import all_best

FOLDER = Path(__file__).resolve().parents[2] / "questionnaires"
FILES = sorted(FOLDER.glob("*.yaml"))
EXPOSURE = ExposureInput(frozenset({DataCategory.customer_personal}), Access.read, Volume.lt_100k, Criticality.medium)
MINIMUM_QUESTIONS = {
    "baseline-security": 40,
    "gdpr-processor": 20,
    "hipaa-business-associate": 20,
    "pci-service-provider": 20,
    "heroku-addon": 20,
}


def test_the_shipped_set_is_complete():
    keys = {path.name.split(".v")[0] for path in FILES}
    assert set(MINIMUM_QUESTIONS) <= keys


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_file_loads_and_scores_from_0_to_100(path):
    loaded, problems = load_file(path)
    assert not problems, "\n".join(map(str, problems))
    definition = loaded.definition
    assert len(definition.questions()) >= MINIMUM_QUESTIONS.get(definition.key, 1)
    best = score(definition, all_best(definition), exposure=EXPOSURE)
    assert best.assurance == 100, [q for s in best.sections for q in s.questions if q.earned < 1 and q.weight]
    assert not [g for g in best.gates if g.status != "passed"]
    assert best.verdict == "pass"
    assert score(definition, {}, exposure=EXPOSURE).assurance == 0


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_file_is_written_to_be_actionable(path):
    definition = load_file(path)[0].definition
    questions = definition.questions()
    assert any(q.gate for q in questions), "no knock-out question"
    assert all(q.remediation for q in questions if q.scored), [q.id for q in questions if q.scored and not q.remediation]
    assert all(q.regulations for q in questions if q.gate), "gated questions should cite what requires them"
