"""Add-on requests over the API: gates at once, decisions with exceptions, linking, shadow add-ons, drift."""

from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from app.heroku import importer
from app.heroku.estate import AddonFacts, AppFacts, AttachmentFacts, Estate, PlanFacts, SpaceFacts
from app.heroku.models import GateException, IntegrationDecision
from app.integrations.models import Integration
from app.vendors.models import Vendor
from tests.documents.helpers import pdf_bytes, upload
from tests.factories import TEST_ACTOR

TODAY = date.today()


def estate(*addons: AddonFacts, everything: bool = True) -> Estate:
    e = Estate(source="api", everything=everything)
    e.spaces = {"acme-shield": SpaceFacts("acme-shield", heroku_id="sp-1", shield=True),
                "acme-private": SpaceFacts("acme-private", heroku_id="sp-2", shield=False)}
    e.apps = {
        "acme-web": AppFacts("acme-web", heroku_id="app-1", space=None, space_known=True, shield=False),
        "acme-records": AppFacts("acme-records", heroku_id="app-2", space="acme-shield", space_known=True, shield=True),
        "acme-api": AppFacts("acme-api", heroku_id="app-3", space="acme-private", space_known=True, shield=False),
    }
    e.plans = {p.name: p for p in (
        PlanFacts("heroku-postgresql:essential-0", compliance=(), installable_inside_private_network=False),
        PlanFacts("heroku-postgresql:shield-0", compliance=("HIPAA", "PCI"), installable_inside_private_network=True),
        PlanFacts("papertrail:choklad", compliance=(), installable_inside_private_network=False),
        PlanFacts("papertrail:fixa", compliance=(), installable_inside_private_network=False),
    )}
    e.addons = {a.heroku_id: a for a in addons}
    return e


PT_WEB = AddonFacts("ad-1", "papertrail-curly-12", "acme-web", "papertrail", "papertrail:choklad", "provisioned",
                    ("PAPERTRAIL_API_TOKEN",), (AttachmentFacts("acme-web", "PAPERTRAIL"),))
PG_RECORDS = AddonFacts("ad-2", "postgresql-deep-34", "acme-records", "heroku-postgresql",
                        "heroku-postgresql:shield-0", "provisioned", ("DATABASE_URL",))


@pytest.fixture
def imported(db):
    importer.apply_estate(db, estate(PT_WEB, PG_RECORDS), actor=TEST_ACTOR)
    db.commit()


def request(client, headers=None, **overrides):
    body = {"app": "acme-web", "plan": "papertrail:choklad", "data_categories": ["logs_telemetry"],
            "purpose": "Application logs", "data_filtering": "scrubbed"} | overrides
    return client.post("/api/v1/addon-requests", json=body, headers=headers)


def gates(body):
    return {g["id"]: g["status"] for g in body["gates"]}


def test_a_clear_request_answers_with_its_gates_and_questionnaires(client, imported):
    response = request(client)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["verdict"] == "clear" and body["gates"] == []
    assert body["integration"]["kind"] == "heroku_addon" and body["integration"]["status"] == "requested"
    assert body["integration"]["addon_plan"] == "papertrail:choklad"
    assert response.headers["Location"] == f"/api/v1/addon-requests/{body['integration']['id']}"
    assert isinstance(body["questionnaires"], list)


@pytest.mark.parametrize(
    ("app_name", "plan", "categories", "failed"),
    [
        ("acme-records", "heroku-postgresql:essential-0", ["logs_telemetry"],
         {"policy.heroku.private_network", "policy.heroku.shield_plan"}),
        ("acme-api", "papertrail:choklad", ["logs_telemetry"], {"policy.heroku.private_network"}),
        ("acme-web", "heroku-postgresql:essential-0", ["phi"],
         {"policy.heroku.hipaa_plan", "policy.gdpr.dpa", "policy.hipaa.baa"}),
        ("acme-web", "papertrail:choklad", ["cardholder"], {"policy.heroku.pci_plan", "policy.gdpr.dpa",
                                                             "policy.pci.aoc"}),
    ],
)
def test_a_non_compliant_request_is_blocked_with_the_reason(client, imported, app_name, plan, categories, failed):
    body = request(client, app=app_name, plan=plan, data_categories=categories, transfer_countries=[]).json()
    assert body["verdict"] == "blocked"
    assert {k for k, v in gates(body).items() if v == "failed"} == failed
    assert all(g["message"] for g in body["gates"])


