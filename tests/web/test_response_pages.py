"""The internal questionnaire form (/responses/{id}): start, save a draft, follow-up questions, submit (refused
with the missing answers listed, then done), and vendor links shown once, working, and revoked."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.auth.models import User, WebSession
from app.core.db import utcnow
from app.core.security import new_token, token_hash
from app.questionnaires import service as questionnaire_service
from app.questionnaires.loader import load_dir
from app.responses.models import Response, ResponseAnswer, ResponseInvite
from app.web.deps import SESSION_COOKIE
from tests.factories import make_integration, make_user, make_vendor
from tests.responses.test_invites import COMPLETE, FORM, fieldsets
from tests.web.helpers import csrf_of


@pytest.fixture
def catalogue(db, tmp_path: Path):
    (tmp_path / "vendorform.v1.yaml").write_text(FORM)
    questionnaire_service.sync_catalogue(db, load_dir(tmp_path))
    db.commit()


def sign_in(db, client: TestClient, role: str = "admin", *, user: User | None = None) -> User:
    """A browser session for `user` (default: a new user of `role`), made directly: the sign-in form, with
    its deliberately slow password hash, is tested in test_sign_in.py."""
    user = user or make_user(db, role=role)
    secret = new_token()
    db.add(WebSession(user_id=user.id, token_hash=token_hash(secret), expires_at=utcnow() + timedelta(hours=1)))
    db.commit()
    client.cookies.set(SESSION_COOKIE, secret)
    return user


@pytest.fixture
def started(db, anonymous, catalogue) -> tuple[int, int]:
    """Procurement, signed in, has started the questionnaire for an integration: (integration id, response id)."""
    integration = make_integration(db, make_vendor(db, name="Acme Hosting", contacts=[
        {"name": "Ana", "email": "security@acme.example.com", "role": "security"}]))
    db.commit()
    sign_in(db, anonymous, "procurement")
    token = csrf_of(anonymous.get("/records/verify"))
    made = anonymous.post(f"/integrations/{integration.id}/responses",
                          data={"questionnaire": "vendorform", "csrf_token": token}, follow_redirects=False)
    assert made.status_code == 303, made.text
    assert made.headers["location"].startswith("/responses/")
    return integration.id, int(made.headers["location"].rsplit("/", 1)[1])


def post_form(client: TestClient, response_id: int, fields: dict, *, action: str = "save", shown=None):
    page = client.get(f"/responses/{response_id}")
    shown = shown if shown is not None else re.findall(r'name="shown" value="([^"]+)"', page.text)
    return client.post(f"/responses/{response_id}", data={
        "csrf_token": csrf_of(page), "action": action, "shown": shown, **fields}, follow_redirects=False)


def stored(db, response_id: int) -> dict[str, ResponseAnswer]:
    db.expire_all()
    rows = db.scalars(select(ResponseAnswer).where(ResponseAnswer.response_id == response_id))
    return {row.question_id: row for row in rows}


def test_an_unknown_questionnaire_is_refused_on_a_page_that_offers_the_list(db, anonymous, started):
    integration_id, _ = started
    token = csrf_of(anonymous.get("/records/verify"))
    refused = anonymous.post(f"/integrations/{integration_id}/responses",
                             data={"questionnaire": "no-such-thing", "csrf_token": token})
    assert refused.status_code == 404 and refused.template.name == "responses/start.html"
    assert "No questionnaire no-such-thing" in refused.text and 'value="vendorform"' in refused.text
    assert db.scalar(select(func.count()).select_from(Response)) == 1


def test_save_draft_keeps_the_evidence_and_a_hidden_follow_up_is_not_required(db, anonymous, started):
    _, rid = started
    page = anonymous.get(f"/responses/{rid}")
    assert page.status_code == 200 and page.template.name == "responses/form.html"
    assert '<script src="/static/js/questionnaire.js" defer></script>' in page.text
    follow_up = re.search(r'<fieldset[^>]*id="q-hosting.region_review">', page.text).group(0)
    # On the page for the script, hidden and disabled (posts nothing) until hosting.model is saas.
    assert 'data-show-if="hosting.model"' in follow_up and 'data-show-if-in="saas"' in follow_up
    assert " hidden disabled" in follow_up and "data-live" in follow_up
    assert "0</strong> of <strong>5</strong> required" in page.text
    assert 'href="/vendors/' in fieldsets(page.text)["ops.soc2_report"]  # the vendor page's upload form

    draft = {"value:hosting.mfa": "yes", "evidence:hosting.mfa": "document", "value:hosting.model": "onprem",
             "value:ops.rto": "4", "control:ops.rto": "Warm standby in a second region"}
    saved = post_form(anonymous, rid, draft)
    assert saved.status_code == 303 and saved.headers["location"] == f"/responses/{rid}"
    answers = stored(db, rid)
    assert set(answers) == {"hosting.mfa", "hosting.model", "ops.rto"}
    assert answers["hosting.mfa"].evidence == "document" and answers["ops.rto"].value == 4
    assert answers["ops.rto"].compensating_control == "Warm standby in a second region"
    page = anonymous.get(f"/responses/{rid}")
    assert "Draft saved." in page.text and "3</strong> of <strong>5</strong> required" in page.text
    assert "2 of 2 required answered (complete)" in page.text  # the first section
    # Submitting now lists what is missing: the follow-up is not among them (onprem hides it).
    refused = post_form(anonymous, rid, draft, action="submit")
    assert refused.status_code == 422
    missing = re.findall(r'<li><a href="#q-([^"]+)">', refused.text)
    assert missing == ["ops.certs", "ops.pci"]
    assert "Nothing was saved." in refused.text


def test_a_refused_submit_lists_the_missing_answers_and_saves_nothing(db, anonymous, started):
    _, rid = started
    refused = post_form(anonymous, rid, {"value:hosting.mfa": "yes", "value:hosting.model": "saas"}, action="submit")
    assert refused.status_code == 422
    missing = re.findall(r'<li><a href="#q-([^"]+)">[^<]*</a>: This question needs an answer', refused.text)
    assert missing == ["hosting.region_review", "ops.certs", "ops.rto", "ops.pci"]  # the follow-up is shown by saas
    by_id = fieldsets(refused.text)
    assert 'value="saas" checked' in by_id["hosting.model"]  # what was typed is kept
    assert stored(db, rid) == {}
    assert db.get(Response, rid).status == "draft"


def test_submit_then_the_score_and_the_way_to_security(db, anonymous, started):
    integration_id, rid = started
    done = post_form(anonymous, rid, COMPLETE, action="submit")
    assert done.status_code == 303, done.text
    db.expire_all()
    response = db.get(Response, rid)
    assert response.status == "submitted" and response.submitted_by.endswith("@riskreg.test")
    page = anonymous.get(f"/responses/{rid}")
    assert page.context["submitted"] and page.context["score"] is not None
    assert "Assurance" in page.text and f'href="/integrations/{integration_id}"' in page.text
    assert f'action="/integrations/{integration_id}/assessments"' in page.text  # Send for security review
    assert 'value="save"' not in page.text and "<script" not in page.text
    late = post_form(anonymous, rid, {"value:hosting.mfa": "no"}, shown=["hosting.mfa"])
    assert late.status_code == 409 and stored(db, rid)["hosting.mfa"].value == "yes"


def test_an_invite_link_is_shown_once_works_for_the_vendor_and_can_be_revoked(db, anonymous, app, started):
    _, rid = started
    page = anonymous.get(f"/responses/{rid}")
    assert 'value="security@acme.example.com"' in page.text  # the vendor's contacts are offered
    bad = anonymous.post(f"/responses/{rid}/invites", data={
        "csrf_token": csrf_of(page), "email": "not an address", "expires_in_days": "200"})
    assert bad.status_code == 422 and bad.context["invite_errors"].keys() == {"email", "expires_in_days"}
    assert db.scalar(select(func.count()).select_from(ResponseInvite)) == 0

    created = anonymous.post(f"/responses/{rid}/invites", data={
        "csrf_token": csrf_of(page), "email": "security@acme.example.com", "expires_in_days": "7"})
    assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    url = re.search(r'<input id="invite-link" type="text" readonly value="([^"]+)"', created.text).group(1)
    secret = url.rsplit("/respond/", 1)[1]
    assert url.startswith("http://testserver/respond/") and "riskreg_flash" not in created.headers.get("set-cookie", "")
    again = anonymous.get(f"/responses/{rid}")
    assert secret not in again.text and "Invite " in again.text and "active" in again.text

    with TestClient(app, raise_server_exceptions=False) as vendor:
        form = vendor.get(f"/respond/{secret}")
        assert form.status_code == 200 and form.template.name == "respond/form.html"
        saved = vendor.post(f"/respond/{secret}", data={"csrf_token": csrf_of(form), "action": "save",
                                                         "shown": ["hosting.mfa"], "value:hosting.mfa": "no"})
        assert saved.status_code == 200 and stored(db, rid)["hosting.mfa"].evidence == "self_attested"

        invite_id = db.scalar(select(ResponseInvite.id).where(ResponseInvite.response_id == rid))
        revoked = anonymous.post(f"/invites/{invite_id}/revoke", data={"csrf_token": csrf_of(again)},
                                 follow_redirects=False)
        assert revoked.status_code == 303 and revoked.headers["location"] == f"/responses/{rid}#invites"
        assert vendor.get(f"/respond/{secret}").status_code == 410
    assert "revoked" in anonymous.get(f"/responses/{rid}").text


def test_an_auditor_reads_the_form_but_cannot_save_or_invite(db, anonymous, app, started):
    _, rid = started
    with TestClient(app, raise_server_exceptions=False) as auditor:
        sign_in(db, auditor, "auditor")
        page = auditor.get(f"/responses/{rid}")
        assert page.status_code == 200 and 'value="save"' not in page.text and "Create invite link" not in page.text
        token = csrf_of(page)
        assert auditor.post(f"/responses/{rid}", data={"csrf_token": token, "shown": ["hosting.mfa"],
                                                       "value:hosting.mfa": "yes"}).status_code == 403
        assert auditor.post(f"/responses/{rid}/invites", data={"csrf_token": token}).status_code == 403
    assert stored(db, rid) == {}
