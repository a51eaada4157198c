"""Vendor invite links: a plain form reaching one response and nothing else, self-attested answers, clear
pages for dead links, CSRF on the form, the secret shown once, every step audited."""

import hashlib
import re
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.core.db import utcnow
from app.questionnaires import service as questionnaire_service
from app.questionnaires.loader import load_dir
from app.responses.models import ResponseInvite
from tests.factories import make_integration, make_vendor
from tests.questionnaires.test_loader import GOOD
from tests.web.helpers import csrf_of

FORM = textwrap.dedent(
    """\
    key: vendorform
    version: 1
    title: Vendor form check
    sections:
      - id: hosting
        title: Hosting and access
        weight: 1
        questions:
          - id: hosting.mfa
            text: Is MFA enforced for staff?
            type: yes_no
            points: {yes: 1, no: 0}
          - id: hosting.model
            text: How is the service hosted?
            type: choice
            options:
              - {value: saas, label: Managed SaaS, points: 1}
              - {value: onprem, label: On premises, points: 0.5}
          - id: hosting.region_review
            text: Who reviews the hosting regions each year?
            type: text
            show_if: {question: hosting.model, in: [saas]}
      - id: ops
        title: Operations
        weight: 2
        questions:
          - id: ops.certs
            text: Which certifications do you hold?
            type: multi
            options:
              - {value: soc2, label: SOC 2 Type II, points: 1}
              - {value: iso, label: ISO 27001, points: 1}
              - {value: none, label: None yet, points: 0}
          - id: ops.rto
            text: What is your recovery time objective, in hours?
            type: number
            bands: [{max: 24, points: 1}, {points: 0}]
          - id: ops.last_test
            text: When did you last test a restore?
            type: date
            required: false
          - id: ops.pci
            text: Are you in scope for PCI DSS?
            type: yes_no
            na_allowed: true
            points: {yes: 1, no: 1}
          - id: ops.soc2_report
            text: Attach your SOC 2 Type II report.
            type: document
            required: false
            evidence: [soc2_type2]
    """
)
REQUIRED = ["hosting.mfa", "hosting.model", "ops.certs", "ops.rto", "ops.pci"]
COMPLETE = {
    "value:hosting.mfa": "yes", "value:hosting.model": "onprem", "value:ops.certs": ["soc2", "iso"],
    "value:ops.rto": "12", "na:ops.pci": "1", "na_reason:ops.pci": "We never see card data",
}
ALL_SHOWN = ["hosting.mfa", "hosting.model", "ops.certs", "ops.rto", "ops.last_test", "ops.pci"]


@pytest.fixture
def catalogue(db, tmp_path: Path):
    (tmp_path / "vendorform.v1.yaml").write_text(FORM)
    (tmp_path / "tiny.v1.yaml").write_text(GOOD)
    questionnaire_service.sync_catalogue(db, load_dir(tmp_path))
    db.commit()


def start(client, db, questionnaire: str = "vendorform", **vendor) -> int:
    integration = make_integration(db, make_vendor(db, **vendor), name="Payroll sync via private space 7")
    db.commit()
    response = client.post(f"/api/v1/integrations/{integration.id}/responses", json={"questionnaire": questionnaire})
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture
def response_id(client, db, catalogue) -> int:
    return start(client, db, name="Acme Hosting")


def invite(client, response_id: int, **body) -> dict:
    created = client.post(f"/api/v1/responses/{response_id}/invites", json=body)
    assert created.status_code == 201, created.text
    return created.json()


def answers_of(client, response_id: int) -> dict[str, dict]:
    body = client.get(f"/api/v1/responses/{response_id}").json()
    return {a["question_id"]: a for a in body["answers"]}


def send(vendor, url: str, fields: dict, *, action: str = "save", shown=ALL_SHOWN, **kwargs):
    """Open the form (for its CSRF cookie and token) and post `fields` as the browser would."""
    token = csrf_of(vendor.get(url))
    data = {"csrf_token": token, "action": action, "shown": list(shown), **fields}
    return vendor.post(url, data=data, **kwargs)


