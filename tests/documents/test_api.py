"""Documents over the API: uploads judged by their bytes, versions, computed status, download, policy facts."""

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.core.config import get_settings
from app.core.storage import StoredFile
from app.documents.models import Document
from app.main import create_app
from tests.conftest import bind_to
from tests.documents.helpers import pdf_bytes, pdf_of_size, upload
from tests.factories import make_integration, make_vendor

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


@pytest.fixture
def vendor(db):
    made = make_vendor(db)
    db.commit()
    return made


def counts(db) -> tuple[int, int]:
    return (db.scalar(select(func.count()).select_from(Document)),
            db.scalar(select(func.count()).select_from(StoredFile)))


def test_an_uploaded_dpa_is_recorded_with_its_terms_and_comes_back_byte_identical(client, db, vendor):
    content = pdf_bytes("Signed DPA, Papertrail")
    response = upload(client, vendor.id, content, signed_on="2026-01-15", effective_on="2026-02-01",
                      expires_on="2028-01-31", transfer_mechanism="scc", breach_notice_hours=48,
                      subprocessors=[{"name": "Amazon Web Services", "purpose": "Hosting", "country": "US"}])
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"/api/v1/documents/{body['id']}"
    assert body["status"] == "in_force" and body["ends_on"] == "2028-01-31" and body["media_type"] == "application/pdf"
    assert body["breach_notice_hours"] == 48 and body["subprocessors"][0]["country"] == "US"
    assert body["size"] == len(content) and body["deduplicated"] is False

    download = client.get(f"/api/v1/documents/{body['id']}/content")
    assert download.status_code == 200 and download.content == content
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == 'attachment; filename="dpa-signed.pdf"'
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["etag"] == f'"sha256:{body["sha256"]}"'
    again = client.get(f"/api/v1/documents/{body['id']}/content", headers={"If-None-Match": download.headers["etag"]})
    assert again.status_code == 304 and again.content == b""

    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "document.uploaded")).one()
    assert event.subject_id == str(body["id"]) and event.changes["sha256"]["after"] == body["sha256"]


@pytest.mark.parametrize(
    ("content", "name", "declared", "status", "error"),
    [
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "contract.pdf", "application/pdf", 415,
         "UnsupportedFileType"),
        (b"  <html><body>%PDF-1.7 hidden</body></html>", "contract.pdf", "application/pdf", 415, "UnsupportedFileType"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "report.pdf", "application/pdf", 415, "UnsupportedFileType"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "report.pdf", "application/pdf", 415, "UnsupportedFileType"),
        (b"PK\x03\x04" + b"\x00" * 200, "report.pdf", "application/pdf", 415, "UnsupportedFileType"),
        (b"", "empty.pdf", "application/pdf", 422, "EmptyFile"),
        (b"MZ\x90\x00" + b"\x00" * 100 + b"%PDF-1.7\n", "polyglot.pdf", "application/pdf", 415, "UnsupportedFileType"),
        (b"#!/bin/sh\nrm -rf ~\n%PDF-1.7\n", "script.pdf", "application/pdf", 415, "UnsupportedFileType"),
        (b"PK\x03\x04" + b"\x00" * 40 + b"%PDF-1.4", "zip.pdf", "application/pdf", 415, "UnsupportedFileType"),
    ],
    ids=["html-named-pdf", "html-hiding-a-pdf-header", "windows-exe", "linux-exe", "zip", "empty",
         "exe-with-a-pdf-header-inside", "script-with-a-pdf-header-inside", "zip-with-a-pdf-header-inside"],
)
def test_files_are_judged_by_their_bytes_and_refusals_store_nothing(client, db, vendor, content, name, declared,
                                                                       status, error):
    before = counts(db)
    response = upload(client, vendor.id, content, name=name, declared=declared)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert counts(db) == before


def test_the_declared_type_and_name_do_not_decide_what_a_file_is(client, vendor):
    response = upload(client, vendor.id, pdf_bytes(), name="scan.txt", declared="text/plain")
    assert response.status_code == 201
    assert response.json()["media_type"] == "application/pdf" and response.json()["file_name"] == "scan.pdf"
    png = upload(client, vendor.id, PNG, name="certificate.png", declared="application/octet-stream",
                 type="iso27001", title="ISO 27001 certificate", expires_on="2028-05-01")
    assert png.status_code == 201 and png.json()["media_type"] == "image/png"


