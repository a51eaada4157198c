"""What the API accepts, the database can store: every length limit fits its column, on both engines."""

import pytest

from app.auth.models import ApiToken, User
from app.auth.schemas import TokenCreate, UserCreate, UserUpdate
from app.integrations.models import Integration
from app.integrations.schemas import IntegrationCreate, IntegrationUpdate
from app.vendors.models import Vendor
from app.vendors.schemas import OffboardRequest, VendorCreate, VendorUpdate
from tests.factories import integration_payload, vendor_payload

PAIRS = [
    (VendorCreate, Vendor, {}),
    (VendorUpdate, Vendor, {}),
    (OffboardRequest, Vendor, {"reason": "offboard_reason"}),
    (IntegrationCreate, Integration, {}),
    (IntegrationUpdate, Integration, {}),
    (UserCreate, User, {}),
    (UserUpdate, User, {}),
    (TokenCreate, ApiToken, {}),
]


def _max_length(prop: dict) -> int | None:
    options = prop.get("anyOf", [prop])
    lengths = [o["maxLength"] for o in options if "maxLength" in o]
    return max(lengths) if lengths else None


@pytest.mark.parametrize(("schema", "table", "renamed"), PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_request_limits_fit_their_columns(schema, table, renamed):
    properties = schema.model_json_schema()["properties"]
    checked = 0
    for field, prop in properties.items():
        column = table.__table__.columns.get(renamed.get(field, field))
        limit = _max_length(prop)
        length = getattr(column.type, "length", None) if column is not None else None
        if limit is None or length is None:
            continue
        assert limit <= length, f"{schema.__name__}.{field}: accepts {limit}, column holds {length}"
        checked += 1
    assert checked, f"{schema.__name__}: no length-limited field matched a column"


def test_values_at_every_limit_are_stored(client, db):
    vendor = client.post(
        "/api/v1/vendors",
        json=vendor_payload(
            legal_name="L" * 200,
            name="N" * 200,
            website="https://example.com/" + "p" * 480,
            contacts=[{"name": "C" * 200, "email": "a@example.com", "role": "R" * 100}],
        ),
    )
    assert vendor.status_code == 201, vendor.text
    vendor_id = vendor.json()["id"]
    integration = client.post(
        "/api/v1/integrations",
        json=integration_payload(
            vendor_id, name="I" * 200, purpose="P" * 2000, data_filtering="F" * 4000, fields_shared=["f" * 100],
            kind="heroku_addon", heroku_app="a" + "b" * 29, addon_plan="s" * 99 + ":" + "p" * 100,
        ),
    )
    assert integration.status_code == 201, integration.text
    offboard = client.post(f"/api/v1/vendors/{vendor_id}/offboard", json={"reason": "R" * 2000})
    assert offboard.status_code == 200, offboard.text


def test_an_international_website_longer_once_normalised_is_refused(client, db):
    response = client.post("/api/v1/vendors", json=vendor_payload(website="https://münchen.de/" + "ü" * 200))
    assert response.status_code == 422
    assert "once normalised" in response.json()["detail"]


@pytest.mark.parametrize("name", ["\u200b", " \u200b ", "\u2060\u200d"])
def test_names_with_nothing_visible_are_refused(client, db, name):
    response = client.post("/api/v1/vendors", json=vendor_payload(legal_name=name))
    assert response.status_code == 422
    assert "no visible characters" in response.json()["detail"]
