"""Responses as CSV: export, fill in, import back; bad rows named by line, nothing applied when any is bad."""

import csv
import io
import textwrap
from pathlib import Path

import pytest

from app.questionnaires import service as questionnaire_service
from app.questionnaires.loader import load_dir, parse
from app.responses import spreadsheet
from app.responses.spreadsheet import COLUMNS, SpreadsheetInvalid, changed_answers, read_csv, write_csv
from tests.factories import make_integration, make_vendor

RICH = textwrap.dedent(
    """\
    key: csvq
    version: 2
    title: CSV round trip
    sections:
      - id: access
        title: Access control
        weight: 2
        questions:
          - id: access.mfa
            text: Is MFA enforced?
            type: yes_no
            na_allowed: true
            points: {yes: 1, no: 0}
          - id: access.model
            text: How is it hosted?
            type: choice
            options:
              - {value: saas, label: SaaS, points: 1}
              - {value: onprem, label: On premises, points: 0.5}
          - id: access.review
            text: Are access reviews done?
            type: yes_no
            points: {yes: 1, no: 0}
            show_if: {question: access.model, in: [saas]}
      - id: ops
        title: Operations
        weight: 1
        questions:
          - id: ops.certs
            text: Which attestations do you hold?
            type: multi
            options:
              - {value: soc2, label: SOC 2, points: 1}
              - {value: iso27001, label: ISO 27001, points: 1}
              - {value: none, label: None, points: 0}
          - id: ops.offboard_hours
            text: Hours to remove a leaver's access
            type: number
            bands:
              - {max: 24, points: 1}
              - {points: 0}
          - id: ops.notes
            text: Anything else?
            type: text
            weight: 0
            required: false
          - id: ops.audited_on
            text: Date of the last audit
            type: date
            weight: 0
            required: false
    """
)
URL = "/api/v1/responses/{}/answers.csv"


@pytest.fixture(scope="module")
def definition():
    loaded, problems = parse(RICH, name="csvq.v2.yaml")
    assert problems == [], problems
    return loaded


@pytest.fixture
def rich(db, tmp_path: Path):
    (tmp_path / "csvq.v2.yaml").write_text(RICH)
    questionnaire_service.sync_catalogue(db, load_dir(tmp_path))
    db.commit()


@pytest.fixture
def started(client, db, rich):
    integration = make_integration(db, make_vendor(db, name='=HYPERLINK("http://x")'))
    db.commit()
    response = client.post(f"/api/v1/integrations/{integration.id}/responses", json={"questionnaire": "csvq"})
    assert response.status_code == 201, response.text
    return response.json()


ANSWERS = [
    {"question_id": "access.mfa", "value": "yes", "evidence": "independent", "comment": "Through our IdP",
     "compensating_control": "Hardware keys for admins"},
    {"question_id": "access.model", "value": "saas"},
    {"question_id": "ops.certs", "value": ["iso27001", "soc2"], "evidence": "document"},
    {"question_id": "ops.offboard_hours", "value": 2.5},
    {"question_id": "ops.notes", "value": "Line one, \"quoted\"; semi"},
    {"question_id": "ops.audited_on", "value": "2026-03-31"},
]


@pytest.fixture
def answered(client, started):
    response = client.put(f"/api/v1/responses/{started['id']}/answers", json={"answers": ANSWERS})
    assert response.status_code == 200, response.text
    return response.json()


def export(client, response_id) -> str:
    response = client.get(URL.format(response_id))
    assert response.status_code == 200, response.text
    return response.content.decode("utf-8-sig")


