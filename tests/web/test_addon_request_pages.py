"""Add-on requests in the browser: the form's gates preview (with and without JavaScript), submitting,
refusals shown next to the fields, and security's decision form."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.heroku import importer
from app.heroku.estate import AppFacts, Estate, PlanFacts, SpaceFacts
from app.heroku.models import GateException
from app.integrations.models import Integration
from tests.factories import TEST_ACTOR, make_user
from tests.web.helpers import PASSWORD, csrf_of, post_login

SHIELD_APP, WEB_APP = "acme-records", "acme-web"
ESSENTIAL, SHIELD = "heroku-postgresql:essential-0", "heroku-postgresql:shield-0"


@pytest.fixture
def catalogue(db):
    estate = Estate(source="api")
    estate.spaces = {"acme-shield": SpaceFacts("acme-shield", heroku_id="sp-1", shield=True)}
    estate.apps = {
        WEB_APP: AppFacts(WEB_APP, heroku_id="app-1", space=None, space_known=True, shield=False),
        SHIELD_APP: AppFacts(SHIELD_APP, heroku_id="app-2", space="acme-shield", space_known=True, shield=True),
    }
    estate.plans = {p.name: p for p in (
        PlanFacts(ESSENTIAL, compliance=(), installable_inside_private_network=False),
        PlanFacts(SHIELD, compliance=("HIPAA", "PCI"), installable_inside_private_network=True),
    )}
    importer.apply_estate(db, estate, actor=TEST_ACTOR)
    db.commit()


@pytest.fixture
def sign_in(db, anonymous):
    def signed_in(role: str):
        user = make_user(db, role=role, password=PASSWORD)
        db.commit()
        assert post_login(anonymous, user.email).status_code == 303
        return user

    return signed_in


def requests_stored(db) -> int:
    return db.scalar(select(func.count()).select_from(Integration))


def fields(page, **overrides):
    return {"csrf_token": csrf_of(page), "app": SHIELD_APP, "plan": ESSENTIAL, "data_categories": ["logs_telemetry"],
            "purpose": "Reporting database", "data_filtering": "Only aggregated counts", "fields_shared": "day, count",
            "access": "write", "volume": "lt_100k", "business_criticality": "medium", "substitutability": "easy",
            "transfer_countries": "", "name": ""} | overrides


def test_the_preview_shows_a_shield_app_blocked_then_clear_once_the_plan_changes(db, anonymous, sign_in, catalogue):
    sign_in("engineer")
    form = anonymous.get("/addon-requests/new")
    assert form.status_code == 200 and form.template.name == "addon_requests/new.html"
    assert f"{SHIELD_APP} — Shield space acme-shield" in form.text  # the app with its space
    assert f"{SHIELD} — compliance: HIPAA, PCI; installs in private spaces" in form.text  # the plan with its flags
    assert "Health data tied to a patient" in form.text  # each category explained
    assert 'aria-live="polite"' in form.text and "/static/js/addon-request.js" in form.text
    before = requests_stored(db)

    blocked = anonymous.post("/addon-requests/preview", data=fields(form))  # what the script sends on change
    assert blocked.status_code == 200 and blocked.template.name == "addon_requests/_preview.html"
    preview = blocked.context["preview_state"]["preview"]
    assert preview.blocked
    assert {g.check.id for g in preview.gates if g.status == "failed"} == {
        "policy.heroku.private_network", "policy.heroku.shield_plan"}
    assert "Blocked by 2 gates" in blocked.text
    assert f"{SHIELD_APP} runs in Shield space acme-shield, but {ESSENTIAL} cannot be installed inside a private " \
           "network" in blocked.text

    clear = anonymous.post("/addon-requests/preview", data=fields(form, plan=SHIELD))
    assert not clear.context["preview_state"]["preview"].blocked and "Every gate passes" in clear.text

    no_js = anonymous.post("/addon-requests", data=fields(form, action="check"))  # the "Check gates" button
    assert no_js.status_code == 200 and no_js.template.name == "addon_requests/new.html"
    assert no_js.context["preview_state"]["preview"].blocked and "Blocked by 2 gates" in no_js.text
    assert no_js.context["values"]["plan"] == ESSENTIAL
    assert requests_stored(db) == before  # previews store nothing

    # The engineer may submit it blocked: it is then judged exactly as the preview said.
    submitted = anonymous.post("/addon-requests", data=fields(form, action="submit"), follow_redirects=False)
    shown = anonymous.get(submitted.headers["location"])
    stored = shown.context["view"]
    assert stored.blocked and "It is blocked by 2 gates" in shown.text
    assert [(g.check, g.status) for g in preview.gates] == [(g.check, g.status) for g in stored.gates]
    assert preview.exposure.tier.value == stored.integration.inherent_tier


def test_submitting_stores_the_request_and_refused_input_is_shown_next_to_the_fields(db, anonymous, sign_in,
                                                                                      catalogue):
    engineer = sign_in("engineer")
    form = anonymous.get("/addon-requests/new")
    before = requests_stored(db)
    refused = anonymous.post("/addon-requests", data=fields(form, app="", purpose="", data_categories=[],
                                                            action="submit"))
    assert refused.status_code == 422
    errors = refused.context["errors"]
    assert errors["app"] == "Choose the app the add-on will be attached to."
    assert errors["purpose"] == "Say what the add-on is for." and errors["data_categories"] == "Choose at least one."
    assert 'id="app-error"' in refused.text and refused.context["values"]["data_filtering"] == "Only aggregated counts"
    unknown = anonymous.post("/addon-requests", data=fields(form, app="acme-nowhere", action="submit"))
    assert unknown.status_code == 422 and "heroku apps:info --app acme-nowhere --json" in unknown.context["errors"]["app"]
    assert requests_stored(db) == before

    posted = anonymous.post("/addon-requests", data=fields(form, plan=SHIELD, action="submit"), follow_redirects=False)
    assert posted.status_code == 303, posted.text
    stored = db.scalars(select(Integration).where(Integration.addon_plan == SHIELD)).one()
    assert posted.headers["location"] == f"/addon-requests/{stored.id}"
    assert stored.heroku_app == SHIELD_APP and stored.requested_by_id == engineer.id and stored.status == "requested"
    assert stored.fields_shared == ["day", "count"] and stored.kind == "heroku_addon"
    page = anonymous.get(posted.headers["location"])
    assert page.status_code == 200 and "Request submitted. Every gate passes" in page.text
    assert "Waiting for security" in page.text  # engineers do not decide
    listed = anonymous.get("/addon-requests")
    assert listed.status_code == 200 and f'href="/addon-requests/{stored.id}"' in listed.text
    assert "Request an add-on" in listed.text


def test_the_requester_cannot_decide_and_security_approves_with_exceptions(db, anonymous, sign_in, catalogue):
    requester = sign_in("security")
    form = anonymous.get("/addon-requests/new")
    posted = anonymous.post("/addon-requests", data=fields(form, action="submit"), follow_redirects=False)
    url = posted.headers["location"]
    request_id = int(url.rsplit("/", 1)[1])
    own = anonymous.get(url)
    assert "You requested this add-on, so you cannot decide it" in own.text and "Record decision" not in own.text
    refused = anonymous.post(f"{url}/decision", data={"csrf_token": csrf_of(own), "decision": "approve",
                                                      "reason": "mine"})
    assert refused.status_code == 403 and db.get(Integration, request_id).status == "requested"

    sign_in("security")
    page = anonymous.get(url)
    assert page.context["own_request"] is False and "Record decision" in page.text
    assert "Exception reason for Private network" in page.text and "Exception reason for Shield plan" in page.text
    expiry = (date.today() + timedelta(days=90)).isoformat()
    decision = {"csrf_token": csrf_of(page), "decision": "approve", "reason": "Reporting copy, no patient data"}
    blocked = anonymous.post(f"{url}/decision", data=decision)
    assert blocked.status_code == 409 and "blocked by policy.heroku.private_network" in blocked.text
    too_late = anonymous.post(f"{url}/decision", data=decision | {
        "exception_reason:policy.heroku.private_network": "Migrating to shield-0 this quarter",
        "exception_expires:policy.heroku.private_network": "not a date",
        "exception_reason:policy.heroku.shield_plan": "Same migration",
        "exception_expires:policy.heroku.shield_plan": expiry})
    assert too_late.status_code == 422
    assert too_late.context["errors"]["exception_expires:policy.heroku.private_network"].startswith("Enter a date")
    approved = anonymous.post(f"{url}/decision", follow_redirects=False, data=decision | {
        "exception_reason:policy.heroku.private_network": "Migrating to shield-0 this quarter",
        "exception_expires:policy.heroku.private_network": expiry,
        "exception_reason:policy.heroku.shield_plan": "Same migration",
        "exception_expires:policy.heroku.shield_plan": expiry})
    assert approved.status_code == 303 and approved.headers["location"] == url
    db.expire_all()
    assert db.get(Integration, request_id).status == "approved"
    lifted = db.scalars(select(GateException).where(GateException.integration_id == request_id)).all()
    assert {e.gate for e in lifted} == {"policy.heroku.private_network", "policy.heroku.shield_plan"}
    assert all(e.expires_on.isoformat() == expiry for e in lifted) and requester.id is not None
    shown = anonymous.get(url)
    assert "Approved." in shown.text and "Lifted by exception" in shown.text and "Record decision" not in shown.text