def test_the_app_s_own_phi_makes_every_add_on_a_phi_flow(client, imported):
    app_id = next(a for a in client.get("/api/v1/heroku/apps").json()["items"] if a["name"] == "acme-web")["id"]
    stale = client.patch(f"/api/v1/heroku/apps/{app_id}", json={"data_categories": ["phi"]},
                         headers={"If-Match": '"v9"'})
    assert stale.status_code == 412
    set_phi = client.patch(f"/api/v1/heroku/apps/{app_id}", json={"data_categories": ["phi"]},
                           headers={"If-Match": '"v1"'})
    assert set_phi.status_code == 200 and set_phi.json()["data_categories"] == ["phi"]
    body = request(client).json()  # the engineer says only logs
    assert gates(body)["policy.heroku.hipaa_plan"] == "failed"
    assert "phi" in body["integration"]["data_categories"]

    # "none" beside the PHI the app holds is a contradiction: a 422 naming it, nothing stored (was a 500).
    before = client.get("/api/v1/addon-requests").json()["items"]
    refused = request(client, data_categories=["none"])
    assert refused.status_code == 422
    assert "none" in refused.json()["detail"] and "acme-web itself holds phi" in refused.json()["detail"]
    assert client.get("/api/v1/addon-requests").json()["items"] == before


def test_an_unknown_app_is_refused_with_what_to_import(client, imported, db):
    before = db.scalar(select(func.count()).select_from(Integration))
    response = request(client, app="acme-nowhere")
    assert response.status_code == 422 and "heroku apps:info --app acme-nowhere --json" in response.json()["detail"]
    assert db.scalar(select(func.count()).select_from(Integration)) == before


def test_an_unknown_plan_fails_closed_until_its_details_are_imported(client, imported):
    body = request(client, app="acme-api", plan="newsvc:pro").json()
    assert gates(body) == {"policy.heroku.private_network": "failed"}
    assert "heroku addons:plans newsvc --json" in body["gates"][0]["message"]


def decide(client, request_id, headers=None, **body):
    return client.post(f"/api/v1/addon-requests/{request_id}/decision",
                       json={"decision": "approve", "reason": "needed"} | body, headers=headers)


def test_a_blocked_request_is_approved_only_with_an_exception_for_each_failed_gate(client, imported, db,
                                                                                      auth_headers):
    body = request(client, headers=auth_headers("engineer"), app="acme-api").json()
    rid = body["integration"]["id"]
    security = auth_headers("security")
    refused = decide(client, rid, headers=security)
    assert refused.status_code == 409 and refused.json()["error"] == "RequestBlocked"
    assert "policy.heroku.private_network" in refused.json()["detail"]
    wrong_gate = decide(client, rid, headers=security, exceptions=[
        {"gate": "policy.hipaa.baa", "reason": "x", "expires_on": (TODAY + timedelta(days=30)).isoformat()}])
    assert wrong_gate.status_code == 422
    too_long = decide(client, rid, headers=security, exceptions=[
        {"gate": "policy.heroku.private_network", "reason": "x", "expires_on": (TODAY + timedelta(days=400)).isoformat()}])
    assert too_long.status_code == 422 and "365 days" in too_long.json()["detail"]
    assert db.scalar(select(func.count()).select_from(GateException)) == 0
    assert client.get(f"/api/v1/addon-requests/{rid}").json()["integration"]["status"] == "requested"

    until = (TODAY + timedelta(days=90)).isoformat()
    approved = decide(client, rid, headers=security, decision="approve_with_conditions",
                      conditions=["Logs are scrubbed before the drain"],
                      exceptions=[{"gate": "policy.heroku.private_network", "reason": "Migrating in Q1",
                                   "expires_on": until}])
    assert approved.status_code == 200, approved.text
    after = approved.json()
    assert after["integration"]["status"] == "approved_with_conditions" and after["verdict"] == "clear"
    assert after["gates"][0]["status"] == "lifted" and after["gates"][0]["exception"]["expires_on"] == until
    assert "@" in after["decisions"][0]["decided_by"] and after["decisions"][0]["reason"] == "needed"
    again = decide(client, rid, headers=security)
    assert again.status_code == 409 and again.json()["error"] == "AlreadyDecided"
    assert db.scalar(select(func.count()).select_from(IntegrationDecision)) == 1


