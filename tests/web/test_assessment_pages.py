"""Assessment pages: the list by state, taking one, security's review form (not for the requester), legal's
sign form (not for the reviewer), the signed record's download, and the public verify page.

Signing renders and signs a PDF (seconds): it happens once in this file."""

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.assessments.models import Assessment
from app.heroku.models import GateException
from app.responses.models import ResponseAnswer
from tests.assessments import test_workflow as workflow
from tests.assessments.test_workflow import answer_and_submit, evidence, review
from tests.web.helpers import csrf_of
from tests.web.test_response_pages import sign_in

# The API tests' fixtures: a questionnaire with a text question, the security user who requested the
# integration, the integration, and a development signing key configured as the organisation's.
catalogue, requester, integration, signing_key = (workflow.catalogue, workflow.requester, workflow.integration,
                                                  workflow.signing_key)


def count(db) -> int:
    return db.scalar(select(func.count()).select_from(Assessment))


@pytest.fixture
def taken(client, integration) -> int:
    """An assessment in review, taken from a submitted response (no DPA on file yet: gates fail)."""
    answer_and_submit(client, integration.id)
    made = client.post(f"/api/v1/integrations/{integration.id}/assessments")
    assert made.status_code == 201, made.text
    return made.json()["id"]


@pytest.fixture
def browser(app) -> TestClient:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_taking_an_assessment_needs_a_submitted_response(db, client, browser, integration):
    sign_in(db, browser, "procurement")
    token = csrf_of(browser.get("/assessments"))
    refused = browser.post(f"/integrations/{integration.id}/assessments", data={"csrf_token": token})
    assert refused.status_code == 409 and refused.template.name == "assessments/take_refused.html"
    assert "no submitted questionnaire" in refused.text and count(db) == 0
    answer_and_submit(client, integration.id)
    taken = browser.post(f"/integrations/{integration.id}/assessments", data={"csrf_token": token},
                         follow_redirects=False)
    assert taken.status_code == 303 and count(db) == 1
    page = browser.get(taken.headers["location"])
    assert page.status_code == 200 and page.template.name == "assessments/detail.html"
    assert page.context["state"] == "in_review" and "Waiting for security's review." in page.text
    assert "Record decision" not in page.text and "Sign record" not in page.text  # procurement does neither


def test_the_list_groups_assessments_by_state(db, client, browser, integration, taken, auth_headers):
    evidence(client, integration.vendor_id)
    decided = client.post(f"/api/v1/integrations/{integration.id}/assessments").json()["id"]
    assert review(client, decided, headers=auth_headers("security")).status_code == 200
    sign_in(db, browser, "legal")
    landing = browser.get("/assessments")  # legal lands on what awaits a signature
    assert landing.status_code == 200 and landing.template.name == "assessments/list.html"
    assert landing.context["state"] == "decided"
    assert [r.assessment.id for r in landing.context["listing"].items] == [decided]
    assert landing.context["counts"] == {"in_review": 1, "decided": 1, "signed": 0, "ended": 0, "all": 2}
    in_review = browser.get("/assessments", params={"state": "in_review"})
    assert [r.assessment.id for r in in_review.context["listing"].items] == [taken]
    assert integration.name in in_review.text and f'href="/assessments/{taken}"' in in_review.text
    assert browser.get("/assessments", params={"state": "ended"}).context["listing"].items == []


def test_the_requester_cannot_review_and_security_decides_with_exceptions(db, client, browser, taken, requester):
    sign_in(db, browser, user=requester)
    own = browser.get(f"/assessments/{taken}")
    assert own.status_code == 200 and "You requested this integration" in own.text
    assert "Record decision" not in own.text
    assert browser.post(f"/assessments/{taken}/review", data={
        "csrf_token": csrf_of(own), "decision": "reject", "reason": "mine"}).status_code == 403

    browser.cookies.clear()
    sign_in(db, browser, "security")
    page = browser.get(f"/assessments/{taken}")
    assert "Record decision" in page.text
    failed = [g.gate["id"] for g in page.context["gates"]]
    assert "policy.gdpr.dpa" in failed  # personal data and no DPA on file
    (notes,) = page.context["points"]
    token = csrf_of(page)
    form = {"csrf_token": token, "decision": "approve_with_conditions", "reason": "Fits log data",
            notes.name: "0.5"}

    no_conditions = browser.post(f"/assessments/{taken}/review", data=form)
    assert no_conditions.status_code == 422 and "Add at least one condition" in no_conditions.text
    blocked = browser.post(f"/assessments/{taken}/review", data={**form, "conditions": "Sign a DPA\n\n"})
    assert blocked.status_code == 409 and "policy.gdpr.dpa" in blocked.context["review_error"]
    assert blocked.context["values"]["conditions"] == "Sign a DPA\n\n"  # kept as typed
    db.expire_all()
    assert db.get(Assessment, taken).status == "in_review"
    assert db.scalar(select(ResponseAnswer.reviewer_points).where(ResponseAnswer.question_id == "access.notes")) is None

    expires = (date.today() + timedelta(days=30)).isoformat()
    exceptions = {k: v for gate in failed for k, v in ((f"lift:{gate}", "1"), (f"exception_reason:{gate}",
                  "DPA in signature, due this month"), (f"exception_expires:{gate}", expires))}
    done = browser.post(f"/assessments/{taken}/review", data={**form, "conditions": "Sign a DPA", **exceptions},
                        follow_redirects=False)
    assert done.status_code == 303, done.text
    db.expire_all()
    decided = db.get(Assessment, taken)
    assert (decided.status, decided.decision, decided.conditions) == ("decided", "approve_with_conditions",
                                                                      ["Sign a DPA"])
    assert {e.gate for e in db.scalars(select(GateException))} == set(failed)
    assert db.scalar(select(ResponseAnswer.reviewer_points).where(ResponseAnswer.question_id == "access.notes")) == 0.5


