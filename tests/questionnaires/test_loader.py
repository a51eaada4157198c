"""Questionnaire files: a broken file is refused with file and line, every problem at once."""

import textwrap
from pathlib import Path

import pytest

from app.questionnaires.loader import load_dir, load_file, parse

GOOD = textwrap.dedent(
    """\
    key: tiny
    version: 1
    title: Tiny
    sections:
      - id: access
        title: Access
        weight: 2
        questions:
          - id: access.mfa
            text: Is MFA enforced?
            type: yes_no
            weight: 3
            points: {yes: 1, no: 0}
            gate:
              when: [no]
              severity: high
              message: MFA is required.
            remediation: Enforce MFA.
          - id: access.model
            text: How is it hosted?
            type: choice
            options:
              - {value: saas, label: SaaS, points: 1}
              - {value: onprem, label: On premises, points: 0.5}
            remediation: Prefer a managed service.
          - id: access.review
            text: Are access reviews done?
            type: yes_no
            points: {yes: 1, no: 0}
            show_if: {question: access.model, in: [saas]}
            remediation: Review quarterly.
    """
)


def problems_of(text: str, name: str = "tiny.v1.yaml") -> list[str]:
    definition, problems = parse(text, name=name)
    assert definition is None
    return [f"{p.line}: {p.message}" for p in problems]


def test_a_good_file_loads_with_yes_and_no_as_answers():
    definition, problems = parse(GOOD, name="tiny.v1.yaml")
    assert problems == []
    mfa = definition.question("access.mfa")
    assert mfa.points == {"yes": 1, "no": 0} and mfa.gate.when == ["no"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("        weight: 3\n", "        wieght: 3\n"), "12: sections.0.questions.0.wieght: unknown key"),
        (("      - id: access.model\n", "      - id: access.mfa\n"), "question id 'access.mfa' is used twice"),
        (("          when: [no]\n", "          when: [maybe]\n"), "15: gate names 'maybe', not an answer"),
        (("in: [saas]}", "in: [cloud]}"), "'cloud' is not an answer of 'access.model'"),
        (("{question: access.model,", "{question: access.nothing,"), "show_if names question 'access.nothing'"),
        (("points: 0.5}", "points: 1.5}"), "points: Input should be less than or equal to 1"),
        (("    weight: 2\n", "    weight: 0\n"), "weight: Input should be greater than 0"),
        (("        type: choice\n", "        type: pick-one\n"), "type: Input should be 'yes_no'"),
        (("version: 1\n", "version: 1\nversion: 2\n"), "'version' is given twice"),
    ],
)
def test_each_kind_of_mistake_is_refused_with_its_line(change, expected):
    old, new = change
    assert old in GOOD
    found = problems_of(GOOD.replace(old, new, 1))
    assert any(expected in p for p in found), found


def test_every_problem_is_reported_in_one_pass():
    broken = (GOOD.replace("        weight: 3\n", "        wieght: 3\n")
              .replace("          when: [no]\n", "          when: [maybe]\n")
              .replace("in: [saas]}", "in: [cloud]}"))
    assert len(problems_of(broken)) == 3


def test_file_name_must_match_key_and_version():
    assert any("file name says tiny v2" in p for p in problems_of(GOOD, name="tiny.v2.yaml"))


@pytest.mark.parametrize("text", ["", "key: [unclosed", "- just\n- a list\n", "key: x\n\tversion: 1"])
def test_not_a_questionnaire_at_all_is_refused_cleanly(text):
    assert problems_of(text)


def test_a_bad_file_never_half_loads_and_the_good_ones_still_do(tmp_path: Path):
    (tmp_path / "tiny.v1.yaml").write_text(GOOD)
    (tmp_path / "tiny.v2.yaml").write_text(GOOD.replace("version: 1", "version: 2").replace("weight: 3", "wieght: 3"))
    catalogue = load_dir(tmp_path)
    assert list(catalogue.loaded) == [("tiny", 1)]
    assert [p.file.endswith("tiny.v2.yaml") for p in catalogue.problems] == [True]
    assert catalogue.latest("tiny").definition.version == 1


def test_the_content_hash_is_of_the_bytes(tmp_path: Path):
    import hashlib

    path = tmp_path / "tiny.v1.yaml"
    path.write_text(GOOD)
    loaded, _ = load_file(path)
    assert loaded.content_hash == hashlib.sha256(GOOD.encode()).hexdigest()
