"""Assessments over the API: snapshot, review by security, signing by legal, immutability, records."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.assessments.models import Assessment
from app.auth.deps import actor_of
from app.questionnaires import service as questionnaire_service
from app.questionnaires.loader import load_dir
from tests.documents.helpers import pdf_bytes, upload
from tests.factories import bearer, make_integration, make_token, make_user
from tests.questionnaires.test_loader import GOOD

TEXT_QUESTION = """\
      - id: access.notes
        text: Describe how access is reviewed
        type: text
        weight: 1
        remediation: Describe the review.
"""


@pytest.fixture
def catalogue(db, tmp_path: Path):
    (tmp_path / "tiny.v1.yaml").write_text(GOOD + TEXT_QUESTION)
    questionnaire_service.sync_catalogue(db, load_dir(tmp_path))
    db.commit()


@pytest.fixture
def requester(db):
    """A security engineer who asks for the integration (so they may not review it themselves)."""
    user = make_user(db, role="security")
    db.commit()
    return user


@pytest.fixture
def integration(db, catalogue, requester):
    made = make_integration(db, actor=actor_of(requester))
    db.commit()
    return made


def answer_and_submit(client, integration_id, *answers):
    rid = client.post(f"/api/v1/integrations/{integration_id}/responses", json={"questionnaire": "tiny"}).json()["id"]
    body = {"answers": list(answers) or [
        {"question_id": "access.mfa", "value": "yes", "evidence": "independent"},
        {"question_id": "access.model", "value": "saas"},
        {"question_id": "access.review", "value": "yes"},
        {"question_id": "access.notes", "value": "Quarterly, by the system owner", "comment": "<b>kept literal</b>"},
    ]}
    assert client.put(f"/api/v1/responses/{rid}/answers", json=body).status_code == 200
    assert client.post(f"/api/v1/responses/{rid}/submit").status_code == 200
    return rid


def evidence(client, vendor_id):
    for fields in ({"type": "soc2_type2", "title": "SOC 2 Type II", "expires_on": "2099-12-31"},
                   {"type": "dpa", "title": "DPA", "transfer_mechanism": "scc"}):
        assert upload(client, vendor_id, pdf_bytes(fields["title"]), **fields).status_code == 201


def test_an_assessment_needs_a_submitted_response(client, integration, db):
    response = client.post(f"/api/v1/integrations/{integration.id}/assessments")
    assert response.status_code == 409 and "submit a questionnaire" in response.json()["detail"]
    assert db.scalar(select(func.count()).select_from(Assessment)) == 0


def test_the_snapshot_freezes_responses_documents_and_gates(client, integration):
    rid = answer_and_submit(client, integration.id)
    evidence(client, integration.vendor_id)
    response = client.post(f"/api/v1/integrations/{integration.id}/assessments")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["state"] == "in_review" and body["verdict"] == "pass"
    snapshot = body["snapshot"]
    assert [r["response_id"] for r in snapshot["responses"]] == [rid]
    assert {d["type"] for d in snapshot["documents"]} == {"soc2_type2", "dpa"}
    assert all(len(d["sha256"]) == 64 for d in snapshot["documents"])
    assert snapshot["vendor"]["id"] == integration.vendor_id
    rows = {r["question_id"]: r for r in snapshot["responses"][0]["rows"]}
    assert rows["access.notes"]["comment"] == "<b>kept literal</b>"


def test_the_snapshot_recomputes_to_the_same_score(client, integration):
    from app.assessments.snapshot import Snapshot, as_json, recompute

    answer_and_submit(client, integration.id)
    body = client.post(f"/api/v1/integrations/{integration.id}/assessments").json()
    taken = Snapshot.model_validate(body["snapshot"])
    for response in taken.responses:
        assert as_json(recompute(response).as_dict()) == response.score


def review(client, assessment_id, headers=None, **body):
    return client.post(f"/api/v1/assessments/{assessment_id}/review",
                       json={"decision": "approve", "reason": "Controls fit the data"} | body, headers=headers)


def test_security_reviews_with_points_and_the_gates_still_hold(client, integration, auth_headers):
    rid = answer_and_submit(client, integration.id)
    aid = client.post(f"/api/v1/integrations/{integration.id}/assessments").json()["id"]
    security = auth_headers("security")
    blocked = review(client, aid, headers=security)  # personal data to the US, no DPA: blocked
    assert blocked.status_code == 409 and "policy.gdpr.dpa" in blocked.json()["detail"]
    evidence(client, integration.vendor_id)
    wrong = review(client, aid, headers=security, reviewer_points=[
        {"response_id": rid, "question_id": "access.mfa", "points": 1}])
    assert wrong.status_code == 422 and "text and date" in wrong.json()["detail"]
    done = review(client, aid, headers=security, decision="approve_with_conditions",
                  conditions=["Review access quarterly"],
                  reviewer_points=[{"response_id": rid, "question_id": "access.notes", "points": 0.5}])
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["state"] == "decided" and body["decision"] == "approve_with_conditions"
    notes = next(q for s in body["snapshot"]["responses"][0]["score"]["sections"] for q in s["questions"]
                 if q["question_id"] == "access.notes")
    assert notes["points"] == 0.5 and notes["status"] == "answered"
    assert client.get(f"/api/v1/integrations/{integration.id}", headers=security).json()["status"] == \
        "approved_with_conditions"


def test_the_requester_does_not_review_their_own_integration(client, integration, requester, db):
    answer_and_submit(client, integration.id)
    evidence(client, integration.vendor_id)
    aid = client.post(f"/api/v1/integrations/{integration.id}/assessments").json()["id"]
    own = bearer(make_token(db, requester))
    db.commit()
    response = review(client, aid, headers=own)
    assert response.status_code == 403 and response.json()["error"] == "SeparationOfDuties"
    assert client.get(f"/api/v1/assessments/{aid}").json()["state"] == "in_review"


@pytest.fixture
def signing_key(tmp_path_factory, monkeypatch):
    """A development CA and signing certificate, configured as the organisation's (RISKREG_SIGNING_*)."""
    from datetime import UTC, datetime

    from app.core.config import get_settings
    from app.core.signing import init_local_ca

    directory = tmp_path_factory.mktemp("signing")
    made = init_local_ca(directory, now=datetime.now(UTC))
    monkeypatch.setenv("RISKREG_SIGNING_P12", str(made.signer_p12))
    monkeypatch.setenv("RISKREG_SIGNING_PASSPHRASE", made.passphrase_file.read_text().strip())
    monkeypatch.setenv("RISKREG_SIGNING_TRUST_ROOTS", str(made.ca_cert))
    get_settings.cache_clear()
    yield made
    get_settings.cache_clear()


