"""Vendor and document pages: the list (search, filters, paging), registration (success, field errors, a
duplicate), a vendor's page, uploads (stored, or refused with the message next to the file and nothing stored),
the document page and its download."""

import pytest
from sqlalchemy import func, select

from app.assessments.models import Assessment
from app.documents.models import Document
from app.vendors.models import Vendor
from tests.documents.helpers import pdf_bytes
from tests.factories import make_integration, make_user, make_vendor
from tests.web.helpers import PASSWORD, csrf_of, post_login


def sign_in(db, client, role: str) -> None:
    user = make_user(db, role=role, password=PASSWORD)
    db.commit()
    assert post_login(client, user.email).status_code == 303


def documents(db) -> int:
    return db.scalar(select(func.count()).select_from(Document))


@pytest.fixture
def procurement(db, anonymous):
    sign_in(db, anonymous, "procurement")
    return anonymous


def test_the_list_searches_filters_and_pages_without_loading_everything(db, procurement, monkeypatch):
    make_vendor(db, name="Alpha Mail", legal_name="Alpha Mail Inc.", country="US", data_locations=["US"])
    make_vendor(db, name="Beta Logs", legal_name="Beta Logs GmbH", country="DE", data_locations=["DE"], status="active")
    gamma = make_vendor(db, name="Gamma Mail", legal_name="Gamma Mail Ltd", country="IE", data_locations=["IE"],
                        status="active")
    make_integration(db, gamma)
    make_vendor(db, name="<script>alert(1)</script>", legal_name="Evil {{7*7}} Ltd")
    db.commit()

    page = procurement.get("/vendors", params={"q": "mail"})
    assert page.status_code == 200 and page.template.name == "vendors/list.html"
    assert [v.name for v in page.context["vendors"]] == ["Alpha Mail", "Gamma Mail"]
    assert page.context["integration_counts"] == {gamma.id: 1}
    assert 'href="/vendors/new">Register a vendor' in page.text

    active = procurement.get("/vendors", params={"status": "active", "country": "de"})
    assert [v.name for v in active.context["vendors"]] == ["Beta Logs"] and active.context["total"] == 1

    everything = procurement.get("/vendors")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in everything.text and "<script>alert(1)" not in everything.text
    assert "Evil {{7*7}} Ltd" in everything.text

    refused = procurement.get("/vendors", params={"status": "gone", "sort": "password"})
    assert refused.status_code == 200 and len(refused.context["problems"]) == 2 and refused.context["total"] == 4

    monkeypatch.setattr("app.vendors.pages.PAGE_SIZE", 2)
    first = procurement.get("/vendors", params={"q": "a", "sort": "-name"})
    assert first.context["total"] == 4 and len(first.context["vendors"]) == 2 and first.context["next"]
    assert "Next page" in first.text
    second = procurement.get("/vendors", params={"q": "a", "sort": "-name", "cursor": first.context["next"]})
    names = [v.name for v in first.context["vendors"]] + [v.name for v in second.context["vendors"]]
    assert names == sorted(names, reverse=True) and len(set(names)) == 4 and second.context["next"] is None
    stale = procurement.get("/vendors", params={"sort": "name", "cursor": first.context["next"]})
    assert stale.status_code == 200 and "first page" in stale.context["problems"][0]


def test_an_auditor_reads_the_list_but_is_offered_no_registration(db, anonymous):
    sign_in(db, anonymous, "auditor")
    assert "Register a vendor" not in anonymous.get("/vendors").text
    assert anonymous.get("/vendors/new").status_code == 403


