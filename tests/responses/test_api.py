"""Responses over the API: bound to a version, answers checked by type, submit only when complete, scored."""

from pathlib import Path

import pytest

from app.questionnaires import service as questionnaire_service
from app.questionnaires.loader import load_dir
from tests.documents.helpers import pdf_bytes, upload
from tests.factories import make_integration
from tests.questionnaires.test_loader import GOOD


@pytest.fixture
def tiny(db, tmp_path: Path):
    (tmp_path / "tiny.v1.yaml").write_text(GOOD)
    questionnaire_service.sync_catalogue(db, load_dir(tmp_path))
    db.commit()
    return tmp_path


@pytest.fixture
def started(client, db, tiny):
    integration = make_integration(db)
    db.commit()
    response = client.post(f"/api/v1/integrations/{integration.id}/responses", json={"questionnaire": "tiny"})
    assert response.status_code == 201, response.text
    return response.json()


def put(client, response_id, *answers):
    return client.put(f"/api/v1/responses/{response_id}/answers", json={"answers": list(answers)})


def test_a_new_response_is_bound_to_the_newest_version_and_lists_what_is_missing(started):
    assert started["questionnaire"]["key"] == "tiny" and started["questionnaire"]["version"] == 1
    assert started["status"] == "draft"
    assert started["missing"] == ["access.mfa", "access.model"]  # access.review is hidden until model is saas


def test_partial_saves_keep_earlier_answers_and_reveal_follow_ups(client, started):
    rid = started["id"]
    first = put(client, rid, {"question_id": "access.mfa", "value": "yes", "evidence": "independent"})
    assert first.status_code == 200, first.text
    second = put(client, rid, {"question_id": "access.model", "value": "saas"}).json()
    assert {a["question_id"] for a in second["answers"]} == {"access.mfa", "access.model"}
    assert second["missing"] == ["access.review"]


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        ({"question_id": "access.mfa", "value": "maybe"}, "answer 'yes' or 'no'"),
        ({"question_id": "access.model", "value": "cloud"}, "choose one of onprem, saas"),
        ({"question_id": "access.nothing", "value": "yes"}, "no such question"),
        ({"question_id": "access.mfa", "na": True, "na_reason": "n/a"}, "cannot be answered N/A"),
        ({"question_id": "access.mfa", "value": 3}, "answer 'yes' or 'no'"),
        ({"question_id": "access.mfa", "value": "yes", "surprise": 1}, "unknown field"),
    ],
)
def test_a_bad_answer_refuses_the_whole_batch(client, started, answer, fragment):
    rid = started["id"]
    response = put(client, rid, {"question_id": "access.model", "value": "saas"}, answer)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]
    assert client.get(f"/api/v1/responses/{rid}").json()["answers"] == []


def test_submit_lists_missing_answers_then_freezes_the_response(client, started):
    rid = started["id"]
    put(client, rid, {"question_id": "access.mfa", "value": "yes"})
    refused = client.post(f"/api/v1/responses/{rid}/submit")
    assert refused.status_code == 422
    assert "access.model" in refused.json()["detail"]
    put(client, rid, {"question_id": "access.model", "value": "onprem"})
    submitted = client.post(f"/api/v1/responses/{rid}/submit")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    late = put(client, rid, {"question_id": "access.mfa", "value": "no"})
    assert late.status_code == 409
    assert client.post(f"/api/v1/responses/{rid}/submit").status_code == 409


def attach_evidence(client, db, response_id):
    """What makes independent claims and the GDPR gates hold: a SOC 2 report and a DPA with SCCs, in force."""
    from app.integrations.models import Integration
    from app.responses.models import Response

    vendor_id = db.get(Integration, db.get(Response, response_id).integration_id).vendor_id
    for fields in ({"type": "soc2_type2", "title": "SOC 2 Type II 2026", "expires_on": "2099-12-31"},
                   {"type": "dpa", "title": "DPA", "transfer_mechanism": "scc"}):
        assert upload(client, vendor_id, pdf_bytes(fields["title"]), **fields).status_code == 201


def test_the_score_explains_itself_question_by_question(client, db, started):
    rid = started["id"]
    attach_evidence(client, db, rid)
    put(client, rid,
        {"question_id": "access.mfa", "value": "yes", "evidence": "independent"},
        {"question_id": "access.model", "value": "saas", "evidence": "independent"},
        {"question_id": "access.review", "value": "yes", "evidence": "independent"})
    body = client.get(f"/api/v1/responses/{rid}/score").json()
    assert body["assurance"] == 100 and body["verdict"] == "pass" and body["scorer"] == "scoring/1"
    mfa = body["sections"][0]["questions"][0]
    assert mfa == {"question_id": "access.mfa", "status": "answered", "weight": 3, "points": 1, "confidence": 1,
                   "earned": 1}
    put(client, rid, {"question_id": "access.mfa", "value": "no"})
    blocked = client.get(f"/api/v1/responses/{rid}/score").json()
    assert blocked["verdict"] == "blocked"
    assert [f["question_id"] for f in blocked["findings"]] == ["access.mfa"]
    assert blocked["inputs_hash"] != body["inputs_hash"]