def test_legal_signs_downloads_a_pdf_that_verifies_and_the_reviewer_cannot_sign(db, client, browser, integration,
                                                                                 taken, signing_key):
    from app.core import signing

    evidence(client, integration.vendor_id)
    admin = sign_in(db, browser, "admin")  # may review and sign, but not both on one assessment
    page = browser.get(f"/assessments/{taken}")
    reviewed = browser.post(f"/assessments/{taken}/review", data={
        "csrf_token": csrf_of(page), "decision": "approve", "reason": "Controls fit the data"}, follow_redirects=False)
    assert reviewed.status_code == 303, reviewed.text
    page = browser.get(f"/assessments/{taken}")
    assert "You cannot sign this assessment: You reviewed this assessment" in page.text
    assert "Sign record" not in page.text
    refused = browser.post(f"/assessments/{taken}/sign", data={"csrf_token": csrf_of(page)})
    assert refused.status_code == 403 and "someone else must sign it" in refused.context["sign_error"]
    assert db.get(Assessment, taken).signer_id is None and admin.id

    browser.cookies.clear()
    sign_in(db, browser, "legal")
    page = browser.get(f"/assessments/{taken}")
    assert "Sign record" in page.text and "Record decision" not in page.text
    signed = browser.post(f"/assessments/{taken}/sign", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert signed.status_code == 303, signed.text
    page = browser.get(f"/assessments/{taken}")
    assert page.context["state"] == "signed" and "Download signed record (PDF)" in page.text
    assert 'href="/records/verify"' in page.text and "riskreg records verify" in page.text

    record = browser.get(f"/assessments/{taken}/record.pdf")
    assert record.status_code == 200 and record.headers["content-type"] == "application/pdf"
    assert record.headers["content-disposition"].startswith(f'attachment; filename="assessment-{taken}-')
    assert record.headers["x-content-type-options"] == "nosniff"
    checked = signing.verify_pdf(record.content, trust_roots=signing.load_trust_roots(signing_key.ca_cert))
    assert checked.ok and checked.intact and checked.trusted and checked.covers_entire_file

    listing = browser.get("/assessments", params={"state": "signed"})
    assert [r.assessment.id for r in listing.context["listing"].items] == [taken]

    with TestClient(browser.app, raise_server_exceptions=False) as anyone:  # the verify page needs no sign-in
        form = anyone.get("/records/verify")
        assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
        result = anyone.post("/records/verify", data={"csrf_token": csrf_of(form)},
                             files={"file": ("record.pdf", record.content, "application/pdf")})
        assert result.status_code == 200 and result.context["result"].ok, result.text
        assert "This record verifies" in result.text and f'href="/assessments/{taken}"' in result.text
        tampered = anyone.post("/records/verify", data={"csrf_token": csrf_of(form)},
                               files={"file": ("record.pdf", record.content + b"\n% appended\n", "application/pdf")})
        assert tampered.status_code == 200 and "This record does not verify" in tampered.text
        assert tampered.context["result"].covers_entire_file is False


def test_the_verify_page_refuses_what_is_not_a_pdf(anonymous):
    form = anonymous.get("/records/verify")
    refused = anonymous.post("/records/verify", data={"csrf_token": csrf_of(form)},
                             files={"file": ("record.pdf", b"<html>not a record</html>", "application/pdf")})
    assert refused.status_code == 415 and refused.template.name == "assessments/verify.html"
    assert re.search(r'class="form-error"[^>]*>The file is not a PDF', refused.text)
    no_token = anonymous.post("/records/verify", files={"file": ("r.pdf", b"%PDF-1.7", "application/pdf")})
    assert no_token.status_code == 403