def test_registering_a_vendor_redirects_to_its_page_with_a_notice(db, procurement):
    form = procurement.get("/vendors/new")
    assert form.status_code == 200 and form.template.name == "vendors/new.html"
    response = procurement.post("/vendors/new", data={
        "csrf_token": csrf_of(form), "legal_name": "Papertrail Inc.", "name": "Papertrail",
        "website": "https://www.papertrail.com/", "country": "US", "data_locations": "us, DE", "status": "active",
        "subprocessors-0-name": "Amazon Web Services", "subprocessors-0-purpose": "Hosting", "subprocessors-0-country": "US",
        "subprocessors-1-name": "", "subprocessors-1-purpose": "", "subprocessors-1-country": "",
        "contacts-0-name": "Security team", "contacts-0-email": "security@papertrail.example", "contacts-0-role": "",
        "action": "create",
    }, follow_redirects=False)
    assert response.status_code == 303, response.text
    vendor = db.scalars(select(Vendor).where(Vendor.legal_name == "Papertrail Inc.")).one()
    assert response.headers["location"] == f"/vendors/{vendor.id}"
    assert vendor.data_locations == ["US", "DE"] and vendor.status == "active"
    assert vendor.subprocessors == [{"name": "Amazon Web Services", "purpose": "Hosting", "country": "US"}]
    assert vendor.contacts == [{"name": "Security team", "email": "security@papertrail.example", "role": None}]
    page = procurement.get(response.headers["location"])
    assert page.status_code == 200 and "Registered Papertrail." in page.text


def test_a_refused_registration_keeps_the_values_and_puts_each_error_by_its_field(db, procurement):
    token = csrf_of(procurement.get("/vendors/new"))
    base = {"csrf_token": token, "legal_name": "Acme Ltd", "name": "Acme", "action": "create"}
    page = procurement.post("/vendors/new", data={**base, "website": "not a url", "country": "",
                                                  "contacts-0-name": "Ops", "contacts-0-email": "nope"})
    assert page.status_code == 422 and page.template.name == "vendors/new.html"
    errors = page.context["errors"]
    assert set(errors) == {"website", "country", "contacts-0-email"}
    assert "https://" in errors["website"] and errors["country"] == "Fill this in."
    assert 'aria-describedby="website-help website-error"' in page.text and 'value="Acme Ltd"' in page.text
    assert db.scalar(select(func.count()).select_from(Vendor)) == 0

    wrong_code = procurement.post("/vendors/new", data={**base, "country": "US", "data_locations": "UK"})
    assert "did you mean 'GB'" in wrong_code.context["errors"]["data_locations"]
    assert "allowed values" not in wrong_code.text

    more = procurement.post("/vendors/new", data={**base, "action": "add_contact"})
    assert more.status_code == 200 and len(more.context["contact_rows"]) == 3

    make_vendor(db, legal_name="ACME  ltd")
    db.commit()
    duplicate = procurement.post("/vendors/new", data={**base, "country": "GB"})
    assert duplicate.status_code == 409 and "already registered" in duplicate.context["errors"]["legal_name"]
    assert 'id="legal_name-error"' in duplicate.text


def test_a_vendors_page_shows_its_integrations_assessments_and_upload_form(db, procurement):
    vendor = make_vendor(db, name="Zendesk", legal_name="Zendesk Inc.")
    integration = make_integration(db, vendor, name="Support desk")
    other = make_integration(db, name="Someone else's")
    for of in (integration, other):
        db.add(Assessment(integration_id=of.id, snapshot={}, inherent_tier="medium", residual_tier="low", verdict="pass"))
    db.commit()
    page = procurement.get(f"/vendors/{vendor.id}")
    assert page.status_code == 200 and page.template.name == "vendors/detail.html"
    assert f'href="/integrations/{integration.id}"' in page.text
    assessments = page.context["assessments"]
    assert [(view.assessment.integration_id, view.state, name) for view, name in assessments] == [
        (integration.id, "in_review", "Support desk")]
    assert f'href="/assessments/{assessments[0][0].assessment.id}"' in page.text
    assert f'href="/vendors/{vendor.id}/integrations/new"' in page.text
    assert 'enctype="multipart/form-data"' in page.text and '<label for="file">File' in page.text

    missing = procurement.get("/vendors/999999")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "No vendor with id 999999." in missing.text