@pytest.fixture
def decided(client, integration, auth_headers):
    answer_and_submit(client, integration.id)
    evidence(client, integration.vendor_id)
    aid = client.post(f"/api/v1/integrations/{integration.id}/assessments").json()["id"]
    assert review(client, aid, headers=auth_headers("security")).status_code == 200
    return aid


def sign(client, assessment_id, headers):
    return client.post(f"/api/v1/assessments/{assessment_id}/sign", headers=headers)


def test_legal_signs_a_record_anyone_can_verify_and_nobody_can_change(client, anonymous, decided, auth_headers,
                                                                        signing_key):
    legal = auth_headers("legal")
    assert sign(client, decided, auth_headers("security")).status_code == 403  # security decides, legal signs
    signed = sign(client, decided, legal)
    assert signed.status_code == 200, signed.text
    body = signed.json()
    assert body["state"] == "signed" and body["record_sha256"] and body["valid_until"]
    record = client.get(f"/api/v1/assessments/{decided}/record.pdf", headers=legal)
    assert record.status_code == 200 and record.headers["content-type"] == "application/pdf"
    assert record.headers["content-disposition"].startswith(f'attachment; filename="assessment-{decided}-')
    pdf = record.content
    assert anonymous.get(f"/api/v1/assessments/{decided}/record.pdf",
                         headers=auth_headers("engineer")).status_code == 403

    verified = anonymous.post("/api/v1/records/verify", files={"file": ("record.pdf", pdf, "application/pdf")})
    assert verified.status_code == 200, verified.text
    result = verified.json()
    assert result["ok"] and result["intact"] and result["trusted"] and result["covers_entire_file"]
    assert result["recomputes"] is True and result["assessment"]["id"] == decided

    flipped = bytearray(pdf)
    flipped[len(pdf) // 3] ^= 0x01
    bad = anonymous.post("/api/v1/records/verify", files={"file": ("r.pdf", bytes(flipped), "application/pdf")}).json()
    assert bad["ok"] is False and bad["matches_stored_record"] is False
    appended = anonymous.post("/api/v1/records/verify",
                              files={"file": ("r.pdf", pdf + b"\n% appended\n", "application/pdf")}).json()
    assert appended["ok"] is False and appended["covers_entire_file"] is False

    again = review(client, decided, headers=auth_headers("security"))
    assert again.status_code == 409 and again.json()["error"] == "AssessmentSigned"
    assert sign(client, decided, legal).status_code == 409


def test_the_next_signed_assessment_supersedes_the_previous(client, integration, decided, auth_headers, signing_key):
    legal, security = auth_headers("legal"), auth_headers("security")
    assert sign(client, decided, legal).status_code == 200
    second = client.post(f"/api/v1/integrations/{integration.id}/assessments").json()["id"]
    assert review(client, second, headers=security, decision="reject", reason="Vendor lost its SOC 2").status_code == 200
    assert sign(client, second, legal).json()["valid_until"] is None  # a rejection is not due again
    states = {a["id"]: a["state"] for a in client.get(f"/api/v1/integrations/{integration.id}/assessments").json()[
        "items"]}
    assert states == {decided: "superseded", second: "signed"}
    assert client.get(f"/api/v1/integrations/{integration.id}", headers=security).json()["status"] == "rejected"


def test_signing_refuses_an_expired_certificate_before_anything_is_stored(client, decided, auth_headers, db,
                                                                           tmp_path, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from app.core.config import get_settings
    from app.core.signing import init_local_ca
    from app.core.storage import StoredFile

    made = init_local_ca(tmp_path / "old", now=datetime.now(UTC) - timedelta(days=800), days=365)
    monkeypatch.setenv("RISKREG_SIGNING_P12", str(made.signer_p12))
    monkeypatch.setenv("RISKREG_SIGNING_PASSPHRASE", made.passphrase_file.read_text().strip())
    get_settings.cache_clear()
    before = db.scalar(select(func.count()).select_from(StoredFile))
    response = sign(client, decided, auth_headers("legal"))
    get_settings.cache_clear()
    assert response.status_code == 503 and "expired" in response.json()["detail"]
    assert db.scalar(select(func.count()).select_from(StoredFile)) == before
    assert client.get(f"/api/v1/assessments/{decided}").json()["state"] == "decided"


@pytest.mark.parametrize(("content", "status"), [(b"", 422), (b"<html>not a record</html>", 415),
                                                  (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, 415)])
def test_verify_refuses_what_is_not_a_pdf(anonymous, content, status):
    response = anonymous.post("/api/v1/records/verify", files={"file": ("record.pdf", content, "application/pdf")})
    assert response.status_code == status


def test_an_outdated_assessment_cannot_be_reviewed_and_signed_inputs_are_frozen(client, integration, decided,
                                                                                  auth_headers, signing_key):
    security, legal = auth_headers("security"), auth_headers("legal")
    older = client.post(f"/api/v1/integrations/{integration.id}/assessments").json()["id"]
    newer = client.post(f"/api/v1/integrations/{integration.id}/assessments").json()["id"]
    assert review(client, newer, headers=security).status_code == 200
    assert sign(client, newer, legal).status_code == 200
    stale = review(client, older, headers=security, decision="reject", reason="late")
    assert stale.status_code == 409 and stale.json()["error"] == "AssessmentOutdated"
    assert client.get(f"/api/v1/integrations/{integration.id}", headers=security).json()["status"] == "approved"
    third = client.post(f"/api/v1/integrations/{integration.id}/assessments").json()
    response_id = third["snapshot"]["responses"][0]["response_id"]
    frozen = review(client, third["id"], headers=security, reviewer_points=[
        {"response_id": response_id, "question_id": "access.notes", "points": 0.1}])
    assert frozen.status_code == 422 and "signed record" in frozen.json()["detail"]
