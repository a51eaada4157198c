"""Hostile input to the pages: odd values in every page form and query answer a 4xx page that says what to fix
(never a 500, never JSON), and a refused form stores nothing, on SQLite and PostgreSQL (where a NUL is a
database error). Also: a form's address opened as a page, a database fault on a page, a long flash notice."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from starlette.requests import Request

from app.audit import pages as audit_pages
from app.audit.models import AuditEvent
from app.heroku import importer
from app.heroku.estate import AppFacts, Estate, PlanFacts
from app.questionnaires import service as questionnaire_service
from app.questionnaires.loader import load_dir
from app.web import templating
from tests.assessments.test_workflow import TEXT_QUESTION, answer_and_submit
from tests.factories import TEST_ACTOR, make_integration, make_vendor
from tests.questionnaires.test_loader import GOOD
from tests.responses.test_invites import FORM
from tests.web.helpers import csrf_of
from tests.web.test_response_pages import sign_in

# NUL (PostgreSQL refuses it in text), a long string, a digit int() refuses, an id past 32 bits, dates out of
# range, and nothing visible.
HOSTILE = ["a\x00b", "x" * 5000, "²", "2147483648", "0000-01-01", "99999-01-01", "\u200b"]
APP, PLAN = "acme-web", "heroku-postgresql:essential-0"


def page_ok(response) -> bool:
    """A redirect, or an HTML page that is not a server error."""
    if 300 <= response.status_code < 400:
        return True
    return response.status_code < 500 and response.headers["content-type"].startswith("text/html")


@pytest.fixture
def world(db, client, anonymous, tmp_path: Path) -> dict:
    """One of everything the page forms act on, and an admin (not the requester of any of it) signed in."""
    (tmp_path / "vendorform.v1.yaml").write_text(FORM)
    (tmp_path / "tiny.v1.yaml").write_text(GOOD + TEXT_QUESTION)
    questionnaire_service.sync_catalogue(db, load_dir(tmp_path))
    estate = Estate(source="api")
    estate.apps = {APP: AppFacts(APP, heroku_id="app-1", space=None, space_known=True, shield=False)}
    estate.plans = {PLAN: PlanFacts(PLAN, compliance=(), installable_inside_private_network=False)}
    importer.apply_estate(db, estate, actor=TEST_ACTOR)
    vendor = make_vendor(db)
    integration, assessed = make_integration(db, vendor), make_integration(db, vendor)
    db.commit()
    response_id = client.post(f"/api/v1/integrations/{integration.id}/responses",
                              json={"questionnaire": "vendorform"}).json()["id"]
    invite = client.post(f"/api/v1/responses/{response_id}/invites", json={}).json()
    answer_and_submit(client, assessed.id)
    assessment_id = client.post(f"/api/v1/integrations/{assessed.id}/assessments").json()["id"]
    request = client.post("/api/v1/addon-requests", json={"app": APP, "plan": PLAN, "purpose": "Reports",
                                                          "data_categories": ["logs_telemetry"]})
    assert request.status_code == 201, request.text
    sign_in(db, anonymous, "admin")
    points = anonymous.get(f"/assessments/{assessment_id}").context["points"]
    return {"points": points[0].name, "vendor": vendor.id, "integration": integration.id, "response": response_id,
            "secret": invite["url"].rsplit("/", 1)[1], "assessment": assessment_id,
            "request": request.json()["integration"]["id"]}


def forms(w: dict) -> dict[str, dict[str, str]]:
    """Every page form with valid values (those the sweep replaces one at a time)."""
    expires = (date.today() + timedelta(days=30)).isoformat()
    lifts = {f"{field}:{gate}": value for gate in ("policy.gdpr.dpa", "policy.gdpr.transfer")
             for field, value in (("lift", "1"), ("exception_reason", "Signing"), ("exception_expires", expires))}
    answers = {"shown": ["hosting.mfa", "ops.rto", "ops.last_test"], "value:hosting.mfa": "yes",
               "comment:hosting.mfa": "Enforced", "value:ops.rto": "4", "value:ops.last_test": "2026-01-01"}
    return {
        f"/vendors/{w['vendor']}/integrations/new": {
            "name": "CRM", "kind": "saas", "purpose": "Sales", "data_categories": "business_contact",
            "access": "read", "volume": "lt_1k", "data_filtering": "none", "fields_shared": "email",
            "transfer_countries": "IE", "business_criticality": "medium", "substitutability": "easy"},
        "/addon-requests": {"action": "submit", "app": APP, "plan": PLAN, "data_categories": "logs_telemetry",
                            "purpose": "Reports", "name": "", "access": "read", "volume": "lt_1k",
                            "transfer_countries": "IE", "business_criticality": "low", "substitutability": "hard"},
        f"/addon-requests/{w['request']}/decision": {"decision": "approve", "reason": "Fine", "conditions": ""},
        f"/integrations/{w['integration']}/responses": {"questionnaire": "vendorform"},
        f"/responses/{w['response']}": {"action": "save", "evidence:ops.last_test": "document",
                                        "control:ops.last_test": "", **answers},
        f"/respond/{w['secret']}": {"action": "save", **answers},
        f"/responses/{w['response']}/invites": {"email": "security@vendor.example.com", "expires_in_days": "7"},
        f"/assessments/{w['assessment']}/review": {"decision": "approve", "reason": "Fine", "conditions": "",
                                                   w["points"]: "0.5", **lifts},
        "/account/tokens": {"name": "ci", "expires_in_days": "30"},
    }


QUERIES = {"/addon-requests/new": ("app", "plan"), "/addon-requests": ("status",), "/heroku": ("status", "app", "after"),
           "/assessments": ("state", "cursor"),
           "/audit": ("subject_type", "subject_id", "actor", "action", "since", "until", "cursor", "verify")}


def last_event(connection) -> int:
    """The audit trail's head, read on the test's connection: every stored change records an event."""
    return connection.execute(select(func.coalesce(func.max(AuditEvent.seq), 0))).scalar_one()


def test_every_page_form_and_query_answers_odd_values_with_a_page_and_stores_nothing_refused(
        anonymous, connection, world):
    csrf = csrf_of(anonymous.get("/account"))
    failures = []
    for path, valid in forms(world).items():
        for name in valid:
            for value in HOSTILE:
                savepoint = connection.begin_nested()  # each attempt starts from the same register
                before = last_event(connection)
                answer = anonymous.post(path, data={**valid, name: value, "csrf_token": csrf}, follow_redirects=False)
                stored = last_event(connection) != before
                savepoint.rollback()
                if not page_ok(answer) or (answer.status_code >= 400 and stored):
                    failures.append((path, name, value[:12], answer.status_code, stored))
    for path, names in QUERIES.items():
        for name in names:
            for value in HOSTILE:
                answer = anonymous.get(path, params={name: value})
                if not page_ok(answer):
                    failures.append((path, name, value[:12], answer.status_code))
    assert failures == []


@pytest.fixture
def admin(db, anonymous) -> None:
    """An admin signed in, on an empty register."""
    sign_in(db, anonymous, "admin")


def test_odd_paging_values_are_ignored_not_a_500(anonymous, admin):
    for path, name in (("/heroku", "after"), ("/assessments", "cursor")):
        for value in ("²", "١٢", "2147483648", "99999999999999999999"):
            answer = anonymous.get(path, params={name: value})
            assert answer.status_code == 200, (path, value, answer.status_code)
    assert anonymous.get("/assessments", params={"cursor": "2147483647"}).context["paged"] is True
    assert anonymous.get("/heroku", params={"after": "12"}).status_code == 200


def test_an_audit_filter_with_a_nul_is_refused_next_to_its_field(anonymous, admin):
    for name in ("subject_type", "subject_id", "actor", "action"):
        page = anonymous.get("/audit", params={name: "vendor\x00"})
        assert page.status_code == 422 and page.template.name == "audit/list.html", name
        assert "control characters" in page.context["errors"][name] and page.context["events"] == []
        assert "must not contain control characters" in page.text


def test_a_forms_address_opened_as_a_page_is_an_html_405(anonymous, admin):
    for path in ("/account/tokens", "/responses/1/invites"):
        page = anonymous.get(path)
        assert page.status_code == 405 and page.headers["content-type"].startswith("text/html"), path
        assert page.headers["allow"] == "POST" and "Go back to the page the form is on" in page.text
    api = anonymous.get("/api/v1/heroku/sync")
    assert api.status_code == 405 and api.headers["content-type"] == "application/json"


def test_a_database_fault_on_a_page_is_an_html_503(anonymous, admin, monkeypatch):
    def down(_session):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(audit_pages.audit_service, "head_seq", down)
    page = anonymous.get("/audit")
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert page.headers["retry-after"] == "5" and "nothing was saved" in page.text
    assert "server closed" not in page.text


def test_a_long_notice_in_any_script_survives_the_flash_cookie():
    notice = "Registered " + "😀" * 200 + ". Next: upload its agreements, then record how we use it."
    cookie = templating.redirect("/vendors/1", notice).headers["set-cookie"].split(";")[0].split("=", 1)[1]
    request = Request({"type": "http", "headers": [(b"cookie", f"{templating.FLASH_COOKIE}={cookie}".encode())]})
    assert templating._read_flash(request) == notice
    tampered = Request({"type": "http", "headers": [(b"cookie", f"{templating.FLASH_COOKIE}=x{cookie}".encode())]})
    assert templating._read_flash(tampered) is None
