"""The integration API: what crosses the boundary, the computed tier, filters and concurrency."""

import pytest
from sqlalchemy import func, select

from app.integrations.models import Integration
from tests.factories import integration_payload, make_integration, make_vendor

API = "/api/v1/integrations"


def count(db) -> int:
    return db.execute(select(func.count()).select_from(Integration)).scalar_one()


def addon(vendor_id: int, **overrides):
    return integration_payload(
        vendor_id, kind="heroku_addon", heroku_app="acme-api-prod", addon_plan="papertrail:choklad", **overrides
    )


def test_create_computes_the_inherent_tier_and_its_driver(client, db):
    vendor = make_vendor(db)
    payload = integration_payload(vendor.id, data_categories=["phi", "business_contact"], access="read")
    response = client.post(API, json=payload)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["inherent_tier"], body["inherent_driver"]) == ("high", "data_categories:phi")
    assert body["inherent_rules"] == "scoring/1"
    assert body["status"] == "requested"
    assert response.headers["ETag"] == '"v1"'
    assert db.get(Integration, body["id"]).inherent_tier == "high"


def test_a_heroku_addon_integration_records_app_and_plan(client, db):
    vendor = make_vendor(db)
    response = client.post(API, json=addon(vendor.id))
    assert response.status_code == 201, response.text
    assert response.json()["addon_plan"] == "papertrail:choklad"


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"inherent_tier": "low"}, "inherent_tier: unknown field"),
        ({"data_categories": ["none", "phi"]}, "'none' cannot be combined"),
        ({"data_categories": []}, "data_categories"),
        ({"data_categories": ["dna"]}, "'none', 'business_contact'"),
        ({"kind": "heroku_addon"}, "needs heroku_app and addon_plan"),
        ({"addon_plan": "papertrail:choklad"}, "apply only to kind heroku_addon"),
        ({"access": "root"}, "'none', 'read', 'write' or 'admin'"),
        ({"volume": "lots"}, "volume"),
        ({"transfer_countries": ["EU"]}, "ISO 3166-1"),
        ({"purpose": "p" * 4001}, "purpose"),
        ({"vendor_id": "abc"}, "vendor_id"),
    ],
)
def test_invalid_input_is_422_and_stores_nothing(client, db, overrides, fragment):
    vendor = make_vendor(db)
    before = count(db)
    response = client.post(API, json=integration_payload(vendor.id) | overrides)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]
    assert count(db) == before


def test_bad_addon_plan_format_is_422(client, db):
    vendor = make_vendor(db)
    response = client.post(API, json=addon(vendor.id) | {"addon_plan": "papertrail"})
    assert response.status_code == 422
    assert "addon_plan" in response.json()["detail"]


def test_unknown_vendor_is_422_and_offboarded_vendor_is_409(client, db):
    response = client.post(API, json=integration_payload(987654))
    assert response.status_code == 422
    assert response.json()["error"] == "UnknownVendor"
    vendor = make_vendor(db)
    client.post(f"/api/v1/vendors/{vendor.id}/offboard", json={"reason": "gone"})
    response = client.post(API, json=integration_payload(vendor.id))
    assert response.status_code == 409
    assert response.json()["error"] == "VendorNotActive"


def test_unknown_integration_is_404(client):
    response = client.get(f"{API}/31337")
    assert response.status_code == 404
    assert response.json()["error"] == "IntegrationNotFound"


def test_patch_recomputes_the_tier(client, db):
    integration = make_integration(db, data_categories=["business_contact"], access="read", volume="lt_1k",
                                   business_criticality="low")
    assert integration.inherent_tier == "low"
    response = client.patch(
        f"{API}/{integration.id}", json={"data_categories": ["cardholder"], "volume": "gte_10m"}, headers={"If-Match": '"v1"'}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["inherent_tier"], body["inherent_driver"]) == ("critical", "sensitive_data_at_scale:cardholder")
    assert response.headers["ETag"] == '"v2"'


def test_patch_needs_if_match_and_refuses_stale_versions(client, db):
    integration = make_integration(db, purpose="Original purpose")
    assert client.patch(f"{API}/{integration.id}", json={"purpose": "x"}).status_code == 428
    assert client.patch(f"{API}/{integration.id}", json={"purpose": "New"}, headers={"If-Match": '"v1"'}).status_code == 200
    stale = client.patch(f"{API}/{integration.id}", json={"purpose": "Lost"}, headers={"If-Match": '"v1"'})
    assert stale.status_code == 412
    assert client.get(f"{API}/{integration.id}").json()["purpose"] == "New"