def fieldsets(html: str, *, hidden: bool = False) -> dict[str, str]:
    """Each question's <fieldset> the vendor sees, by question id (with `hidden`: the follow-up questions the
    page carries hidden and disabled for its script to show as answers change)."""
    found = re.finditer(r'<fieldset([^>]*)id="q-([^"]+)">(.*?)</fieldset>', html, re.S)
    return {m.group(2): m.group(3) for m in found if (" hidden disabled" in m.group(1)) == hidden}


def events(db, action: str, subject_id: int) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.action == action, AuditEvent.subject_type == "response",
                                    AuditEvent.subject_id == str(subject_id))
    return list(db.execute(stmt).scalars())


# --- the API ---


def test_creating_an_invite_shows_the_link_once_and_stores_only_its_hash(client, db, response_id):
    created = invite(client, response_id, email="security@acme.example.com", expires_in_days=7)
    secret = created["url"].removeprefix("/respond/")
    assert created["url"].startswith("/respond/") and len(secret) >= 40
    assert created["state"] == "active" and created["email"] == "security@acme.example.com"
    assert timedelta(days=6, hours=23) < _parse(created["expires_at"]) - utcnow() <= timedelta(days=7)
    row = db.get(ResponseInvite, created["id"])
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in row.token_hash

    listed = client.get(f"/api/v1/responses/{response_id}/invites")
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json()["items"]] == [created["id"]]
    revoked = client.post(f"/api/v1/invites/{created['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    for later in (listed, revoked, client.get(f"/api/v1/responses/{response_id}"),
                  client.get("/api/v1/audit", params={"subject_type": "response"})):
        assert secret not in later.text and "url" not in later.json()
    stored = " ".join(str(e.changes) for e in db.execute(select(AuditEvent)).scalars())
    assert secret not in stored


def _parse(value: str):
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.mark.parametrize("body", [{"expires_in_days": 0}, {"expires_in_days": 91}, {"email": "not an address"},
                                  {"expires_in_days": "7"}, {"response_id": 1}])
def test_bad_invite_requests_are_refused(client, response_id, body):
    assert client.post(f"/api/v1/responses/{response_id}/invites", json=body).status_code == 422


def test_invites_for_unknown_or_submitted_responses_are_refused(client, anonymous, response_id):
    assert client.post("/api/v1/responses/999999/invites", json={}).status_code == 404
    assert client.get("/api/v1/responses/999999/invites").status_code == 404
    assert client.post("/api/v1/invites/999999/revoke").status_code == 404
    url = invite(client, response_id)["url"]
    assert send(anonymous, url, COMPLETE, action="submit").status_code == 200
    refused = client.post(f"/api/v1/responses/{response_id}/invites", json={})
    assert refused.status_code == 409 and "submitted" in refused.json()["detail"]


def test_an_auditor_cannot_create_list_or_revoke_invites(client, auth_headers, response_id):
    made = invite(client, response_id)
    auditor = auth_headers("auditor")
    refused = client.post(f"/api/v1/responses/{response_id}/invites", json={}, headers=auditor)
    assert refused.status_code == 403 and refused.json()["error"] == "PermissionDenied"
    assert client.get(f"/api/v1/responses/{response_id}/invites", headers=auditor).status_code == 403
    assert client.post(f"/api/v1/invites/{made['id']}/revoke", headers=auditor).status_code == 403
    assert len(client.get(f"/api/v1/responses/{response_id}/invites").json()["items"]) == 1
    procurement = client.post(f"/api/v1/responses/{response_id}/invites", json={},
                              headers=auth_headers("procurement"))
    assert procurement.status_code == 201


# --- the vendor's form ---


