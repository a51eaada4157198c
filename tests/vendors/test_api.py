"""The vendor API as a client sees it: status codes, bodies, headers and what is stored."""

import json

import pytest
from sqlalchemy import func, select

from app.integrations.models import Integration
from app.vendors.models import Vendor
from tests.factories import make_integration, make_vendor, vendor_payload

API = "/api/v1/vendors"


def count_vendors(db) -> int:
    return db.execute(select(func.count()).select_from(Vendor)).scalar_one()


def test_create_returns_the_vendor_with_location_and_etag(client, db):
    payload = vendor_payload(legal_name="Papertrail Inc.", name="Papertrail", country="US")
    response = client.post(API, json=payload)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["legal_name"] == "Papertrail Inc."
    assert body["country"] == "US"
    assert body["status"] == "prospective"
    assert response.headers["Location"] == f"{API}/{body['id']}"
    assert response.headers["ETag"] == '"v1"'
    stored = db.get(Vendor, body["id"])
    assert stored.subprocessors == payload["subprocessors"]
    assert stored.created_at.tzinfo is not None


def test_get_returns_etag_and_unknown_id_is_404(client, db):
    vendor = make_vendor(db)
    response = client.get(f"{API}/{vendor.id}")
    assert response.status_code == 200
    assert response.headers["ETag"] == '"v1"'
    missing = client.get(f"{API}/999999")
    assert missing.status_code == 404
    assert missing.json() == {"error": "VendorNotFound", "detail": "No vendor with id 999999."}


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"surprise": 1}, "surprise: unknown field"),
        ({"inherent_tier": "low"}, "inherent_tier: unknown field"),
        ({"country": "UK"}, "did you mean 'GB'"),
        ({"country": "Germany"}, "did you mean 'DE'"),
        ({"country": "de"}, "did you mean 'DE'"),
        ({"data_locations": ["DE", "XX"]}, "allowed values: AD, AE"),
        ({"status": "offboarded"}, "'prospective' or 'active'"),
        ({"website": "ftp://example.com"}, "website"),
        ({"contacts": [{"name": "A", "email": "not-an-email"}]}, "contacts.0.email"),
        ({"legal_name": ""}, "legal_name"),
        ({"legal_name": "x" * 201}, "legal_name"),
        ({"name": 12}, "name"),
    ],
)
def test_invalid_input_is_422_with_what_to_fix_and_stores_nothing(client, db, change, fragment):
    before = count_vendors(db)
    response = client.post(API, json=vendor_payload(**change))
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "ValidationError"
    assert fragment in body["detail"]
    assert count_vendors(db) == before


def test_country_error_lists_the_allowed_codes(client):
    detail = client.post(API, json=vendor_payload(country="ZZ")).json()["detail"]
    assert "ISO 3166-1 alpha-2" in detail and "DE" in detail and "US" in detail