def test_an_upload_is_stored_then_listed_downloaded_and_versioned(db, procurement):
    vendor = make_vendor(db)
    db.commit()
    token = csrf_of(procurement.get(f"/vendors/{vendor.id}"))
    content = pdf_bytes("Signed DPA")
    response = procurement.post(f"/vendors/{vendor.id}/documents", data={
        "csrf_token": token, "type": "dpa", "title": "DPA 2026", "effective_on": "2026-01-01",
        "expires_on": "2030-12-31", "transfer_mechanism": "scc", "subprocessors": "Amazon Web Services | Hosting | us",
    }, files={"file": ("../../etc/dpa.pdf", content, "application/pdf")}, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/vendors/{vendor.id}#documents"
    document = db.scalars(select(Document).where(Document.vendor_id == vendor.id)).one()
    assert document.title == "DPA 2026" and document.subprocessors[0]["country"] == "US"
    page = procurement.get(f"/vendors/{vendor.id}")
    assert f"Uploaded “DPA 2026” as document #{document.id}." in page.text
    assert f'href="/documents/{document.id}/file"' in page.text and "in force" in page.text

    download = procurement.get(f"/documents/{document.id}/file")
    assert download.status_code == 200 and download.content == content
    assert download.headers["content-disposition"] == 'attachment; filename="dpa.pdf"'
    assert download.headers["x-content-type-options"] == "nosniff"

    newer = procurement.post(f"/vendors/{vendor.id}/documents", data={
        "csrf_token": token, "type": "dpa", "title": "DPA 2027", "effective_on": "2026-06-01",
        "supersedes_id": str(document.id),
        "subprocessors": "Amazon Web Services | Hosting | US\nCloudflare | CDN | US",
    }, files={"file": ("dpa-2027.pdf", pdf_bytes("DPA 2027"), "application/pdf")}, follow_redirects=False)
    assert newer.status_code == 303
    latest = db.scalars(select(Document).where(Document.supersedes_id == document.id)).one()
    detail = procurement.get(f"/documents/{latest.id}")
    assert detail.status_code == 200 and detail.template.name == "documents/detail.html"
    assert [v.document.id for v in detail.context["versions"]] == [document.id, latest.id]
    assert [c["name"] for c in detail.context["changes"]] == ["Cloudflare"]
    chains = procurement.get(f"/vendors/{vendor.id}").context["chains"]
    assert [[v.document.id for v in chain] for chain in chains] == [[latest.id, document.id]]


def test_a_refused_upload_shows_the_vendor_page_again_with_the_reason_by_the_file_and_stores_nothing(db, procurement):
    vendor = make_vendor(db)
    db.commit()
    token = csrf_of(procurement.get(f"/vendors/{vendor.id}"))
    fields = {"csrf_token": token, "type": "dpa", "title": "Looks like a PDF", "notes": "kept"}
    html = b"<!doctype html><html><body>%PDF-1.7 not really</body></html>"
    page = procurement.post(f"/vendors/{vendor.id}/documents", data=fields,
                            files={"file": ("agreement.pdf", html, "application/pdf")})
    assert page.status_code == 415 and page.template.name == "vendors/detail.html"
    assert "not a PDF, PNG or JPEG" in page.context["upload"].errors["file"]
    assert 'id="file-error"' in page.text and "kept</textarea>" in page.text
    assert documents(db) == 0

    invalid = procurement.post(f"/vendors/{vendor.id}/documents", data={
        **fields, "effective_on": "2027-01-01", "expires_on": "2026-01-01", "subprocessors": "just a name"},
        files={"file": ("dpa.pdf", pdf_bytes(), "application/pdf")})
    assert invalid.status_code == 422
    errors = invalid.context["upload"].errors
    assert "“Expires on” is before “In force from”" in errors["expires_on"] and "Line 1" in errors["subprocessors"]

    no_file = procurement.post(f"/vendors/{vendor.id}/documents", data=fields,
                               files={"file": ("", b"", "application/octet-stream")})
    assert no_file.status_code == 422 and "Choose the file" in no_file.context["upload"].errors["file"]
    assert documents(db) == 0


def test_uploading_needs_the_permission_and_a_token(db, anonymous):
    vendor = make_vendor(db)
    db.commit()
    sign_in(db, anonymous, "engineer")
    page = anonymous.get(f"/vendors/{vendor.id}")
    assert page.status_code == 200 and "Upload a document" not in page.text
    refused = anonymous.post(f"/vendors/{vendor.id}/documents", data={"csrf_token": csrf_of(page), "type": "dpa",
                                                                      "title": "x"},
                             files={"file": ("dpa.pdf", pdf_bytes(), "application/pdf")})
    assert refused.status_code == 403 and documents(db) == 0
