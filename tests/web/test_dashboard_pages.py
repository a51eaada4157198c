"""The dashboard: counts by status, the residual-risk heatmap's cells, the renewal timeline's links, the
role-aware "Your work" panels, and the pure pieces behind them (heatmap grid and SVG, timeline, page links)."""

import io
from datetime import date, timedelta

import pytest
from starlette.datastructures import UploadFile

from app.assessments.models import Assessment
from app.core.config import get_settings
from app.documents import service as document_service
from app.documents.schemas import DocumentUpload
from app.reminders.schedule import DueItem, Kind
from app.web import heatmap, renewals
from tests.documents.helpers import pdf_bytes
from tests.factories import TEST_ACTOR, make_integration, make_user, make_vendor
from tests.web.helpers import PASSWORD, post_login


def sign_in(db, client, role: str):
    user = make_user(db, role=role, password=PASSWORD)
    db.commit()
    assert post_login(client, user.email).status_code == 303
    return user


def cell(grid: heatmap.Heatmap, tier: str, status: str) -> heatmap.Cell:
    return next(c for row in grid.rows for c in row if c.tier == tier and c.status == status)


def test_counts_and_heatmap_cells_come_from_the_register(db, anonymous):
    active = make_vendor(db, status="active")
    make_vendor(db)
    high_a = make_integration(db, active, business_criticality="high")
    high_b = make_integration(db, active, business_criticality="high")
    critical = make_integration(db, active, business_criticality="critical")
    make_integration(db, active)  # medium, requested, never assessed
    for integration, status in ((high_a, "approved"), (high_b, "approved"), (critical, "in_review")):
        integration.status = status
    # An assessment lowers high_a's residual to low; high_b has none (residual = inherent high); the critical
    # one's newest assessment says medium (an older one said critical).
    for integration, residual in ((high_a, "low"), (critical, "critical"), (critical, "medium")):
        db.add(Assessment(integration_id=integration.id, snapshot={}, inherent_tier=integration.inherent_tier,
                          residual_tier=residual, verdict="pass"))
    db.commit()
    sign_in(db, anonymous, "security")

    page = anonymous.get("/")
    assert page.status_code == 200 and page.template.name == "dashboard.html"
    assert page.context["vendor_counts"] == {"prospective": 1, "active": 1, "offboarded": 0}
    counts = page.context["integration_counts"]
    assert counts["approved"] == 2 and counts["in_review"] == 1 and counts["requested"] == 1 and counts["retired"] == 0
    grid = page.context["heatmap"]
    assert grid.total == 4
    assert (cell(grid, "high", "approved").count, cell(grid, "high", "approved").worst) == (2, "high")
    assert (cell(grid, "critical", "in_review").count, cell(grid, "critical", "in_review").worst) == (1, "medium")
    assert (cell(grid, "medium", "requested").count, cell(grid, "medium", "requested").worst) == (1, "medium")
    assert cell(grid, "low", "approved").count == 0 and cell(grid, "low", "approved").worst is None
    assert "<title>Approved, high inherent tier: 2 integrations, worst residual risk high</title>" in page.text
    assert 'role="img"' in page.text and "The same figures as a table" in page.text


def test_an_empty_register_renders_for_every_role(db, anonymous):
    for role in ("admin", "auditor"):
        sign_in(db, anonymous, role)
        page = anonymous.get("/")
        assert page.status_code == 200, (role, page.text[:300])
        assert page.context["heatmap"].total == 0 and page.context["renewals"] == []


def test_renewals_link_to_the_page_of_what_falls_due(db, anonymous):
    vendor = make_vendor(db, name="Papertrail")
    soon = date.today() + timedelta(days=20)
    upload = DocumentUpload(file=UploadFile(io.BytesIO(pdf_bytes("DPA")), filename="dpa.pdf"), type="dpa",
                            title="Papertrail DPA", expires_on=soon)
    document, _ = document_service.upload_document(db, actor=TEST_ACTOR, vendor_id=vendor.id, upload=upload,
                                                   backend=get_settings().storage_backend, max_bytes=10**6)
    later = DocumentUpload(file=UploadFile(io.BytesIO(pdf_bytes("MSA")), filename="msa.pdf"), type="msa",
                           title="Far-off MSA", expires_on=date.today() + timedelta(days=400))
    document_service.upload_document(db, actor=TEST_ACTOR, vendor_id=vendor.id, upload=later,
                                     backend=get_settings().storage_backend, max_bytes=10**6)
    db.commit()
    sign_in(db, anonymous, "legal")
    page = anonymous.get("/")
    entries = [e for period in page.context["renewals"] for e in period.entries]
    assert [(e.title, e.link, e.due_on) for e in entries] == [
        ("Papertrail DPA (Papertrail) expires", f"/documents/{document.id}", soon)]
    assert page.context["renewals"][0].heading == "Within 30 days"
    assert f'<a href="/documents/{document.id}">Papertrail DPA (Papertrail) expires</a>' in page.text