def upload(client, response_id, data: bytes | str, name: str = "answers.csv"):
    body = data.encode() if isinstance(data, str) else data
    return client.post(URL.format(response_id), files={"file": (name, body, "text/csv")})


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def to_csv(rows: list[dict[str, str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def edit(text: str, **answers: str) -> str:
    rows = rows_of(text)
    for row in rows:
        if row["question_id"] in answers:
            row["answer"] = answers[row["question_id"]]
    return to_csv(rows)


def stored(client, response_id) -> dict:
    return client.get(f"/api/v1/responses/{response_id}").json()


# --- over the API, on every backend ---------------------------------------------------------------------


def test_the_export_lists_every_question_in_order_with_options_and_answers(client, answered):
    rid = answered["id"]
    response = client.get(URL.format(rid))
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="csvq-v2-response-{rid}.csv"'
    assert response.content.startswith("\ufeff".encode())
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    rows = {row["question_id"]: row for row in rows_of(text)}
    assert list(rows) == ["access.mfa", "access.model", "access.review", "ops.certs", "ops.offboard_hours",
                          "ops.notes", "ops.audited_on"]
    assert rows["access.mfa"] | {} == {
        "question_id": "access.mfa", "section": "Access control", "question": "Is MFA enforced?", "type": "yes_no",
        "options": "yes; no", "answer": "yes", "na": "", "na_reason": "", "comment": "Through our IdP",
    }
    assert rows["access.model"]["options"] == "saas; onprem"
    assert rows["access.review"]["answer"] == "" and "only when access.model is saas" in rows["access.review"]["question"]
    assert rows["ops.certs"]["answer"] == "iso27001; soc2"
    assert rows["ops.offboard_hours"]["answer"] == "2.5"
    assert rows["ops.notes"]["answer"] == ANSWERS[4]["value"]


def test_export_then_import_changes_nothing(client, answered):
    rid = answered["id"]
    before = stored(client, rid)
    response = upload(client, rid, export(client, rid))
    assert response.status_code == 200, response.text
    after = response.json()
    assert after == before  # answers, who answered and when, evidence, control, the record's version
    mfa = next(a for a in after["answers"] if a["question_id"] == "access.mfa")
    assert mfa["evidence"] == "independent" and mfa["compensating_control"] == "Hardware keys for admins"


def test_edited_answers_are_applied_and_blank_rows_clear_nothing(client, answered):
    rid = answered["id"]
    text = edit(export(client, rid), **{"access.mfa": "No", "access.review": "yes", "ops.certs": "none",
                                       "ops.offboard_hours": "48", "ops.notes": ""})
    response = upload(client, rid, text)
    assert response.status_code == 200, response.text
    answers = {a["question_id"]: a for a in response.json()["answers"]}
    assert answers["access.mfa"]["value"] == "no"
    assert answers["access.mfa"]["evidence"] == "self_attested"  # the sheet's word, not the earlier evidence
    assert answers["access.mfa"]["compensating_control"] == "Hardware keys for admins"
    assert answers["access.review"]["value"] == "yes"
    assert answers["ops.certs"]["value"] == ["none"]
    assert answers["ops.offboard_hours"]["value"] == 48
    assert answers["ops.notes"]["value"] == ANSWERS[4]["value"]  # an emptied cell is "no answer given"
    assert answers["access.model"]["updated_at"] == next(
        a["updated_at"] for a in answered["answers"] if a["question_id"] == "access.model")


def test_na_with_a_reason_is_imported(client, started):
    rid = started["id"]
    rows = rows_of(export(client, rid))
    rows[0] |= {"na": "yes", "na_reason": "No staff access at all"}
    response = upload(client, rid, to_csv(rows))
    assert response.status_code == 200, response.text
    [mfa] = response.json()["answers"]
    assert mfa["na"] is True and mfa["value"] is None and mfa["na_reason"] == "No staff access at all"


def test_two_bad_rows_refuse_the_file_naming_both_lines_and_nothing_is_applied(client, answered):
    rid = answered["id"]
    before = stored(client, rid)
    rows = rows_of(export(client, rid))
    rows[0]["answer"] = "no"  # a good change, which must not be applied either
    rows[1]["answer"] = "cloud"  # line 3
    rows[4]["answer"] = "a few"  # line 6
    response = upload(client, rid, to_csv(rows))
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "SpreadsheetInvalid"
    assert "line 3: access.model: choose one of onprem, saas" in body["detail"]
    assert "line 6: ops.offboard_hours: send a number" in body["detail"]
    assert "Nothing was imported" in body["detail"]
    assert stored(client, rid) == before


def test_formulas_are_exported_neutralised_and_imported_as_written(client, started):
    rid = started["id"]
    formula = '=HYPERLINK("http://x")'
    put = client.put(f"/api/v1/responses/{rid}/answers", json={"answers": [
        {"question_id": "ops.notes", "value": formula, "comment": "@SUM(1+1)"},
        {"question_id": "access.mfa", "na": True, "na_reason": "-2+3"},
        {"question_id": "ops.offboard_hours", "value": -1, "comment": "'=quoted on purpose"},
    ]})
    assert put.status_code == 200, put.text
    before = stored(client, rid)
    text = export(client, rid)
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert [cell for cell in cells if "HYPERLINK" in cell] == [f"'{formula}"]  # the vendor's name is not there
    rows = {row["question_id"]: row for row in rows_of(text)}
    assert rows["ops.notes"]["answer"] == f"'{formula}" and rows["ops.notes"]["comment"] == "'@SUM(1+1)"
    assert rows["access.mfa"]["na_reason"] == "'-2+3"
    assert rows["ops.offboard_hours"]["comment"] == "''=quoted on purpose"
    assert upload(client, rid, text).json() == before
    # An edited cell, neutralised the same way, arrives as the text the person meant.
    edited = rows_of(text)
    edited[5]["comment"] = "'+44 20 7946 0000"
    answers = {a["question_id"]: a for a in upload(client, rid, to_csv(edited)).json()["answers"]}
    assert answers["ops.notes"]["comment"] == "+44 20 7946 0000"
    assert answers["ops.notes"]["value"] == formula


def test_a_semicolon_separated_file_with_a_bom_imports(client, started):
    rid = started["id"]
    text = ("\ufeffquestion_id;answer;na;na_reason;comment\r\n"
            "access.mfa;yes;;;\"Enforced; always\"\r\n"
            "ops.certs;\"soc2; iso27001\";;;\r\n"
            "ops.offboard_hours;1,5;;;\r\n")
    response = upload(client, rid, text.encode("utf-8"))
    assert response.status_code == 200, response.text
    answers = {a["question_id"]: a for a in response.json()["answers"]}
    assert answers["access.mfa"]["value"] == "yes" and answers["access.mfa"]["comment"] == "Enforced; always"
    assert answers["ops.certs"]["value"] == ["soc2", "iso27001"]
    assert answers["ops.offboard_hours"]["value"] == 1.5


def test_an_upload_over_the_limit_is_refused_with_413(client, answered, monkeypatch):
    rid = answered["id"]
    before = stored(client, rid)
    text = export(client, rid)
    huge = text + "\r\n" * (spreadsheet.MAX_BYTES + 1)
    response = upload(client, rid, huge)
    assert response.status_code == 413 and response.json()["error"] == "PayloadTooLarge"
    # Under a body limit the app allows, the route still reads no more than its own limit.
    monkeypatch.setattr(spreadsheet, "MAX_BYTES", 100)
    response = upload(client, rid, edit(text, **{"access.mfa": "no"}))
    assert response.status_code == 413 and response.json()["error"] == "SpreadsheetTooLarge"
    assert stored(client, rid) == before


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00<<>>", "not a CSV file (it contains binary data)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV file (it contains binary data)"),
        ("question_id,answer,na,na_reason,comment\r\naccess.mfa,yes,,,Ça va\r\n".encode("latin-1"),
         "not UTF-8 text"),
        (b"", "The file is empty"),
        (b"Dear vendor,\nplease fill in the questionnaire.\n", "the header has no question_id, answer"),
    ],
    ids=["pdf", "png", "latin-1", "empty", "prose"],
)
def test_a_file_that_is_not_a_csv_is_refused_with_a_clear_message(client, started, data, fragment):
    response = upload(client, started["id"], data, name="answers.csv")
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "SpreadsheetInvalid"
    assert fragment in response.json()["detail"]


def test_import_into_a_submitted_response_is_refused(client, answered):
    rid = answered["id"]
    text = export(client, rid)
    client.put(f"/api/v1/responses/{rid}/answers", json={"answers": [{"question_id": "access.review", "value": "yes"}]})
    assert client.post(f"/api/v1/responses/{rid}/submit").status_code == 200
    response = upload(client, rid, edit(text, **{"access.mfa": "no"}))
    assert response.status_code == 409 and response.json()["error"] == "ResponseSubmitted"


def test_an_auditor_exports_but_cannot_import(anonymous, auth_headers, answered):
    rid = answered["id"]
    headers = auth_headers("auditor")
    assert anonymous.get(URL.format(rid), headers=headers).status_code == 200
    refused = anonymous.post(URL.format(rid), headers=headers,
                             files={"file": ("a.csv", b"question_id,answer,na,na_reason,comment\r\n", "text/csv")})
    assert refused.status_code == 403


def test_unknown_response_is_404(client, rich):
    assert client.get(URL.format(999999)).status_code == 404
    assert upload(client, 999999, ",".join(COLUMNS) + "\r\n").status_code == 404


# --- the pure reader and writer ---------------------------------------------------------------------------

HEADER = "question_id,answer,na,na_reason,comment\r\n"


def problems(text: str, definition) -> list[str]:
    with pytest.raises(SpreadsheetInvalid) as caught:
        read_csv(text, definition)
    return caught.value.problems


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("access.nothing,yes,,,\r\n", "line 2: access.nothing: no such question in csvq v2"),
        ("access.mfa,maybe,,,\r\n", "line 2: access.mfa: answer 'yes' or 'no'"),
        ("access.model,,yes,Not hosted,\r\n", "line 2: access.model: this question cannot be answered N/A"),
        ("access.mfa,,yes,,\r\n", "line 2: access.mfa: N/A needs a reason (na_reason)"),
        ("access.mfa,yes,yes,Because,\r\n", "line 2: access.mfa: an N/A answer carries no value"),
        ("access.mfa,yes,,,\r\naccess.mfa,no,,,\r\n", "line 3: access.mfa: this question is already on line 2"),
        ("ops.certs,soc2; pci,,,\r\n", "line 2: ops.certs: each option once, from iso27001, none, soc2"),
        ("ops.certs,soc2; soc2,,,\r\n", "line 2: ops.certs: each option once"),
        ("ops.offboard_hours,1e999,,,\r\n", "line 2: ops.offboard_hours: send a number"),
        ("ops.offboard_hours,\"1,5\",,,\r\n", "line 2: ops.offboard_hours: send a number"),  # `,` file: not a decimal
        ("ops.audited_on,31/03/2026,,,\r\n", "line 2: ops.audited_on: send a date as YYYY-MM-DD"),
        ("ops.notes,,,,Ask legal\r\n", "line 2: ops.notes: a comment or na_reason needs an answer"),
        ("access.mfa,yes,maybe,,\r\n", "line 2: access.mfa: na must be yes or empty, not 'maybe'"),
        (",yes,,,\r\n", "line 2: (no question_id): the question_id cell is empty"),
        ("access.mfa,yes,,,,surprise\r\n", "line 2: 6 cells but the header names 5"),
        ("ops.notes," + "x" * 4001 + ",,,\r\n", "line 2: ops.notes: answer: String should have at most 4000 characters"),
        ("ops.notes,yes,,,\x07bell\r\n", "line 2: ops.notes: comment: must not contain control characters"),
        ("ops.notes,yes,,,\r\nops.notes,\"unterminated\r\naccess.mfa,yes,,,\r\n", "line 3: not readable as CSV"),
    ],
)
def test_each_bad_row_is_named_by_its_line(definition, rows, expected):
    found = problems(HEADER + rows, definition)
    assert any(expected in p for p in found), found


