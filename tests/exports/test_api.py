"""Exports over the API and the CLI: each list as CSV and XLSX with the list's filters, the register
workbook, the record of processing (CSV, XLSX, PDF), formula neutralisation, paging, and atomic CLI files."""

import csv
import io
import os
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.assessments import render
from app.assessments import service as assessment_service
from app.assessments.models import Assessment
from app.core.storage import StoredFile
from app.exports import service as export_service
from app.exports import tables
from tests.auth.test_cli import Cli, new_cli
from tests.conftest import ScratchDatabases
from tests.dataflows.estate import FixtureEstate, make_fixture_estate
from tests.documents.helpers import pdf_bytes, upload
from tests.factories import make_integration, make_vendor
from tests.test_cli import assert_clean_failure

HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.fixture
def estate(db, client) -> FixtureEstate:
    return make_fixture_estate(db, client, zendesk=HYPERLINK, support="@SUM(1+1)")


@pytest.fixture(autouse=True)
def _small_pages(monkeypatch):
    """Three rows per keyset page, so that even a small register is read across several pages."""
    monkeypatch.setattr(export_service, "BATCH", 3)


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="riskreg-')
    assert response.headers["cache-control"] == "private, no-store"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def workbook(response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == export_service_xlsx_type()
    assert int(response.headers["content-length"]) == len(response.content)
    return load_workbook(io.BytesIO(response.content))


def export_service_xlsx_type() -> str:
    from app.exports.writers import XLSX_MEDIA_TYPE

    return XLSX_MEDIA_TYPE


def listed_ids(client, path: str, **params) -> list[int]:
    ids, cursor = [], None
    while True:
        page = client.get(path, params={**params, "limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        ids += [item["id"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            return ids


def test_vendors_csv_round_trips_and_neutralises_a_formula_name(client, estate):
    rows = csv_rows(client.get("/api/v1/exports/vendors.csv"))

    assert list(rows[0]) == list(tables.VENDOR_COLUMNS)
    assert [int(r["id"]) for r in rows] == listed_ids(client, "/api/v1/vendors")
    zendesk = next(r for r in rows if int(r["id"]) == estate.zendesk)
    assert zendesk["name"] == "'" + HYPERLINK  # a spreadsheet shows the text, runs nothing
    assert zendesk["data_locations"] == "IE"
    assert zendesk["subprocessors"] == "Amazon Web Services (Hosting, IE); Support Co (Tier-1 support, IN)"
    api = client.get(f"/api/v1/vendors/{estate.zendesk}").json()
    assert zendesk["legal_name"] == api["legal_name"] and zendesk["status"] == api["status"]
    assert datetime.fromisoformat(zendesk["created_at"].replace("Z", "+00:00")) == \
        datetime.fromisoformat(api["created_at"].replace("Z", "+00:00")).replace(microsecond=0)


def test_vendors_xlsx_round_trips_and_keeps_the_formula_name_as_text(client, estate):
    sheet = workbook(client.get("/api/v1/exports/vendors.xlsx"))["Vendors"]
    rows = list(sheet.iter_rows(values_only=True))

    assert rows[0] == tables.VENDOR_COLUMNS
    assert [r[0] for r in rows[1:]] == listed_ids(client, "/api/v1/vendors")
    cell = next(row[2] for row in sheet.iter_rows(min_row=2) if row[0].value == estate.zendesk)
    assert cell.value == HYPERLINK and cell.data_type == "s" and cell.quotePrefix


@pytest.mark.parametrize("params", [
    {"status": "prospective"}, {"country": "IE"}, {"q": "mail"}, {"sort": "-name"}, {"sort": "created_at"},
])
def test_vendor_exports_take_the_lists_filters(client, estate, params):
    expected = listed_ids(client, "/api/v1/vendors", **params)
    assert [int(r["id"]) for r in csv_rows(client.get("/api/v1/exports/vendors.csv", params=params))] == expected
    sheet = workbook(client.get("/api/v1/exports/vendors.xlsx", params=params))["Vendors"]
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == expected


@pytest.mark.parametrize("params", [
    {}, {"data_category": "customer_personal"}, {"country": "US"}, {"kind": "heroku_addon"}, {"status": "approved"},
    {"tier": "medium"}, {"sort": "-created_at"}, {"vendor": "zendesk"},
])
def test_integration_exports_take_the_lists_filters(client, estate, params):
    if "vendor" in params:
        params = {"vendor_id": getattr(estate, params["vendor"])}
    expected = listed_ids(client, "/api/v1/integrations", **params)
    rows = csv_rows(client.get("/api/v1/exports/integrations.csv", params=params))
    assert [int(r["id"]) for r in rows] == expected
    for row in rows:
        api = client.get(f"/api/v1/integrations/{row['id']}").json()
        assert row["data_categories"] == "; ".join(api["data_categories"])
        assert row["inherent_tier"] == api["inherent_tier"] and row["vendor_id"] == str(api["vendor_id"])


def test_integrations_csv_names_the_vendor_and_neutralises_every_column(client, estate):
    rows = {int(r["id"]): r for r in csv_rows(client.get("/api/v1/exports/integrations.csv"))}
    support = rows[estate.support]
    assert support["name"] == "'@SUM(1+1)" and support["vendor"] == "'" + HYPERLINK
    assert support["transfer_countries"] == "IN"
    assert rows[estate.retired]["status"] == "retired"  # the register export has every row, retired too


def test_a_bad_filter_is_refused_before_anything_is_streamed(client, estate):
    assert client.get("/api/v1/exports/vendors.csv", params={"sort": "website"}).status_code == 422
    assert client.get("/api/v1/exports/integrations.csv", params={"stauts": "approved"}).status_code == 422
    missing = client.get("/api/v1/exports/documents.csv", params={"vendor_id": 999999})
    assert missing.status_code == 404 and missing.json()["error"] == "VendorNotFound"


def test_documents_export_with_status_and_type_filters(client, estate):
    rows = csv_rows(client.get("/api/v1/exports/documents.csv"))
    assert [int(r["id"]) for r in rows] == sorted([estate.zendesk_dpa, estate.mailgun_dpa], reverse=True)
    mailgun = next(r for r in rows if int(r["id"]) == estate.mailgun_dpa)
    assert mailgun["transfer_mechanism"] == "dpf" and mailgun["status"] == "in_force" and len(mailgun["sha256"]) == 64
    assert mailgun["status_on"] == date.today().isoformat()

    on_old_day = csv_rows(client.get("/api/v1/exports/documents.csv", params={"on": "2024-01-01", "status": "pending"}))
    assert {int(r["id"]) for r in on_old_day} == {estate.zendesk_dpa, estate.mailgun_dpa}
    assert csv_rows(client.get("/api/v1/exports/documents.csv", params={"type": "baa"})) == []
    only = csv_rows(client.get("/api/v1/exports/documents.csv", params={"vendor_id": estate.mailgun}))
    assert [int(r["id"]) for r in only] == [estate.mailgun_dpa]
    sheet = workbook(client.get("/api/v1/exports/documents.xlsx", params={"vendor_id": estate.mailgun}))["Documents"]
    row = dict(zip(tables.DOCUMENT_COLUMNS, next(sheet.iter_rows(min_row=2, values_only=True)), strict=True))
    assert row["id"] == estate.mailgun_dpa and row["effective_on"] == datetime(2025, 1, 1)


def test_addons_export_by_approval(client, estate):
    rows = csv_rows(client.get("/api/v1/exports/addons.csv"))
    assert {(r["name"], r["approval"]) for r in rows} == {("redis-shadowy-1", "shadow"), ("redis-gone-2", "gone")}
    shadow = csv_rows(client.get("/api/v1/exports/addons.csv", params={"status": "shadow"}))
    assert [r["name"] for r in shadow] == ["redis-shadowy-1"]
    assert shadow[0]["vendor"] == "Heroku" and shadow[0]["plan_compliance"] == "unknown"
    assert shadow[0]["app"] == "acme-web" and shadow[0]["plan"] == "heroku-redis:mini"


def _stored(db, n: int) -> str:
    sha = f"{n:064x}"
    db.add(StoredFile(sha256=sha, size=10, media_type="application/pdf", backend="database"))
    db.flush()
    return sha


def _assessment(db, integration_id: int, *, status: str, n: int, valid_until: date | None = None) -> Assessment:
    signed = status == "signed"
    row = Assessment(integration_id=integration_id, status=status, snapshot={"n": n}, inherent_tier="medium",
                     assurance=72.5, residual_tier="low", verdict="pass", decision="approve" if status != "in_review" else None,
                     conditions=["Review in a year"] if signed else [], signer="legal@example.com" if signed else None,
                     signed_at=datetime(2026, 1, n, tzinfo=UTC) if signed else None, valid_until=valid_until,
                     record_sha256=_stored(db, n) if signed else None)
    db.add(row)
    db.flush()
    return row


def test_assessments_export_with_their_state_as_the_assessment_api_computes_it(client, db, estate):
    today = date.today()
    other = make_integration(db, make_vendor(db), name="Other")
    first = _assessment(db, estate.logs, status="signed", n=1, valid_until=today + timedelta(days=300))
    second = _assessment(db, estate.logs, status="signed", n=2, valid_until=today + timedelta(days=300))
    expired = _assessment(db, other.id, status="signed", n=3, valid_until=today - timedelta(days=1))  # type: ignore[arg-type]
    draft = _assessment(db, estate.support, status="in_review", n=4)
    db.commit()

    rows = {int(r["id"]): r for r in csv_rows(client.get("/api/v1/exports/assessments.csv"))}

    assert list(rows) == [first.id, second.id, expired.id, draft.id]
    for assessment in (first, second, expired, draft):
        view = assessment_service.state_of(db, assessment, today=today)
        assert rows[assessment.id]["state"] == view.state  # type: ignore[index]
        assert rows[assessment.id]["superseded_by_id"] == str(view.superseded_by_id or "")  # type: ignore[index]
    assert rows[first.id]["state"] == "superseded" and rows[expired.id]["state"] == "expired"  # type: ignore[index]
    assert rows[draft.id]["vendor"] == "'" + HYPERLINK and rows[first.id]["conditions"] == "Review in a year"  # type: ignore[index]
    signed_only = csv_rows(client.get("/api/v1/exports/assessments.csv",
                                      params={"status": "signed", "integration_id": estate.logs}))
    assert [int(r["id"]) for r in signed_only] == [first.id, second.id]


def test_the_register_workbook_has_a_sheet_per_list(client, db, estate):
    book = workbook(client.get("/api/v1/exports/register.xlsx"))

    assert book.sheetnames == ["Vendors", "Integrations", "Documents", "Assessments", "Add-ons"]
    counts = {name: book[name].max_row - 1 for name in book.sheetnames}
    assert counts == {"Vendors": 4, "Integrations": 4, "Documents": 2, "Assessments": 0, "Add-ons": 2}
    assert [c.value for c in book["Integrations"][1]] == list(tables.INTEGRATION_COLUMNS)
    names = [row[2] for row in book["Vendors"].iter_rows(min_row=2)]
    hostile = next(c for c in names if c.value == HYPERLINK)
    assert hostile.data_type == "s" and hostile.quotePrefix


def test_the_record_of_processing_as_csv_and_xlsx(client, estate):
    rows = {int(r["vendor_id"]): r for r in csv_rows(client.get("/api/v1/exports/record-of-processing.csv"))}

    assert set(rows) == {estate.papertrail, estate.zendesk, estate.mailgun}  # the shadow add-on's vendor is not a recipient
    zendesk = rows[estate.zendesk]
    assert zendesk["vendor"] == "'" + HYPERLINK
    assert zendesk["purposes"] == "Customer support ticketing" and zendesk["data_categories"] == "customer_personal"
    assert zendesk["countries"] == "IE; IN" and zendesk["third_countries"] == "IN"
    assert zendesk["transfers_without_mechanism"] == "IN" and zendesk["transfer_mechanisms"] == ""
    assert zendesk["dpa_document_id"] == str(estate.zendesk_dpa) and zendesk["dpa_title"] == "Zendesk DPA"
    assert zendesk["dpa_effective_on"] == "2025-01-01" and zendesk["dpa_status"] == "in_force"
    mailgun = rows[estate.mailgun]
    assert mailgun["data_categories"] == "business_contact; phi"
    assert mailgun["transfer_mechanisms"] == f"dpf (document {estate.mailgun_dpa})"
    assert "BAA" in mailgun["findings"]
    assert rows[estate.papertrail]["dpa_status"] == "not needed"

    sheet = workbook(client.get("/api/v1/exports/record-of-processing.xlsx"))["Record of processing"]
    xlsx = {r[0]: dict(zip(tables.RECORD_COLUMNS, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert xlsx[estate.zendesk]["vendor"] == HYPERLINK
    assert xlsx[estate.zendesk]["dpa_effective_on"] == datetime(2025, 1, 1)
    assert xlsx[estate.zendesk]["third_countries"] == "IN"


def test_the_record_of_processing_pdf_names_every_recipient(client, db, estate):
    make_integration(db, make_vendor(db, name="<b>Bold Analytics</b>", country="DE", data_locations=["DE"]),
                     name="Product analytics", data_categories=["customer_personal"], transfer_countries=["DE"])
    db.commit()
    try:
        response = client.get("/api/v1/exports/record-of-processing.pdf")
    finally:
        render.shutdown_pool()

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    squeezed = "".join(text.split())  # a narrow column wraps long names onto two lines
    for name in ("Papertrail", "Mailgun", HYPERLINK, "<b>Bold Analytics</b>", "Zendesk DPA", "Support Co"):
        assert "".join(name.split()) in squeezed, name
    assert "Record of processing: recipients and transfers" in text
    assert "Heroku" not in text  # its only flow is a shadow add-on: on the map, not a recorded recipient


def test_the_record_gives_the_term_in_force_of_an_auto_renewing_dpa(client, db, estate):
    # Its stated expiry (2023) is long past, yet it is in force: the record must say until when, or an auditor
    # reads "expires 2023-01-01, in force" as a lapsed DPA.
    vendor = make_vendor(db, name="Renewing Ltd", country="DE", data_locations=["DE"], subprocessors=[])
    make_integration(db, vendor, name="CRM", data_categories=["customer_personal"], transfer_countries=["DE"])
    db.commit()
    dpa = upload(client, vendor.id, pdf_bytes("Renewing DPA"), type="dpa", title="Renewing DPA",
                 effective_on="2022-01-01", expires_on="2023-01-01", auto_renews=True, renewal_months=12)
    assert dpa.status_code == 201, dpa.text
    baa = upload(client, vendor.id, pdf_bytes("Renewing BAA"), type="baa", title="Renewing BAA",
                 effective_on="2022-01-01", expires_on="2023-01-01", auto_renews=True, renewal_months=12)
    assert baa.status_code == 201, baa.text

    rows = csv_rows(client.get("/api/v1/exports/record-of-processing.csv", params={"on": "2026-06-01"}))
    row = next(r for r in rows if int(r["vendor_id"]) == vendor.id)
    assert row["dpa_expires_on"] == "2023-01-01" and row["dpa_status"] == "in_force"
    assert row["dpa_term_ends_on"] == "2027-01-01"
    assert row["other_agreements"] == f"baa #{baa.json()['id']} Renewing BAA, expires 2023-01-01, current term ends 2027-01-01"

    sheet = workbook(client.get("/api/v1/exports/record-of-processing.xlsx", params={"on": "2026-06-01"}))
    xlsx = {r[0]: dict(zip(tables.RECORD_COLUMNS, r, strict=True))
            for r in sheet["Record of processing"].iter_rows(min_row=2, values_only=True)}
    assert xlsx[vendor.id]["dpa_term_ends_on"] == datetime(2027, 1, 1)


def test_the_record_can_count_approved_integrations_only(client, estate):
    rows = csv_rows(client.get("/api/v1/exports/record-of-processing.csv", params={"scope": "approved"}))
    assert [int(r["vendor_id"]) for r in rows] == [estate.papertrail]


# --- the command line -------------------------------------------------------------------------------

@pytest.fixture
def cli(scratch: ScratchDatabases, tmp_path: Path) -> Cli:
    return new_cli(scratch, tmp_path)


def seed(cli: Cli) -> None:
    with cli.session() as session:
        vendor = make_vendor(session, name=HYPERLINK, data_locations=["IN"])
        make_integration(session, vendor, name="Support desk", data_categories=["customer_personal"])
        session.commit()


def test_cli_exports_a_list_atomically_and_privately(cli: Cli, tmp_path: Path) -> None:
    seed(cli)
    target = tmp_path / "out" / "vendors.csv"
    target.parent.mkdir()
    target.write_text("the previous snapshot")

    result = cli("export", "vendors", "--output", str(target))

    assert result.returncode == 0, result.stderr
    assert f"exported vendors as csv to {target}" in result.stderr and "rows: vendors 1" in result.stderr
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert os.listdir(target.parent) == ["vendors.csv"]  # no temporary file left beside it
    [row] = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert row["name"] == "'" + HYPERLINK


def test_cli_exports_the_register_and_the_record(cli: Cli, tmp_path: Path) -> None:
    seed(cli)
    book = tmp_path / "register.xlsx"
    assert cli("export", "register", "--format", "xlsx", "-o", str(book)).returncode == 0
    assert load_workbook(book).sheetnames == ["Vendors", "Integrations", "Documents", "Assessments", "Add-ons"]

    pdf = tmp_path / "ropa.pdf"
    result = cli("export", "record-of-processing", "-o", str(pdf))
    assert result.returncode == 0, result.stderr
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(pdf).pages)
    assert "".join(HYPERLINK.split()) in text and "Supportdesk" in text
    assert stat.S_IMODE(os.stat(pdf).st_mode) == 0o600


def test_cli_refuses_a_format_the_export_has_not(cli: Cli, tmp_path: Path) -> None:
    assert_clean_failure(cli("export", "register", "--format", "csv", "-o", str(tmp_path / "r.csv")),
                         "register exports as xlsx, not csv")
    assert not (tmp_path / "r.csv").exists()
    unknown = cli("export", "vendors", "-o", str(tmp_path / "vendors.txt"))
    assert unknown.returncode == 2 and "--format" in unknown.stderr
    assert_clean_failure(cli("export", "vendors", "-o", str(tmp_path / "no" / "v.csv")), "does not exist")