def test_without_documents_claims_are_capped_and_the_gdpr_gates_block(client, db, started):
    rid = started["id"]
    put(client, rid,
        {"question_id": "access.mfa", "value": "yes", "evidence": "independent"},
        {"question_id": "access.model", "value": "saas", "evidence": "independent"},
        {"question_id": "access.review", "value": "yes", "evidence": "independent"})
    body = client.get(f"/api/v1/responses/{rid}/score").json()
    mfa = body["sections"][0]["questions"][0]
    assert mfa["confidence"] == 0.85  # claimed independent, no SOC 2 / ISO 27001 on file: document-backed
    gates = {g["id"]: g["status"] for g in body["gates"] if g["source"] == "policy"}
    assert gates == {"policy.gdpr.dpa": "failed", "policy.gdpr.transfer": "failed"}  # personal data to the US
    assert body["verdict"] == "blocked"
    attach_evidence(client, db, rid)
    after = client.get(f"/api/v1/responses/{rid}/score").json()
    assert {g["id"]: g["status"] for g in after["gates"] if g["source"] == "policy"} == {
        "policy.gdpr.dpa": "passed", "policy.gdpr.transfer": "passed"}
    assert after["verdict"] == "pass" and after["assurance"] == 100


def test_a_response_stays_bound_to_its_version(client, db, started, tiny):
    (tiny / "tiny.v2.yaml").write_text(GOOD.replace("version: 1", "version: 2").replace("access.mfa", "access.sso"))
    questionnaire_service.sync_catalogue(db, load_dir(tiny))
    db.commit()
    rid = started["id"]
    assert put(client, rid, {"question_id": "access.mfa", "value": "yes"}).status_code == 200
    assert put(client, rid, {"question_id": "access.sso", "value": "yes"}).status_code == 422
    assert client.get(f"/api/v1/responses/{rid}").json()["questionnaire"]["version"] == 1


def test_unknown_questionnaire_or_integration(client, db, tiny):
    integration = make_integration(db)
    db.commit()
    assert client.post(f"/api/v1/integrations/{integration.id}/responses",
                       json={"questionnaire": "nope"}).status_code == 404
    assert client.post("/api/v1/integrations/999999/responses", json={"questionnaire": "tiny"}).status_code == 404


def test_document_questions_never_hold_up_a_submission_but_score_zero_until_attached(client, db, tmp_path):
    text = GOOD + """\
      - id: access.report
        text: Attach your SOC 2 Type II report
        type: document
        evidence: [soc2_type2]
        gate: {when: [missing], severity: high, message: A current SOC 2 report is required.}
        regulations: ["ISO/IEC 27001:2022 A.5.35"]
        remediation: Provide the report.
"""
    (tmp_path / "tiny.v1.yaml").write_text(text)
    questionnaire_service.sync_catalogue(db, load_dir(tmp_path))
    integration = make_integration(db, data_categories=["logs_telemetry"])  # no personal data: no GDPR gates
    db.commit()
    rid = client.post(f"/api/v1/integrations/{integration.id}/responses", json={"questionnaire": "tiny"}).json()["id"]
    put(client, rid, {"question_id": "access.mfa", "value": "yes"}, {"question_id": "access.model", "value": "onprem"})
    assert client.post(f"/api/v1/responses/{rid}/submit").status_code == 200
    score = client.get(f"/api/v1/responses/{rid}/score").json()
    assert score["verdict"] == "blocked"
    assert [g["id"] for g in score["gates"] if g["status"] == "failed"] == ["access.report"]
    report = {"type": "soc2_type2", "title": "SOC 2 Type II", "effective_on": "2026-10-01"}
    assert upload(client, integration.vendor_id, pdf_bytes("soc2"), **report).status_code == 201
    attached = client.get(f"/api/v1/responses/{rid}/score").json()
    assert [g["id"] for g in attached["gates"] if g["status"] == "failed"] == []
    question = next(q for s in attached["sections"] for q in s["questions"] if q["question_id"] == "access.report")
    assert question["earned"] == 1 and attached["verdict"] != "blocked"