def test_every_bad_row_is_listed_with_lines_counted_across_multiline_cells(definition):
    text = HEADER + "access.mfa,yes,,,\"two\nlines\"\r\naccess.model,cloud,,,\r\n\r\nops.certs,,,,\r\nnope,1,,,\r\n"
    assert problems(text, definition) == [
        "line 4: access.model: choose one of onprem, saas",
        "line 7: nope: no such question in csvq v2",
    ]


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("question_id,answer,comment\r\n", "line 1: the header has no na, na_reason column(s)"),
        ("question_id,answer,na,na_reason,comment,answer\r\n", "line 1: the header names answer more than once"),
    ],
)
def test_a_missing_or_repeated_column_is_refused(definition, header, fragment):
    assert any(fragment in p for p in problems(header + "access.mfa,yes,,,\r\n", definition))


def test_blank_answers_are_skipped_and_headers_are_matched_loosely(definition):
    text = " Question_ID ,ANSWER,na,na_reason,comment,my notes\r\naccess.mfa,,,,,keep\r\naccess.model,saas,,,,x\r\n"
    assert [a.question_id for a in read_csv(text, definition)] == ["access.model"]


def test_a_long_list_of_problems_is_capped_in_the_message_but_kept_whole(definition):
    text = HEADER + "".join(f"q{n},yes,,,\r\n" for n in range(250))
    with pytest.raises(SpreadsheetInvalid) as caught:
        read_csv(text, definition)
    assert len(caught.value.problems) == 250
    assert caught.value.detail.endswith(f"… and {250 - spreadsheet.MAX_LISTED} more")


def test_write_then_read_gives_the_answers_back(definition):
    class Stored:
        def __init__(self, question_id, value=None, na=False, na_reason=None, comment=None):
            self.question_id, self.value, self.na, self.na_reason, self.comment = (
                question_id, value, na, na_reason, comment)
            self.compensating_control = None

    stored_answers = [
        Stored("access.mfa", na=True, na_reason="=1+1"), Stored("access.model", "onprem", comment="-- none"),
        Stored("ops.certs", ["soc2", "none"]), Stored("ops.offboard_hours", 12),
        Stored("ops.notes", "@here\tand there", comment="multi\nline"), Stored("ops.audited_on", "2025-12-01"),
    ]
    text = write_csv(definition, stored_answers)
    back = read_csv(text, definition)
    assert [(a.question_id, a.value, a.na, a.na_reason, a.comment) for a in back] == [
        (s.question_id, s.value, s.na, s.na_reason, s.comment) for s in stored_answers
    ]
    assert changed_answers(back, stored_answers) == []