@pytest.mark.parametrize(
    ("given", "served"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system32\\evil.pdf", "evil.pdf"),
        ("report\x00.exe", "report.pdf"),  # httpx sends the NUL percent-encoded, as browsers do
        ('quote" ; filename=x.sh.pdf', "quote_ _ filename_x.sh.pdf"),
        ("%2e%2e%2f%2e%2e%2fetc%2fshadow", "shadow.pdf"),
        ("Überprüfung – Vertrag.pdf", "Uberprufung Vertrag.pdf"),
        (".htaccess", "htaccess.pdf"),
        ("....", "dpa-{vendor}.pdf"),
    ],
)
def test_client_file_names_are_cleaned_and_never_locate_the_bytes(client, db, vendor, given, served):
    response = upload(client, vendor.id, pdf_bytes(given), name=given)
    assert response.status_code == 201, response.text
    body = response.json()
    expected = served.format(vendor=vendor.id)
    assert body["file_name"] == expected
    download = client.get(f"/api/v1/documents/{body['id']}/content")
    assert download.headers["content-disposition"] == f'attachment; filename="{expected}"'
    assert download.content == pdf_bytes(given)
    assert db.get(StoredFile, body["sha256"]) is not None  # stored by its hash


def test_a_raw_nul_byte_in_the_file_name_is_dropped(client, vendor):
    boundary = "rr-boundary"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\ndpa\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nDPA\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../evil\x00.sh.pdf\"\r\n"
        "Content-Type: application/pdf\r\n\r\n"
    ).encode() + pdf_bytes("nul") + f"\r\n--{boundary}--\r\n".encode()
    response = client.post(f"/api/v1/vendors/{vendor.id}/documents", content=body,
                           headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 201, response.text
    assert response.json()["file_name"] == "evil.sh.pdf"
    assert client.get(f"/api/v1/documents/{response.json()['id']}/content").content == pdf_bytes("nul")


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"type": "baa", "transfer_mechanism": "scc"}, "only for a DPA"),
        ({"effective_on": "2027-01-01", "expires_on": "2026-01-01"}, "before effective_on"),
        ({"auto_renews": True}, "needs expires_on"),
        ({"renewal_months": 12, "expires_on": "2027-01-01"}, "only when auto_renews"),
        ({"subprocessors": "[{\"name\": \"AWS\""}, "must be JSON"),
        ({"subprocessors": [{"name": "AWS", "purpose": "Hosting", "country": "USA"}]}, "ISO 3166"),
        ({"type": "contract"}, "type"),
        ({"expires_on": "31/12/2027"}, "expires_on"),
        ({"expires_on": "1900-01-01"}, "between"),
        ({"surprise": "1"}, "surprise"),
        ({"type": "pci_aoc", "title": "AoC"}, "needs a date"),
        ({"integration_ids": ["999999"]}, "do not exist"),
    ],
)
def test_bad_terms_are_refused_with_what_to_fix_and_store_nothing(client, db, vendor, fields, fragment):
    before = counts(db)
    response = upload(client, vendor.id, **fields)
    assert response.status_code == 422, response.text
    assert fragment in response.text
    assert counts(db) == before


def test_an_unknown_vendor_is_404_and_stores_nothing(client, db):
    before = counts(db)
    assert upload(client, 999999).status_code == 404
    assert counts(db) == before


def test_documents_can_cover_named_integrations_of_their_own_vendor_only(client, db, vendor):
    mine = make_integration(db, vendor)
    other = make_integration(db, make_vendor(db))
    db.commit()
    ok = upload(client, vendor.id, integration_ids=[str(mine.id)])
    assert ok.status_code == 201 and ok.json()["integration_ids"] == [mine.id]
    refused = upload(client, vendor.id, pdf_bytes("x"), integration_ids=[str(other.id)])
    assert refused.status_code == 422 and str(other.id) in refused.json()["detail"]


def test_identical_bytes_are_stored_once(client, db, vendor):
    first = upload(client, vendor.id, pdf_bytes("same"))
    second = upload(client, vendor.id, pdf_bytes("same"), type="msa", title="Master agreement")
    assert first.status_code == second.status_code == 201
    assert second.json()["deduplicated"] is True and first.json()["sha256"] == second.json()["sha256"]
    assert counts(db) == (2, 1)