def test_nobody_decides_their_own_request_and_engineers_do_not_decide(client, imported, auth_headers):
    rid = request(client, headers=auth_headers("security")).json()["integration"]["id"]
    own = decide(client, rid, headers=auth_headers("security"))
    assert own.status_code == 403 and own.json()["error"] == "OwnRequest"
    assert decide(client, rid, headers=auth_headers("engineer")).status_code == 403
    assert decide(client, rid).status_code == 200  # an admin, not the requester


def test_a_rejection_takes_no_exceptions(client, imported, auth_headers):
    rid = request(client, headers=auth_headers("engineer"), app="acme-api").json()["integration"]["id"]
    until = (TODAY + timedelta(days=10)).isoformat()
    bad = decide(client, rid, decision="reject", exceptions=[
        {"gate": "policy.heroku.private_network", "reason": "x", "expires_on": until}])
    assert bad.status_code == 422
    assert decide(client, rid, decision="reject").json()["integration"]["status"] == "rejected"


def test_documents_clear_the_gates_they_decide(client, imported):
    body = request(client, plan="heroku-postgresql:shield-0", data_categories=["phi"], transfer_countries=[]).json()
    assert {k for k, v in gates(body).items() if v == "failed"} == {"policy.gdpr.dpa", "policy.hipaa.baa"}
    vendor_id = body["integration"]["vendor_id"]
    upload(client, vendor_id, pdf_bytes("dpa"))
    upload(client, vendor_id, pdf_bytes("baa"), type="baa", title="BAA")
    again = client.get(f"/api/v1/addon-requests/{body['integration']['id']}").json()
    assert again["verdict"] == "clear" and set(gates(again).values()) == {"passed"}


def test_shadow_add_ons_approval_linking_and_drift(client, imported, db, auth_headers):
    shadow = client.get("/api/v1/heroku/addons", params={"status": "shadow"}).json()
    assert {a["name"] for a in shadow["items"]} == {"papertrail-curly-12", "postgresql-deep-34"}
    rid = request(client, headers=auth_headers("engineer")).json()["integration"]["id"]
    assert decide(client, rid).status_code == 200  # papertrail:choklad on acme-web: linked at once
    assert {a["name"] for a in client.get("/api/v1/heroku/addons", params={"status": "shadow"}).json()["items"]} == {
        "postgresql-deep-34"}
    approved = client.get("/api/v1/heroku/addons", params={"status": "approved"}).json()["items"]
    assert [(a["name"], a["integration_id"]) for a in approved] == [("papertrail-curly-12", rid)]
    assert client.get("/api/v1/heroku/drift").json()["items"] == []

    # The plan changes under the approval, then the add-on is removed.
    moved = AddonFacts(**{**PT_WEB.__dict__, "plan": "papertrail:fixa"})
    importer.apply_estate(db, estate(moved, PG_RECORDS), actor=TEST_ACTOR)
    db.commit()
    assert [d["kind"] for d in client.get("/api/v1/heroku/drift").json()["items"]] == ["plan_changed"]
    importer.apply_estate(db, estate(PG_RECORDS), actor=TEST_ACTOR)
    db.commit()
    drift = client.get("/api/v1/heroku/drift").json()["items"]
    assert [d["kind"] for d in drift] == ["gone"] and drift[0]["integration_id"] == rid
    gone = client.get("/api/v1/heroku/addons", params={"status": "gone"}).json()["items"]
    assert [a["name"] for a in gone] == ["papertrail-curly-12"]


