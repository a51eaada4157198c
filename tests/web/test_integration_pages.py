"""The integration page (data flows, gates, score by section and question, findings) and the form that
records a SaaS or API integration of a vendor."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.integrations.models import Integration
from app.questionnaires import service as questionnaire_service
from app.questionnaires.loader import load_dir
from app.responses import service as response_service
from app.responses.schemas import AnswerIn
from tests.factories import TEST_ACTOR, make_integration, make_user, make_vendor
from tests.questionnaires.test_loader import GOOD
from tests.web.helpers import PASSWORD, csrf_of, post_login


@pytest.fixture
def signed_in(db, anonymous):
    def sign_in(role: str):
        user = make_user(db, role=role, password=PASSWORD)
        db.commit()
        assert post_login(anonymous, user.email).status_code == 303
        return user

    return sign_in


@pytest.fixture
def scored_integration(db, tmp_path: Path):
    """A SaaS integration sending customer data to the US, with one response: MFA "no" (a knock-out) and
    an on-premises answer worth half its points."""
    (tmp_path / "tiny.v1.yaml").write_text(GOOD)
    questionnaire_service.sync_catalogue(db, load_dir(tmp_path))
    integration = make_integration(db, name="Zendesk support desk", transfer_countries=["US"],
                                   data_filtering="Only ticket subject and requester e-mail are synced")
    response = response_service.start_response(db, actor=TEST_ACTOR, integration_id=integration.id, key="tiny",
                                               version=None)
    response_service.save_answers(db, response.id, actor=TEST_ACTOR, answered_by="tests", answers=[
        AnswerIn(question_id="access.mfa", value="no"), AnswerIn(question_id="access.model", value="onprem")])
    db.commit()
    return integration, response


def test_the_integration_page_shows_flows_gates_score_and_findings(anonymous, signed_in, scored_integration):
    integration, response = scored_integration
    signed_in("auditor")
    page = anonymous.get(f"/integrations/{integration.id}")
    assert page.status_code == 200, page.text
    assert page.template.name == "integrations/detail.html"
    assert "Only ticket subject and requester e-mail are synced" in page.text
    assert "Customer personal data" in page.text  # the category with its explanation
    gates = {g.check.id: g.status for g in page.context["gates"]}
    assert gates == {"policy.gdpr.dpa": "failed", "policy.gdpr.transfer": "failed"}
    assert "upload the signed DPA" in page.text
    [scored] = page.context["scored"]
    assert scored.response.id == response.id and scored.result.verdict == "blocked"
    assert {f.question_id for f in scored.result.findings} == {"access.mfa", "access.model"}
    assert "MFA is required." in page.text and "Enforce MFA." in page.text  # a finding with its remediation
    assert "Is MFA enforced?" in page.text and "Self-attested" in page.text  # the breakdown, with evidence
    assert f'href="/responses/{response.id}"' in page.text and f'href="/vendors/{integration.vendor_id}"' in page.text
    assert "Start questionnaire" not in page.text  # auditors read, they do not start responses
    assert "Take an assessment" not in page.text
    missing = anonymous.get("/integrations/999999")
    assert missing.status_code == 404 and "No integration with id 999999" in missing.text
    assert anonymous.get(f"/vendors/{integration.vendor_id}/integrations/new").status_code == 403


def test_procurement_can_start_a_questionnaire_and_sees_the_api_s_score(client, anonymous, signed_in,
                                                                         scored_integration):
    integration, response = scored_integration
    signed_in("procurement")
    page = anonymous.get(f"/integrations/{integration.id}")
    assert f'action="/integrations/{integration.id}/responses"' in page.text and 'name="questionnaire" value="tiny"' in page.text
    assert f'action="/integrations/{integration.id}/assessments"' in page.text
    [scored] = page.context["scored"]
    api = client.get(f"/api/v1/responses/{response.id}/score").json()
    assert scored.result.assurance == api["assurance"] and scored.result.inputs_hash == api["inputs_hash"]


def _form(page, **fields):
    return {"csrf_token": csrf_of(page), "name": "Zendesk", "kind": "saas", "purpose": "Support desk",
            "data_categories": ["customer_personal", "business_contact"], "access": "read", "volume": "lt_100k",
            "data_filtering": "Only subject and e-mail", "fields_shared": "email, subject",
            "transfer_countries": "us, ie", "business_criticality": "medium", "substitutability": "easy"} | fields


def test_recording_an_integration_redirects_to_its_page_and_a_refusal_shows_the_form_again(db, anonymous, signed_in):
    vendor = make_vendor(db)
    db.commit()
    signed_in("engineer")
    form = anonymous.get(f"/vendors/{vendor.id}/integrations/new")
    assert form.status_code == 200 and form.template.name == "integrations/new.html"
    assert "Special category data (GDPR Art. 9)" in form.text and "Health, ethnicity" in form.text
    posted = anonymous.post(f"/vendors/{vendor.id}/integrations/new", data=_form(
        form, name="", transfer_countries="US, Atlantis"))
    assert posted.status_code == 422
    errors = posted.context["errors"]
    assert errors["name"] == "Required."
    assert "item 2" in errors["transfer_countries"]
    assert 'id="name-error"' in posted.text and 'aria-describedby="name-help name-error"' in posted.text
    assert posted.context["values"]["purpose"] == "Support desk"  # what was typed is kept
    mixed = anonymous.post(f"/vendors/{vendor.id}/integrations/new", data=_form(form, data_categories=["none", "phi"]))
    assert mixed.status_code == 422 and "'none' cannot be combined" in mixed.context["errors"]["data_categories"]
    assert db.scalar(select(func.count()).select_from(Integration).where(Integration.vendor_id == vendor.id)) == 0
    posted = anonymous.post(f"/vendors/{vendor.id}/integrations/new", data=_form(form), follow_redirects=False)
    assert posted.status_code == 303, posted.text
    stored = db.scalars(select(Integration).where(Integration.vendor_id == vendor.id)).one()
    assert posted.headers["location"] == f"/integrations/{stored.id}"
    assert stored.transfer_countries == ["US", "IE"] and stored.fields_shared == ["email", "subject"]
    assert stored.data_categories == ["customer_personal", "business_contact"] and stored.inherent_tier == "medium"


def test_the_integrations_list_filters_like_the_heatmap_links(anonymous, signed_in, db):
    vendor = make_vendor(db, name="Payroll Co")
    high = make_integration(db, vendor=vendor, name="Payroll export", data_categories=["financial", "phi"])
    low = make_integration(db, vendor=vendor, name="Status page", data_categories=["none"])
    db.commit()
    signed_in("auditor")
    everything = anonymous.get("/integrations")
    assert everything.status_code == 200 and everything.template.name == "integrations/list.html"
    assert {i.id for i in everything.context["integrations"]} >= {high.id, low.id}
    assert ">Payroll Co</a>" in everything.text  # the vendor, by name, linked

    cell = anonymous.get("/integrations", params={"tier": high.inherent_tier, "status": high.status})
    assert cell.status_code == 200
    shown = {i.id for i in cell.context["integrations"]}
    assert high.id in shown and low.id not in shown
    assert f'value="{high.inherent_tier}" selected' in cell.text

    odd = anonymous.get("/integrations", params={"tier": "extreme", "q": "Payroll"})
    assert odd.status_code == 200 and "&#39;extreme&#39; is not a tier; showing all." in odd.text
    assert [i.id for i in odd.context["integrations"]] == [high.id]