def test_the_link_opens_a_plain_form_of_the_questionnaire(client, anonymous, response_id):
    url = invite(client, response_id, email="someone-else@acme.example.com")["url"]
    page = anonymous.get(url)
    assert page.status_code == 200 and page.template.name == "respond/form.html"
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    html = page.text
    assert "Acme Hosting" in html and "Vendor form check" in html
    assert "Hosting and access" in html and "Operations" in html
    by_id = fieldsets(html)
    assert list(by_id) == ["hosting.mfa", "hosting.model", "ops.certs", "ops.rto", "ops.last_test", "ops.pci",
                           "ops.soc2_report"]  # hosting.region_review is hidden until the model is saas
    assert list(fieldsets(html, hidden=True)) == ["hosting.region_review"]  # carried, hidden and disabled
    assert 'data-show-if="hosting.model" data-show-if-in="saas"' in html
    assert "Is MFA enforced for staff?" in by_id["hosting.mfa"]
    assert by_id["hosting.mfa"].count('type="radio"') == 3  # yes, no, no answer yet
    assert 'type="radio" name="value:hosting.model" value="saas"' in by_id["hosting.model"]
    assert by_id["ops.certs"].count('type="checkbox" name="value:ops.certs"') == 3
    assert 'type="number"' in by_id["ops.rto"] and 'type="date"' in by_id["ops.last_test"]
    assert 'name="na:ops.pci"' in by_id["ops.pci"] and 'name="na_reason:ops.pci"' in by_id["ops.pci"]
    assert not any('name="na:' in chunk for qid, chunk in by_id.items() if qid != "ops.pci")
    assert "Our team will attach the document" in by_id["ops.soc2_report"]
    assert "<input" not in by_id["ops.soc2_report"] and "<textarea" not in by_id["ops.soc2_report"]
    assert all('name="comment:' in chunk for qid, chunk in by_id.items() if qid != "ops.soc2_report")
    assert "0</strong> of <strong>5</strong> required" in html
    assert 'value="save"' in html and 'value="submit"' in html
    assert '<script src="/static/js/questionnaire.js" defer></script>' in html  # no inline script: the CSP holds
    # Nothing about the integration or who was invited.
    assert "Payroll sync" not in html and "someone-else@" not in html and "Customer support" not in html


def test_saving_stores_self_attested_answers_whatever_the_form_claims(client, anonymous, db, response_id):
    made = invite(client, response_id)
    url = made["url"]
    saved = send(anonymous, url, {
        "value:hosting.mfa": "yes", "value:hosting.model": "saas", "value:ops.certs": ["iso", "soc2"],
        "value:ops.rto": "12.5", "value:ops.last_test": "2026-03-01", "comment:hosting.mfa": "Via our IdP",
        "evidence": "independent", "evidence:hosting.mfa": "independent", "answered_by": "ceo@acme.example.com",
    }, params={"evidence": "independent"})
    assert saved.status_code == 200, saved.text
    assert "Your answers were saved" in saved.text
    stored = answers_of(client, response_id)
    assert set(stored) == {"hosting.mfa", "hosting.model", "ops.certs", "ops.rto", "ops.last_test"}
    assert {a["evidence"] for a in stored.values()} == {"self_attested"}
    assert {a["answered_by"] for a in stored.values()} == {f"vendor via invite {made['id']}"}
    assert stored["ops.certs"]["value"] == ["soc2", "iso"] and stored["ops.rto"]["value"] == 12.5
    assert stored["hosting.mfa"]["comment"] == "Via our IdP"
    # The follow-up question appears once the answer that shows it is saved, prefilled answers with it.
    by_id = fieldsets(saved.text)
    assert "hosting.region_review" in by_id
    assert 'value="saas" checked' in by_id["hosting.model"] and 'value="12.5"' in by_id["ops.rto"]
    assert "4</strong> of <strong>6</strong> required" in saved.text  # region_review now counts
    assert events(db, "response.answers_saved", response_id)[-1].actor == f"vendor via invite {made['id']}"

    hidden_again = send(anonymous, url, {"value:hosting.mfa": "yes", "value:hosting.model": "onprem"},
                        shown=["hosting.mfa", "hosting.model"])
    assert "hosting.region_review" not in fieldsets(hidden_again.text)
    assert "hosting.region_review" in fieldsets(hidden_again.text, hidden=True)


def test_an_answer_the_vendor_leaves_alone_keeps_its_evidence(client, anonymous, response_id):
    put = client.put(f"/api/v1/responses/{response_id}/answers", json={"answers": [
        {"question_id": "ops.rto", "value": 4, "evidence": "independent", "compensating_control": "Hot standby"},
        {"question_id": "hosting.mfa", "value": "no", "evidence": "document"},
    ]})
    assert put.status_code == 200, put.text
    url = invite(client, response_id)["url"]
    page = anonymous.get(url)
    assert 'value="4"' in fieldsets(page.text)["ops.rto"]  # prefilled with the current answer
    assert send(anonymous, url, {"value:ops.rto": "4", "value:hosting.mfa": "yes"}).status_code == 200
    stored = answers_of(client, response_id)
    assert stored["ops.rto"]["evidence"] == "independent" and stored["ops.rto"]["answered_by"].endswith("riskreg.test")
    assert stored["hosting.mfa"]["value"] == "yes" and stored["hosting.mfa"]["evidence"] == "self_attested"