def test_a_new_version_supersedes_the_old_keeps_it_and_shows_subprocessor_changes(client, vendor):
    v1 = upload(client, vendor.id, pdf_bytes("v1"), subprocessors=[
        {"name": "Amazon Web Services", "purpose": "Hosting", "country": "US"},
        {"name": "Zendesk", "purpose": "Support", "country": "US"},
        {"name": "Mailgun", "purpose": "E-mail", "country": "US"},
    ]).json()
    v2 = upload(client, vendor.id, pdf_bytes("v2"), supersedes_id=v1["id"], subprocessors=[
        {"name": "amazon web services", "purpose": "Hosting", "country": "DE"},
        {"name": "Mailgun", "purpose": "Transactional e-mail", "country": "US"},
        {"name": "Snowflake", "purpose": "Analytics", "country": "US"},
    ])
    assert v2.status_code == 201, v2.text
    old = client.get(f"/api/v1/documents/{v1['id']}").json()
    assert old["status"] == "superseded" and old["superseded_by_id"] == v2.json()["id"]
    assert client.get(f"/api/v1/documents/{v1['id']}/content").content == pdf_bytes("v1")  # kept, byte for byte
    changes = {c["name"]: c["change"] for c in client.get(f"/api/v1/documents/{v2.json()['id']}").json()[
        "subprocessor_changes"]}
    assert changes == {"amazon web services": "country_changed", "Mailgun": "purpose_changed",
                       "Snowflake": "added", "Zendesk": "removed"}
    versions = client.get(f"/api/v1/documents/{v1['id']}/versions").json()
    assert [d["id"] for d in versions["items"]] == [v1["id"], v2.json()["id"]]
    assert client.get(f"/api/v1/documents/{v1['id']}").json()["subprocessor_changes"] is None


def test_a_renewal_taking_effect_later_leaves_today_s_agreement_in_force_and_history_unchanged(client, vendor):
    today = date.today()
    v1 = upload(client, vendor.id, pdf_bytes("v1"), effective_on=(today - timedelta(days=300)).isoformat(),
                expires_on=(today + timedelta(days=400)).isoformat()).json()
    renewal_starts = today + timedelta(days=100)
    v2 = upload(client, vendor.id, pdf_bytes("v2"), supersedes_id=v1["id"], effective_on=renewal_starts.isoformat(),
                expires_on=(today + timedelta(days=900)).isoformat()).json()
    assert client.get(f"/api/v1/documents/{v1['id']}").json()["status"] == "in_force"
    assert client.get(f"/api/v1/documents/{v2['id']}").json()["status"] == "pending"
    assert client.get(f"/api/v1/vendors/{vendor.id}/policy-facts").json()["dpa_document_id"] == v1["id"]
    later = {"on": (renewal_starts + timedelta(days=1)).isoformat()}
    assert client.get(f"/api/v1/documents/{v1['id']}", params=later).json()["status"] == "superseded"
    assert client.get(f"/api/v1/vendors/{vendor.id}/policy-facts", params=later).json()["dpa_document_id"] == v2["id"]


def test_far_future_days_are_refused_not_looped_over(client, vendor):
    upload(client, vendor.id, type="msa", title="MSA", expires_on="2027-01-31", auto_renews=True, renewal_months=1)
    assert client.get("/api/v1/documents", params={"on": "9999-12-31"}).status_code == 422
    assert client.get("/api/v1/documents", params={"on": "2200-12-31"}).status_code == 200


def test_a_version_is_superseded_once_and_only_by_its_own_kind(client, db, vendor):
    v1 = upload(client, vendor.id, pdf_bytes("v1")).json()
    assert upload(client, vendor.id, pdf_bytes("v2"), supersedes_id=v1["id"]).status_code == 201
    before = counts(db)
    twice = upload(client, vendor.id, pdf_bytes("v2b"), supersedes_id=v1["id"])
    assert twice.status_code == 409 and twice.json()["error"] == "DocumentAlreadySuperseded"
    other_kind = upload(client, vendor.id, pdf_bytes("baa"), type="baa", title="BAA", supersedes_id=v1["id"])
    assert other_kind.status_code == 422 and "cannot supersede" in other_kind.json()["detail"]
    elsewhere = make_vendor(db)
    db.commit()
    assert upload(client, elsewhere.id, pdf_bytes("x"), supersedes_id=v1["id"]).status_code == 422
    assert counts(db) == before