def test_patch_that_breaks_the_shape_is_422_and_changes_nothing(client, db):
    integration = make_integration(db)
    response = client.patch(f"{API}/{integration.id}", json={"kind": "heroku_addon"}, headers={"If-Match": '"v1"'})
    assert response.status_code == 422
    assert response.json()["error"] == "InvalidIntegration"
    db.refresh(integration)
    assert integration.kind == "saas" and integration.version == 1


def test_patch_cannot_move_an_integration_to_another_vendor(client, db):
    integration = make_integration(db)
    other = make_vendor(db)
    response = client.patch(f"{API}/{integration.id}", json={"vendor_id": other.id}, headers={"If-Match": '"v1"'})
    assert response.status_code == 422


def test_a_retired_integration_cannot_change(client, db):
    integration = make_integration(db)
    client.post(f"/api/v1/vendors/{integration.vendor_id}/offboard", json={"reason": "gone"})
    etag = client.get(f"{API}/{integration.id}").headers["ETag"]
    response = client.patch(f"{API}/{integration.id}", json={"purpose": "x"}, headers={"If-Match": etag})
    assert response.status_code == 409
    assert response.json()["error"] == "IntegrationRetired"


def names(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


def test_list_filters(client, db):
    vendor = make_vendor(db)
    other = make_vendor(db)
    phi = make_integration(db, vendor, name="F phi", data_categories=["phi"], transfer_countries=["US"])
    logs = make_integration(db, vendor, name="F logs", data_categories=["logs_telemetry"], transfer_countries=["DE"])
    hook = make_integration(db, other, name="F hook", kind="api", data_categories=["none"], transfer_countries=[],
                            access="none", volume="lt_1k", business_criticality="low")
    assert names(client.get(API, params={"q": "F ", "vendor_id": vendor.id})) == [logs.name, phi.name]
    assert names(client.get(API, params={"q": "F ", "kind": "api"})) == [hook.name]
    assert names(client.get(API, params={"q": "F ", "data_category": "phi"})) == [phi.name]
    assert names(client.get(API, params={"q": "F ", "country": "DE"})) == [logs.name]
    assert names(client.get(API, params={"q": "F ", "tier": "high"})) == [phi.name]
    assert names(client.get(API, params={"q": "F ", "status": "requested", "tier": "low"})) == [hook.name]
    assert client.get(API, params={"q": "F ", "status": "approved"}).json()["total"] == 0


def test_sorting_by_tier_ranks_by_risk_across_pages(client, db):
    vendor = make_vendor(db)
    specs = {
        "T low": dict(data_categories=["none"], access="none", volume="lt_1k", business_criticality="low"),
        "T medium": dict(data_categories=["customer_personal"], access="read", volume="lt_1k", business_criticality="low"),
        "T high": dict(data_categories=["phi"], access="read", volume="lt_1k", business_criticality="low"),
        "T critical": dict(data_categories=["phi"], access="admin", volume="lt_1k", business_criticality="low"),
    }
    for name, spec in specs.items():
        make_integration(db, vendor, name=name, **spec)
    first = client.get(API, params={"vendor_id": vendor.id, "sort": "-inherent_tier", "limit": 3})
    rest = client.get(API, params={"vendor_id": vendor.id, "sort": "-inherent_tier", "limit": 3,
                                   "cursor": first.json()["next"]})
    assert names(first) + names(rest) == ["T critical", "T high", "T medium", "T low"]
    assert first.json()["total"] == 4 and rest.json()["next"] is None


@pytest.mark.parametrize("params", [{"tier": "severe"}, {"data_category": "dna"}, {"kind": "plugin"}, {"vendor_id": 0}])
def test_bad_filters_are_422_with_the_allowed_values(client, params):
    response = client.get(API, params=params)
    assert response.status_code == 422
    assert response.json()["error"] == "ValidationError"


@pytest.mark.parametrize("vendor_id", [True, 1.0, "1"])
def test_ids_must_be_integers_not_lookalikes(client, db, vendor_id):
    vendor = make_vendor(db)
    assert vendor.id == vendor.id
    response = client.post(API, json=integration_payload(vendor.id) | {"vendor_id": vendor_id})
    assert response.status_code == 422