@pytest.mark.parametrize(
    ("fields", "question", "fragment"),
    [
        ({"value:ops.rto": "twelve"}, "ops.rto", "Enter a number"),
        ({"value:ops.rto": "1e400"}, "ops.rto", "Send a number"),
        ({"value:hosting.model": "cloud"}, "hosting.model", "Choose one of onprem, saas"),
        ({"value:ops.certs": ["soc2", "pci"]}, "ops.certs", "Each option once"),
        ({"value:ops.last_test": "yesterday"}, "ops.last_test", "YYYY-MM-DD"),
        ({"na:ops.pci": "1"}, "ops.pci", "N/A needs a reason"),
        ({"comment:ops.rto": "ask me"}, "ops.rto", "so your comment can be saved"),
        ({"value:hosting.mfa": "yes", "comment:hosting.mfa": "x" * 4001}, "hosting.mfa", "Comment: use at most 4000"),
        ({"value:hosting.mfa": "yes\x00"}, "hosting.mfa", "control characters"),
    ],
)
def test_a_bad_answer_is_shown_next_to_its_field_and_nothing_is_saved(client, anonymous, response_id, fields,
                                                                       question, fragment):
    url = invite(client, response_id)["url"]
    refused = send(anonymous, url, {"value:hosting.model": "saas", **fields})
    assert refused.status_code == 422
    assert fragment in fieldsets(refused.text)[question], fieldsets(refused.text)[question]
    assert 'class="field-error"' not in "".join(c for q, c in fieldsets(refused.text).items() if q != question)
    assert answers_of(client, response_id) == {}


def test_submit_with_missing_answers_lists_them_by_field_and_stores_nothing(client, anonymous, db, response_id):
    url = invite(client, response_id)["url"]
    refused = send(anonymous, url, {"value:hosting.mfa": "yes", "value:hosting.model": "saas"}, action="submit")
    assert refused.status_code == 422
    by_id = fieldsets(refused.text)
    for qid in ["hosting.region_review", "ops.certs", "ops.rto", "ops.pci"]:  # region_review: shown by saas
        assert "needs an answer before you submit" in by_id[qid], qid
    for qid in ["hosting.mfa", "hosting.model", "ops.last_test"]:
        assert "field-error" not in by_id[qid], qid
    assert 'value="saas" checked' in by_id["hosting.model"]  # what the vendor typed is kept on the page
    assert answers_of(client, response_id) == {}  # nothing half: not even the two good answers
    assert client.get(f"/api/v1/responses/{response_id}").json()["status"] == "draft"
    assert events(db, "response.answers_saved", response_id) == []


def test_submit_when_complete_submits_and_thanks_the_vendor(client, anonymous, db, response_id):
    made = invite(client, response_id)
    url, vendor = made["url"], f"vendor via invite {made['id']}"
    token = csrf_of(anonymous.get(url))  # a second tab, still open after the submit
    done = send(anonymous, url, COMPLETE, action="submit")
    assert done.status_code == 200, done.text
    assert done.template.name == "respond/closed.html" and "Thank you" in done.text
    assert done.headers["referrer-policy"] == "no-referrer"
    body = client.get(f"/api/v1/responses/{response_id}").json()
    assert body["status"] == "submitted" and body["submitted_by"] == vendor and body["missing"] == []
    assert {a["question_id"]: a["na"] for a in body["answers"]}["ops.pci"] is True
    assert {e.actor for e in events(db, "response.submitted", response_id)} == {vendor}

    again = anonymous.get(url)
    assert again.status_code == 409 and "was submitted on" in again.text and "Thank you" in again.text
    late = anonymous.post(url, data={"csrf_token": token, "action": "save", "shown": ["hosting.mfa"],
                                     "value:hosting.mfa": "no"})
    assert late.status_code == 409 and late.template.name == "respond/closed.html"
    assert answers_of(client, response_id)["hosting.mfa"]["value"] == "yes"