def test_status_is_computed_for_the_day_asked_and_filters_the_list(client, vendor):
    today = date.today()
    soon = (today + timedelta(days=10)).isoformat()
    gone = (today - timedelta(days=1)).isoformat()
    far = (today + timedelta(days=400)).isoformat()
    ids = {
        "expiring": upload(client, vendor.id, pdf_bytes("a"), expires_on=soon).json()["id"],
        "expired": upload(client, vendor.id, pdf_bytes("b"), type="baa", title="BAA", expires_on=gone).json()["id"],
        "in_force": upload(client, vendor.id, pdf_bytes("c"), type="msa", title="MSA", expires_on=far, auto_renews=True,
                           notice_days=30).json()["id"],
    }
    listed = client.get(f"/api/v1/vendors/{vendor.id}/documents").json()
    assert {d["id"]: d["status"] for d in listed["items"]} == {v: k for k, v in ids.items()}
    assert listed["items"][0]["id"] == max(ids.values())  # newest first
    msa = next(d for d in listed["items"] if d["id"] == ids["in_force"])
    assert msa["notice_deadline_on"] == (today + timedelta(days=370)).isoformat()
    for status, doc_id in ids.items():
        filtered = client.get(f"/api/v1/vendors/{vendor.id}/documents", params={"status": status}).json()
        assert [d["id"] for d in filtered["items"]] == [doc_id]
    assert [d["id"] for d in client.get(f"/api/v1/vendors/{vendor.id}/documents",
                                        params={"type": "baa"}).json()["items"]] == [ids["expired"]]
    last_month = (today - timedelta(days=30)).isoformat()
    back_then = client.get(f"/api/v1/documents/{ids['expired']}", params={"on": last_month}).json()
    assert back_then["status"] == "expiring" and back_then["status_on"] == last_month
    everywhere = client.get("/api/v1/documents", params={"status": "expired"}).json()
    assert [d["id"] for d in everywhere["items"]] == [ids["expired"]]
    assert client.get(f"/api/v1/vendors/{vendor.id}/documents", params={"status": "bogus"}).status_code == 422
    assert client.get("/api/v1/vendors/999999/documents").status_code == 404


def test_policy_facts_say_what_is_in_force_and_which_transfers_are_covered(client, db, vendor):
    make_integration(db, vendor, transfer_countries=["US", "DE", "IN"])
    db.commit()
    empty = client.get(f"/api/v1/vendors/{vendor.id}/policy-facts").json()
    assert empty["dpa_in_force"] is False and empty["transfer_countries"] == {"DE": True, "IN": False, "US": False}
    dpa = upload(client, vendor.id, transfer_mechanism="dpf").json()
    baa = upload(client, vendor.id, pdf_bytes("baa"), type="baa", title="BAA").json()
    facts = client.get(f"/api/v1/vendors/{vendor.id}/policy-facts").json()
    assert facts["dpa_in_force"] and facts["dpa_document_id"] == dpa["id"] and facts["baa_document_id"] == baa["id"]
    assert facts["pci_aoc_in_date"] is False
    assert facts["transfer_mechanisms"] == {"dpf": dpa["id"]}
    assert facts["transfer_countries"] == {"DE": True, "IN": False, "US": True}  # DPF covers the US only
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    assert client.get(f"/api/v1/vendors/{vendor.id}/policy-facts", params={"on": yesterday}).json()["on"] == yesterday


def test_every_reader_downloads_but_only_uploaders_upload(anonymous, auth_headers, db, vendor):
    doc = upload(anonymous, vendor.id, headers=auth_headers("procurement")).json()
    assert upload(anonymous, vendor.id, pdf_bytes("e"), headers=auth_headers("engineer")).status_code == 403
    assert upload(anonymous, vendor.id, pdf_bytes("a"), headers=auth_headers("auditor")).status_code == 403
    assert anonymous.get(f"/api/v1/documents/{doc['id']}/content", headers=auth_headers("auditor")).status_code == 200
    assert anonymous.get(f"/api/v1/documents/{doc['id']}/content").status_code == 401
    assert counts(db) == (1, 1)


@pytest.fixture
def small_limit(monkeypatch, connection):
    """An app whose upload limit is 4 KiB (the body limit follows it)."""
    monkeypatch.setenv("RISKREG_MAX_UPLOAD_BYTES", "4096")
    get_settings.cache_clear()
    yield bind_to(create_app(load_questionnaires=False), connection)
    get_settings.cache_clear()


def test_a_file_over_the_upload_limit_is_413_and_stores_nothing(small_limit, auth_headers, db, vendor):
    with TestClient(small_limit, raise_server_exceptions=False, headers=auth_headers("admin")) as c:
        before = counts(db)
        just_over = upload(c, vendor.id, pdf_of_size(4097))
        assert just_over.status_code == 413 and just_over.json()["error"] == "DocumentTooLarge"
        far_over = upload(c, vendor.id, pdf_bytes(pad=2_000_000))
        assert far_over.status_code == 413 and far_over.json()["error"] == "PayloadTooLarge"
        assert counts(db) == before
        assert upload(c, vendor.id, pdf_of_size(4096)).status_code == 201  # exactly the limit


@pytest.mark.parametrize("value", ["0", "1700000000", "2026-13-01", "29/11/2026", "2026-11-29T00:00:00Z"])
def test_the_status_day_must_be_a_calendar_date(client, vendor, value):
    response = client.get("/api/v1/documents", params={"on": value})
    assert response.status_code == 422 and "YYYY-MM-DD" in response.text