def test_malformed_json_is_422(client):
    response = client.post(API, content=b'{"legal_name": ', headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "not valid JSON" in response.json()["detail"]


def test_duplicate_legal_name_is_409_case_insensitively(client, db):
    make_vendor(db, legal_name="Twilio Inc.")
    before = count_vendors(db)
    response = client.post(API, json=vendor_payload(legal_name="TWILIO INC."))
    assert response.status_code == 409
    assert response.json()["error"] == "DuplicateVendor"
    assert "Twilio Inc." in response.json()["detail"]
    assert count_vendors(db) == before


def test_a_ten_megabyte_body_is_413_and_stores_nothing(client, db):
    before = count_vendors(db)
    huge = json.dumps(vendor_payload(name="x" * (10 * 1024 * 1024)))
    response = client.post(API, content=huge, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"] == "PayloadTooLarge"
    assert count_vendors(db) == before


def test_a_streamed_body_over_the_limit_is_413(client, db):
    def chunks():
        yield b'{"legal_name": "'
        for _ in range(20):
            yield b"x" * 100_000

    before = count_vendors(db)
    response = client.post(API, content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert count_vendors(db) == before


# --- PATCH and optimistic concurrency ---


def test_patch_without_if_match_is_428(client, db):
    vendor = make_vendor(db, name="Before")
    response = client.patch(f"{API}/{vendor.id}", json={"name": "After"})
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    db.refresh(vendor)
    assert vendor.name == "Before"


def test_two_edits_from_stale_copies_the_second_gets_412(client, db):
    vendor = make_vendor(db, name="Original")
    etag = client.get(f"{API}/{vendor.id}").headers["ETag"]
    first = client.patch(f"{API}/{vendor.id}", json={"name": "Alice's edit"}, headers={"If-Match": etag})
    assert first.status_code == 200
    assert first.headers["ETag"] == '"v2"'
    second = client.patch(f"{API}/{vendor.id}", json={"website": "https://bob.example.com/"}, headers={"If-Match": etag})
    assert second.status_code == 412
    assert second.json()["error"] == "PreconditionFailed"
    current = client.get(f"{API}/{vendor.id}").json()
    assert current["name"] == "Alice's edit"
    assert current["website"] != "https://bob.example.com/"


def test_patch_changes_only_what_was_sent(client, db):
    vendor = make_vendor(db, data_locations=["IE"])
    response = client.patch(
        f"{API}/{vendor.id}", json={"data_locations": ["IE", "US", "US"], "status": "active"}, headers={"If-Match": '"v1"'}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data_locations"] == ["IE", "US"]
    assert body["status"] == "active"
    assert body["legal_name"] == vendor.legal_name
    assert body["version"] == 2


def test_patch_with_an_if_match_we_never_issued_is_412(client, db):
    vendor = make_vendor(db)
    response = client.patch(f"{API}/{vendor.id}", json={"name": "x"}, headers={"If-Match": "garbage"})
    assert response.status_code == 412


@pytest.mark.parametrize("change", [{"name": None}, {"country": None}, {"legal_name": None}, {"id": 5}, {"version": 9}])
def test_patch_refuses_null_for_required_fields_and_read_only_fields(client, db, change):
    vendor = make_vendor(db, name="Kept")
    response = client.patch(f"{API}/{vendor.id}", json=change, headers={"If-Match": '"v1"'})
    assert response.status_code == 422
    db.refresh(vendor)
    assert vendor.name == "Kept" and vendor.version == 1


def test_patch_to_a_taken_legal_name_is_409(client, db):
    make_vendor(db, legal_name="Taken GmbH")
    vendor = make_vendor(db)
    response = client.patch(f"{API}/{vendor.id}", json={"legal_name": "taken gmbh"}, headers={"If-Match": '"v1"'})
    assert response.status_code == 409


def test_patch_unknown_vendor_is_404(client):
    assert client.patch(f"{API}/424242", json={"name": "x"}, headers={"If-Match": '"v1"'}).status_code == 404


# --- offboarding: nothing is ever hard-deleted ---


def test_offboard_keeps_the_vendor_and_retires_its_integrations(client, db):
    vendor = make_vendor(db)
    integration = make_integration(db, vendor)
    response = client.post(f"{API}/{vendor.id}/offboard", json={"reason": "Contract ended"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "offboarded"
    assert response.json()["offboarded_at"] is not None
    db.expire_all()
    assert db.get(Vendor, vendor.id).offboard_reason == "Contract ended"
    assert db.get(Integration, integration.id).status == "retired"


def test_an_offboarded_vendor_cannot_be_edited_or_offboarded_again(client, db):
    vendor = make_vendor(db)
    client.post(f"{API}/{vendor.id}/offboard", json={"reason": "Done"})
    etag = client.get(f"{API}/{vendor.id}").headers["ETag"]
    edit = client.patch(f"{API}/{vendor.id}", json={"name": "x"}, headers={"If-Match": etag})
    assert edit.status_code == 409
    assert edit.json()["error"] == "VendorOffboarded"
    again = client.post(f"{API}/{vendor.id}/offboard", json={"reason": "Again"})
    assert again.status_code == 409


def test_there_is_no_delete(client, db):
    vendor = make_vendor(db)
    assert client.delete(f"{API}/{vendor.id}").status_code == 405
    assert db.get(Vendor, vendor.id) is not None


def test_offboard_needs_a_reason(client, db):
    vendor = make_vendor(db)
    assert client.post(f"{API}/{vendor.id}/offboard", json={}).status_code == 422
    db.refresh(vendor)
    assert vendor.status == "prospective"


# --- lists ---


def names(page) -> list[str]:
    return [item["name"] for item in page["items"]]


def test_list_pages_with_a_cursor_until_the_end(client, db):
    for n in range(7):
        make_vendor(db, name=f"Paged {n}")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"q": "Paged", "limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get(API, params=params).json()
        assert page["total"] == 7
        seen += names(page)
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [f"Paged {n}" for n in range(7)]


def test_list_sorts_descending_and_pages_stay_consistent(client, db):
    for n in range(5):
        make_vendor(db, name=f"Sorted {n}")
    first = client.get(API, params={"q": "Sorted", "sort": "-name", "limit": 2}).json()
    second = client.get(API, params={"q": "Sorted", "sort": "-name", "limit": 2, "cursor": first["next"]}).json()
    assert names(first) + names(second) == ["Sorted 4", "Sorted 3", "Sorted 2", "Sorted 1"]


def test_list_sorted_by_creation_time_pages_through_everything(client, db):
    made = [make_vendor(db, name=f"Timed {n}").id for n in range(5)]
    ids, cursor = [], None
    while True:
        params = {"q": "Timed", "sort": "-created_at", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get(API, params=params).json()
        ids += [item["id"] for item in page["items"]]
        cursor = page["next"]
        if not cursor:
            break
    assert ids == list(reversed(made))  # newest first; created in id order


def test_list_filters_by_status_country_and_search(client, db):
    a = make_vendor(db, name="Filter Alpha", country="DE", data_locations=["DE"], status="active")
    b = make_vendor(db, name="Filter Beta", country="US", data_locations=["US", "FR"])
    make_vendor(db, name="Filter Gamma", country="GB", data_locations=["GB"])
    assert names(client.get(API, params={"q": "filter", "status": "active"}).json()) == [a.name]
    assert names(client.get(API, params={"q": "filter", "country": "FR"}).json()) == [b.name]
    assert names(client.get(API, params={"q": "FILTER ALPHA"}).json()) == [a.name]


def test_search_treats_wildcards_literally(client, db):
    make_vendor(db, name="100% Uptime Co")
    make_vendor(db, name="1000 Uptime Co")
    assert names(client.get(API, params={"q": "100%"}).json()) == ["100% Uptime Co"]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"sort": "website"}, "'name', '-name'"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"status": "gone"}, "'prospective', 'active' or 'offboarded'"),
        ({"country": "XX"}, "ISO 3166-1"),
    ],
)
def test_bad_list_parameters_are_422(client, params, fragment):
    response = client.get(API, params=params)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


def test_a_cursor_from_another_sort_is_refused(client, db):
    for n in range(3):
        make_vendor(db, name=f"Cursor {n}")
    cursor = client.get(API, params={"q": "Cursor", "limit": 1}).json()["next"]
    response = client.get(API, params={"q": "Cursor", "limit": 1, "sort": "-name", "cursor": cursor})
    assert response.status_code == 422
    assert "sort" in response.json()["detail"]


def test_a_forged_cursor_is_refused(client, db):
    import base64
    import json as _json

    for n in range(3):
        make_vendor(db, name=f"Forged {n}")
    cursor = client.get(API, params={"q": "Forged", "limit": 1}).json()["next"]
    payload, _, signature = cursor.partition(".")
    for value in ["2026-01-01T00:00:00", 10**30, "\udc00", "\x00"]:
        raw = _json.dumps({"s": "name", "k": [value, 1]}).encode()
        forged = base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + signature
        response = client.get(API, params={"q": "Forged", "limit": 1, "cursor": forged})
        assert response.status_code == 422, value
        assert "cursor" in response.json()["detail"]


def test_pages_with_equal_sort_values_neither_skip_nor_repeat(client, db):
    made = [make_vendor(db, name="Twin", legal_name=f"Twin {n} GmbH").id for n in range(5)]
    for sort in ("name", "-name", "status", "-status"):
        ids, cursor = [], None
        while True:
            params = {"q": "Twin", "sort": sort, "limit": 2} | ({"cursor": cursor} if cursor else {})
            page = client.get(API, params=params).json()
            ids += [item["id"] for item in page["items"]]
            cursor = page["next"]
            if not cursor:
                break
        assert ids == (sorted(made, reverse=True) if sort.startswith("-") else sorted(made)), sort


@pytest.mark.parametrize(("legal_name", "taken"), [("ÄCME GmbH", "äcme gmbh"), ("Straße AG", "STRASSE AG"),
                                                  ("Acme  Corp", "acme corp"), ("Ｆｕｌｌ Ltd", "Full Ltd")])
def test_spellings_of_one_legal_name_are_one_vendor(client, db, legal_name, taken):
    make_vendor(db, legal_name=taken)
    response = client.post(API, json=vendor_payload(legal_name=legal_name))
    assert response.status_code == 409, response.text


def test_an_active_vendor_cannot_go_back_to_prospective(client, db):
    vendor = make_vendor(db, status="active")
    response = client.patch(f"{API}/{vendor.id}", json={"status": "prospective"}, headers={"If-Match": '"v1"'})
    assert response.status_code == 409
    assert response.json()["error"] == "InvalidVendorTransition"


@pytest.mark.parametrize(
    ("if_match", "status"),
    [('W/"v1"', 412), ('"v7", "v1"', 200), ('"v1"', 200), ("*", 200), ('"v2"', 412), ('"1"', 412)],
)
def test_if_match_compares_strongly_and_accepts_lists(client, db, if_match, status):
    vendor = make_vendor(db)
    response = client.patch(f"{API}/{vendor.id}", json={"name": "Changed"}, headers={"If-Match": if_match})
    assert response.status_code == status, response.text


def test_an_unknown_query_parameter_is_refused_not_ignored(client, db):
    make_vendor(db, status="active")
    response = client.get(API, params={"stauts": "offboarded"})
    assert response.status_code == 422
    assert "'stauts'" in response.json()["detail"] and "status" in response.json()["detail"]