def test_the_link_cannot_read_or_write_another_response(client, anonymous, db, catalogue):
    ours = start(client, db, name="Acme Hosting")
    same_questionnaire = start(client, db, name="Globex Storage")
    other_questionnaire = start(client, db, "tiny", name="Initech Mail")
    assert client.put(f"/api/v1/responses/{same_questionnaire}/answers", json={"answers": [
        {"question_id": "hosting.mfa", "value": "no", "comment": "GLOBEX-PRIVATE-NOTE"}]}).status_code == 200
    assert client.put(f"/api/v1/responses/{other_questionnaire}/answers", json={"answers": [
        {"question_id": "access.mfa", "value": "yes", "evidence": "independent"}]}).status_code == 200
    before = {rid: answers_of(client, rid) for rid in (same_questionnaire, other_questionnaire)}
    url = invite(client, ours)["url"]
    invite(client, same_questionnaire, email="ops@globex.example.com")

    page = anonymous.get(url, params={"response_id": same_questionnaire})
    assert page.status_code == 200
    for foreign in ("Globex", "GLOBEX-PRIVATE-NOTE", "Initech", "Is MFA enforced?", "ops@globex"):
        assert foreign not in page.text
    assert 'value="no" checked' not in fieldsets(page.text)["hosting.mfa"]

    # Another questionnaire's question ids, other responses' ids in every field and in the query string.
    token = csrf_of(page)
    hostile = anonymous.post(url, params={"response_id": other_questionnaire, "invite_id": 1}, data={
        "csrf_token": token, "action": "save", "shown": ["access.mfa", "access.model", "hosting.mfa"],
        "value:access.mfa": "no", "value:access.model": "onprem", "value:hosting.mfa": "yes",
        "response_id": str(same_questionnaire), "response": str(other_questionnaire),
        "question_id": "access.mfa", "secret": "x",
    })
    assert hostile.status_code == 200, hostile.text
    assert {rid: answers_of(client, rid) for rid in before} == before
    assert set(answers_of(client, ours)) == {"hosting.mfa"}
    # Submitting through our link submits ours only.
    assert send(anonymous, url, COMPLETE, action="submit").status_code == 200
    assert client.get(f"/api/v1/responses/{same_questionnaire}").json()["status"] == "draft"
    assert client.get(f"/api/v1/responses/{other_questionnaire}").json()["status"] == "draft"
    # The secret is no API token either.
    secret = url.removeprefix("/respond/")
    assert anonymous.get(f"/api/v1/responses/{ours}", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_a_revoked_link_says_so_with_410_and_changes_nothing(client, anonymous, db, response_id):
    made = invite(client, response_id)
    url = made["url"]
    token = csrf_of(anonymous.get(url))
    assert client.post(f"/api/v1/invites/{made['id']}/revoke").status_code == 200
    assert client.post(f"/api/v1/invites/{made['id']}/revoke").status_code == 200  # twice: still revoked
    page = anonymous.get(url)
    assert page.status_code == 410 and "This link was revoked" in page.text
    assert page.template.name == "respond/unavailable.html" and "Acme" not in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    late = anonymous.post(url, data={"csrf_token": token, "shown": ["hosting.mfa"], "value:hosting.mfa": "yes"})
    assert late.status_code == 410 and answers_of(client, response_id) == {}
    assert len(events(db, "response.invite_revoked", response_id)) == 1


def test_an_expired_link_says_when_and_whom_to_ask(client, anonymous, db, response_id):
    made = invite(client, response_id)
    row = db.get(ResponseInvite, made["id"])
    row.expires_at = utcnow() - timedelta(days=3)
    db.commit()
    page = anonymous.get(made["url"])
    assert page.status_code == 410
    day = row.expires_at
    assert f"This link expired on {day.day} {day:%B %Y}; ask User " in page.text and "for a new one" in page.text
    listed = client.get(f"/api/v1/responses/{response_id}/invites").json()["items"]
    assert listed[0]["state"] == "expired"


def test_a_link_for_a_retired_integration_no_longer_works(client, anonymous, db, response_id):
    from app.responses.models import Response

    made = invite(client, response_id)
    integration_id = db.get(Response, response_id).integration_id
    vendor_id = client.get(f"/api/v1/integrations/{integration_id}").json()["vendor_id"]
    assert client.post(f"/api/v1/vendors/{vendor_id}/offboard", json={"reason": "contract ended"}).status_code == 200
    page = anonymous.get(made["url"])
    assert page.status_code == 410 and "no longer needed" in page.text


@pytest.mark.parametrize("secret", ["nope", "rr_" + "A" * 43, "x" * 5000, "%00"])
def test_an_unknown_link_is_a_clear_404(anonymous, catalogue, secret):
    page = anonymous.get(f"/respond/{secret}")
    assert page.status_code == 404 and "This link is not valid" in page.text
    assert page.headers["cache-control"] == "no-store" and "Traceback" not in page.text


def test_a_cross_site_post_without_csrf_is_refused(client, anonymous, response_id):
    url = invite(client, response_id)["url"]
    token = csrf_of(anonymous.get(url))
    fields = {"shown": ["hosting.mfa"], "value:hosting.mfa": "yes", "action": "save"}
    cross_site = anonymous.post(url, data=fields, headers={"Origin": "https://evil.example",
                                                           "Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403 and "nothing was changed" in cross_site.text
    assert cross_site.headers["referrer-policy"] == "no-referrer"
    assert anonymous.post(url, data=fields).status_code == 403  # same site, but no token
    with_token_cross_site = anonymous.post(url, data={**fields, "csrf_token": token},
                                           headers={"Origin": "https://evil.example"})
    assert with_token_cross_site.status_code == 403
    assert answers_of(client, response_id) == {}


def test_vendor_text_is_shown_literally(client, anonymous, db, catalogue):
    rid = start(client, db, name="<script>alert(1)</script> {{7*7}}")
    url = invite(client, rid)["url"]
    saved = send(anonymous, url, {"value:hosting.mfa": "yes", "comment:hosting.mfa": "<b>bold</b> {{ 7*7 }}"})
    assert saved.status_code == 200
    assert "<script>alert(1)</script>" not in saved.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in saved.text
    assert "&lt;b&gt;bold&lt;/b&gt; {{ 7*7 }}" in saved.text and "&lt;script&gt;alert(1)&lt;/script&gt; {{7*7}}" in saved.text


def test_every_step_is_audited(client, anonymous, db, response_id):
    first = invite(client, response_id, email="a@acme.example.com")
    second = invite(client, response_id)
    vendor = f"vendor via invite {second['id']}"
    assert send(anonymous, second["url"], {"value:hosting.mfa": "yes"}).status_code == 200
    assert send(anonymous, second["url"], COMPLETE, action="submit").status_code == 200
    assert client.post(f"/api/v1/invites/{first['id']}/revoke").status_code == 200
    created = events(db, "response.invite_created", response_id)
    assert [e.changes["invite_id"]["after"] for e in created] == [first["id"], second["id"]]
    assert created[0].changes["email"]["after"] == "a@acme.example.com" and created[0].actor_type == "user"
    assert {e.actor for e in events(db, "response.answers_saved", response_id)} == {vendor}
    assert [e.actor for e in events(db, "response.submitted", response_id)] == [vendor]
    revoked = events(db, "response.invite_revoked", response_id)
    assert [e.changes["invite_id"]["after"] for e in revoked] == [first["id"]]


def test_a_long_questionnaires_form_is_not_cut_off_by_the_default_field_cap(client, anonymous, response_id):
    # Four or five fields a question: a few hundred questions pass Starlette's default of 1,000 fields.
    url = invite(client, response_id)["url"]
    padding = {f"comment:unknown.q{n}": "" for n in range(1500)}
    saved = send(anonymous, url, {"value:hosting.mfa": "yes", **padding})
    assert saved.status_code == 200, saved.text[:300]
    assert answers_of(client, response_id)["hosting.mfa"]["value"] == "yes"


def test_the_request_log_never_carries_the_invite_secret(anonymous, caplog):
    import logging

    secret = "rr_not-a-real-secret-but-logged-if-paths-were"
    with caplog.at_level(logging.INFO, logger="riskreg.request"):
        anonymous.get(f"/respond/{secret}")
    lines = [r for r in caplog.records if r.name == "riskreg.request"]
    assert lines and all(secret not in str(vars(r)) for r in lines)
    assert lines[-1].path == "/respond/{secret}"