def test_your_work_panel_fits_the_role(db, anonymous):
    engineer = sign_in(db, anonymous, "engineer")
    vendor = make_vendor(db, status="active")
    mine = make_integration(db, vendor, kind="heroku_addon", heroku_app="billing-api", addon_plan="papertrail:choklad",
                            name="papertrail on billing-api")
    mine.requested_by_id = engineer.id
    db.commit()
    page = anonymous.get("/")
    panels = {p.key: p for p in page.context["panels"]}
    assert list(panels) == ["request_addon", "my_requests"]
    assert '<a class="button" href="/addon-requests/new">Request an add-on</a>' in page.text
    assert panels["my_requests"].count == 1 and panels["my_requests"].items[0]["href"] == f"/addon-requests/{mine.id}"
    assert 'href="/audit"' not in page.text

    anonymous.cookies.clear()
    sign_in(db, anonymous, "auditor")
    page = anonymous.get("/")
    assert [p.key for p in page.context["panels"]] == ["audit", "exports"]
    assert "Request an add-on" not in page.text and 'href="/addon-requests/new"' not in page.text
    assert 'href="/audit"' in page.text and 'href="/exports/register.xlsx"' in page.text
    assert 'href="/vendors/new"' not in page.text


def test_procurement_is_offered_registration_and_the_questionnaires_in_draft(db, anonymous):
    sign_in(db, anonymous, "procurement")
    page = anonymous.get("/")
    panels = {p.key: p for p in page.context["panels"]}
    assert list(panels) == ["vendors", "responses"]
    assert [link.href for link in panels["vendors"].links] == ["/vendors/new", "/vendors", "/vendors?status=prospective"]
    assert panels["responses"].count == 0


# --- the pure pieces --------------------------------------------------------------------------------------


def test_the_heatmap_grid_fills_missing_cells_and_escapes_its_svg():
    grid = heatmap.build([("critical", "approved", 3, 2), ("low", "retired", 1, 0), ("unknown", "approved", 9, 3)])
    assert grid.total == 4 and grid.column_total("approved") == 3
    assert [c.tier for c in (row[0] for row in grid.rows)] == ["critical", "high", "medium", "low"]
    assert cell(grid, "critical", "approved").worst == "high" and cell(grid, "high", "approved").worst is None
    svg = heatmap.render_svg(grid, title_id='x"><script>')
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert svg.count("<rect") == len(heatmap.TIERS) * len(heatmap.STATUSES)
    # Cells with integrations link to the list filtered to them; empty cells link nowhere.
    assert svg.count("<a href=") == 2
    assert '<a href="/integrations?tier=critical&amp;status=approved">' in svg


@pytest.mark.parametrize(("link", "page"), [
    ("/api/v1/documents/12", "/documents/12"),
    ("/api/v1/assessments/3", "/assessments/3"),
    ("/api/v1/addon-requests/7", "/addon-requests/7"),
    ("/documents/12", "/documents/12"),
    ("/api/v1/heroku/drift", None),
    (None, None),
])
def test_reminder_links_become_page_links(link, page):
    assert renewals.page_link(link) == page


def test_the_timeline_groups_by_how_soon_and_says_how_many_more():
    today = date(2026, 11, 29)

    def item(days: int) -> DueItem:
        return DueItem(key=f"k{days}", kind=Kind.document_expires, due_on=today + timedelta(days=days), title=f"t{days}",
                       detail="", link="/api/v1/documents/4", owner_id=None, role="procurement")

    periods = renewals.timeline([item(d) for d in (40, -3, 0, 7, 8, 91)], today=today, counts=[5, 2, 1, 1])
    assert [(p.heading, [e.title for e in p.entries], p.more) for p in periods] == [
        ("Overdue", ["t-3"], 4), ("This week", ["t0", "t7"], 0), ("Within 30 days", ["t8"], 0),
        ("Within 90 days", ["t40"], 0)]
    first = periods[0].entries[0]
    assert first.overdue and first.when == "3 days overdue" and first.link == "/documents/4"


def test_the_dashboards_renewals_are_the_reminders_items(db):
    """The SQL-bounded reading gives exactly reminder_service.upcoming's items of the same kinds."""
    from app.reminders import service as reminder_service
    from app.web import overview

    today = date.today()
    vendor = make_vendor(db)
    settings = get_settings()
    terms = [("dpa", {"expires_on": today - timedelta(days=3)}), ("msa", {"expires_on": today + timedelta(days=50)}),
             ("msa", {"effective_on": today - timedelta(days=700), "expires_on": today - timedelta(days=340),
                      "auto_renews": True, "notice_days": 10}),
             ("soc2_type2", {"effective_on": today - timedelta(days=300)}), ("dpa", {"expires_on": today + timedelta(days=200)})]
    for kind, dates in terms:
        upload = DocumentUpload(file=UploadFile(io.BytesIO(pdf_bytes(f"{kind}{dates}")), filename="f.pdf"), type=kind,
                                title=f"{kind} document", **dates)
        document_service.upload_document(db, actor=TEST_ACTOR, vendor_id=vendor.id, upload=upload,
                                         backend=settings.storage_backend, max_bytes=10**6)
    rules = reminder_service.rules_from(settings)
    expected = [i for i in reminder_service.upcoming(db, today=today, within=90, rules=rules, certificate=None)
                if i.kind != Kind.request_waiting]
    due = overview.renewals_due(db, today=today, bounds=renewals.BOUNDS, per_period=100, rules=rules)
    assert due.items == expected and len(expected) == 4 and sum(due.counts) == 4
    few = overview.renewals_due(db, today=today, bounds=renewals.BOUNDS, per_period=1, rules=rules)
    assert few.counts == due.counts and len(few.items) == sum(1 for n in due.counts if n)