def test_an_approval_before_installation_links_when_an_import_first_sees_it(client, db, auth_headers):
    importer.apply_estate(db, estate(PG_RECORDS), actor=TEST_ACTOR)
    db.commit()
    rid = request(client, headers=auth_headers("engineer")).json()["integration"]["id"]
    assert decide(client, rid).status_code == 200
    assert [d["kind"] for d in client.get("/api/v1/heroku/drift").json()["items"]] == ["not_installed"]
    report = importer.apply_estate(db, estate(PT_WEB, PG_RECORDS), actor=TEST_ACTOR)
    db.commit()
    assert report.linked == 1
    assert client.get("/api/v1/heroku/drift").json()["items"] == []
    assert client.get(f"/api/v1/addon-requests/{rid}").json()["installation"]["name"] == "papertrail-curly-12"


def test_changing_what_was_approved_sends_it_back_to_review(client, imported, auth_headers):
    engineer = auth_headers("engineer")
    rid = request(client, headers=engineer).json()["integration"]["id"]
    assert decide(client, rid).status_code == 200
    current = client.get(f"/api/v1/integrations/{rid}", headers=engineer)
    renamed = client.patch(f"/api/v1/integrations/{rid}", json={"purpose": "Logs, and nothing else"},
                           headers={**engineer, "If-Match": current.headers["ETag"]})
    assert renamed.status_code == 200 and renamed.json()["status"] == "approved"  # wording is not substance
    changed = client.patch(f"/api/v1/integrations/{rid}", json={"addon_plan": "papertrail:fixa"},
                           headers={**engineer, "If-Match": renamed.headers["ETag"]})
    assert changed.status_code == 200 and changed.json()["status"] == "requested"


def until(days: int = 90) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


def test_reopening_an_approved_request_voids_its_exceptions(client, imported, db, auth_headers):
    engineer, security = auth_headers("engineer"), auth_headers("security")
    rid = request(client, headers=engineer, app="acme-api").json()["integration"]["id"]
    approved = decide(client, rid, headers=security, exceptions=[
        {"gate": "policy.heroku.private_network", "reason": "Moving out of the space in Q1", "expires_on": until()}])
    assert approved.json()["verdict"] == "clear"
    current = client.get(f"/api/v1/integrations/{rid}", headers=engineer)
    reopened = client.patch(f"/api/v1/integrations/{rid}", json={"addon_plan": "papertrail:fixa"},
                            headers={**engineer, "If-Match": current.headers["ETag"]})
    assert reopened.status_code == 200 and reopened.json()["status"] == "requested"
    body = client.get(f"/api/v1/addon-requests/{rid}").json()
    assert body["verdict"] == "blocked" and gates(body) == {"policy.heroku.private_network": "failed"}
    assert all(e.voided_at is not None for e in db.scalars(select(GateException)))
    # A new decision needs its own exception: the old one lifts nothing any more.
    again = decide(client, rid, headers=security)
    assert again.status_code == 409 and again.json()["error"] == "RequestBlocked"


def test_a_request_sends_data_to_the_vendor_s_country_unless_told_otherwise(client, imported):
    body = request(client, data_categories=["customer_personal"]).json()  # papertrail: SolarWinds, US
    assert body["integration"]["transfer_countries"] == ["US"]
    assert gates(body)["policy.gdpr.transfer"] == "failed"
    told = request(client, data_categories=["customer_personal"], transfer_countries=["DE"]).json()
    assert told["integration"]["transfer_countries"] == ["DE"] and "policy.gdpr.transfer" not in gates(told)


def test_an_approval_whose_gate_fails_later_shows_as_drift(client, imported, auth_headers):
    rid = request(client, headers=auth_headers("engineer")).json()["integration"]["id"]
    assert decide(client, rid).status_code == 200
    assert client.get("/api/v1/heroku/drift").json()["items"] == []
    app = next(a for a in client.get("/api/v1/heroku/apps").json()["items"] if a["name"] == "acme-web")
    assert client.patch(f"/api/v1/heroku/apps/{app['id']}", json={"data_categories": ["phi"]},
                        headers={"If-Match": f'"v{app["version"]}"'}).status_code == 200
    drift = client.get("/api/v1/heroku/drift").json()["items"]
    assert [(d["kind"], d["integration_id"]) for d in drift] == [("gate_failed", rid)]
    assert "policy.heroku.hipaa_plan" in drift[0]["detail"]


def test_engineers_cannot_add_an_unknown_service_and_its_vendor(client, imported, db, auth_headers):
    engineer = auth_headers("engineer")
    before = (db.scalar(select(func.count()).select_from(Vendor)), db.scalar(select(func.count()).select_from(Integration)))
    refused = request(client, headers=engineer, plan="newsvc:pro")
    assert refused.status_code == 422 and refused.json()["error"] == "UnknownAddonService"
    assert "heroku addons:plans newsvc --json" in refused.json()["detail"]
    assert (db.scalar(select(func.count()).select_from(Vendor)),
            db.scalar(select(func.count()).select_from(Integration))) == before
    # A new plan of a known service needs no new vendor: fine for anyone who may request.
    assert request(client, headers=engineer, plan="papertrail:ludvig").status_code == 201


def test_an_app_s_etag_is_readable_and_survives_imports(client, imported, db):
    listed = next(a for a in client.get("/api/v1/heroku/apps").json()["items"] if a["name"] == "acme-web")
    one = client.get(f"/api/v1/heroku/apps/{listed['id']}")
    assert one.status_code == 200 and one.headers["ETag"] == f'"v{listed["version"]}"' == '"v1"'
    assert one.json() == listed
    assert client.get("/api/v1/heroku/apps/999999").status_code == 404
    # Heroku moves the app to another region: our copy of what the app holds is still current.
    moved = estate(PT_WEB, PG_RECORDS)
    moved.apps["acme-web"] = AppFacts("acme-web", heroku_id="app-1", region="eu", space=None, space_known=True,
                                      shield=False)
    assert importer.apply_estate(db, moved, actor=TEST_ACTOR).updated["apps"] == 1
    db.commit()
    patched = client.patch(f"/api/v1/heroku/apps/{listed['id']}", json={"data_categories": ["phi"]},
                           headers={"If-Match": one.headers["ETag"]})
    assert patched.status_code == 200 and patched.headers["ETag"] == '"v2"' and patched.json()["version"] == 2
    assert client.get(f"/api/v1/heroku/apps/{listed['id']}").headers["ETag"] == '"v2"'


def test_listing_requests_costs_the_same_queries_for_3_or_30(client, imported, engine):
    def queries_to_list() -> tuple[int, int]:
        statements: list[str] = []
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listen)
        try:
            response = client.get("/api/v1/addon-requests")
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        assert response.status_code == 200
        return len(response.json()["items"]), len(statements)

    for n in range(3):
        request(client, name=f"request {n}", data_categories=["customer_personal"])
    three = queries_to_list()
    for n in range(3, 30):
        request(client, name=f"request {n}", data_categories=["customer_personal"])
    thirty = queries_to_list()
    assert three[0] == 3 and thirty[0] == 30
    assert thirty[1] == three[1], (three, thirty)


def test_approvals_link_to_installations_oldest_first_through_attachments_too(client, db, auth_headers):
    importer.apply_estate(db, estate(PG_RECORDS), actor=TEST_ACTOR)
    db.commit()
    engineer = auth_headers("engineer")
    rids = [request(client, headers=engineer, app=app).json()["integration"]["id"]
            for app in ("acme-web", "acme-web", "acme-api")]
    for rid in rids:
        decide(client, rid, exceptions=[{"gate": g["id"], "reason": "x", "expires_on": until()} for g in
                                        client.get(f"/api/v1/addon-requests/{rid}").json()["gates"]
                                        if g["status"] == "failed"])
    second = AddonFacts(**{**PT_WEB.__dict__, "heroku_id": "ad-9", "name": "papertrail-late-99",
                           "attachments": (AttachmentFacts("acme-web", "PAPERTRAIL"),)})
    on_api = AddonFacts(**{**PT_WEB.__dict__, "heroku_id": "ad-7", "name": "papertrail-shared-77", "app": "acme-records",
                           "attachments": (AttachmentFacts("acme-api", "PAPERTRAIL"),)})
    report = importer.apply_estate(db, estate(PT_WEB, second, on_api, PG_RECORDS), actor=TEST_ACTOR)
    db.commit()
    assert report.linked == 3
    linked = {a["name"]: a["integration_id"]
              for a in client.get("/api/v1/heroku/addons", params={"status": "approved"}).json()["items"]}
    assert linked == {"papertrail-curly-12": rids[0], "papertrail-late-99": rids[1], "papertrail-shared-77": rids[2]}
