"""seed-demo: a realistic estate, loaded once, through the domain services."""

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from app.core.config import get_settings
from app.core.errors import InvalidState
from app.demo import data
from app.demo.heroku import demo_estate
from app.demo.jobs import SeedReport, seed_demo
from app.integrations.exposure import (
    RULES_VERSION,
    SENSITIVE,
    Access,
    Criticality,
    DataCategory,
    ExposureInput,
    Tier,
    Volume,
    inherent_exposure,
    parse_categories,
)
from app.integrations.models import Integration, IntegrationKind, IntegrationStatus
from app.vendors.models import Vendor, VendorStatus
from tests.factories import make_vendor

N_VENDORS = len(data.VENDORS)
N_INTEGRATIONS = sum(len(v.integrations) for v in data.VENDORS)
N_DOCUMENTS = sum(len(d) for d in data.DEMO_DOCUMENTS.values())
N_ADDONS = len(demo_estate().addons)


def _integrations(db: Session) -> list[Integration]:
    return list(db.execute(select(Integration)).scalars())


def _vendors(db: Session) -> list[Vendor]:
    return list(db.execute(select(Vendor)).scalars())


def test_demo_data_is_a_register_of_about_fifteen_vendors() -> None:
    assert 12 <= N_VENDORS <= 20
    legal_names = [v.fields["legal_name"].lower() for v in data.VENDORS]
    assert len(set(legal_names)) == N_VENDORS
    for vendor in data.VENDORS:
        names = [i.fields["name"] for i in vendor.integrations]
        assert len(set(names)) == len(names), vendor.fields["legal_name"]
        for contact in vendor.fields["contacts"]:
            assert contact["email"].endswith(".example.com") or contact["email"].endswith("@example.com")


def test_first_run_creates_every_vendor_and_integration(db: Session) -> None:
    report = seed_demo(db)

    assert report == SeedReport(
        vendors_created=N_VENDORS, vendors_existing=0, integrations_created=N_INTEGRATIONS, integrations_existing=0,
        documents_created=N_DOCUMENTS, addons_created=N_ADDONS, users_created=len(data.DEMO_USERS), users_existing=0,
    )
    assert db.execute(select(func.count()).select_from(Vendor)).scalar_one() == N_VENDORS
    assert db.execute(select(func.count()).select_from(Integration)).scalar_one() == N_INTEGRATIONS


def test_second_run_creates_nothing_and_reports_everything_existing(db: Session) -> None:
    seed_demo(db)
    before = {(i.id, i.version) for i in _integrations(db)}

    again = seed_demo(db)

    assert again == SeedReport(
        vendors_created=0, vendors_existing=N_VENDORS, integrations_created=0, integrations_existing=N_INTEGRATIONS,
        users_created=0, users_existing=len(data.DEMO_USERS),
    )
    assert db.execute(select(func.count()).select_from(Vendor)).scalar_one() == N_VENDORS
    assert {(i.id, i.version) for i in _integrations(db)} == before


def test_demo_documents_show_every_status_a_reviewer_meets(db: Session) -> None:
    from datetime import date

    from app.documents import service as document_service

    seed_demo(db)
    statuses: set[str] = set()
    for vendor in _vendors(db):
        views = document_service.list_documents(db, vendor.id, today=date.today(), expiring_days=60)
        statuses |= {v.standing.status.value for v in views}
    assert {"in_force", "expiring", "expired"} <= statuses
    heroku = next(v for v in _vendors(db) if v.legal_name == "Salesforce, Inc.")
    facts = document_service.vendor_facts(db, heroku.id, today=date.today(), expiring_days=60)
    assert facts.dpa and facts.baa and facts.transfer_covered("US")


def test_demo_heroku_estate_shows_approved_shadow_and_blocked_add_ons(db: Session) -> None:
    from app.heroku import service as heroku_service

    seed_demo(db)
    rows, total = heroku_service.list_addons(db, limit=500)
    approval = {r.installation.name: r.approval for r in rows}
    assert total == N_ADDONS and approval["postgresql-shielded-4242"] == "approved"
    assert {n for n, a in approval.items() if a == "shadow"} == {
        "scheduler-quiet-1097", "postgresql-hasty-8128", "sentry-sharp-6931"}
    # Two approvals send personal data to vendors with no DPA on file: drift says so (gate_failed).
    assert sorted((d.kind, d.integration.name) for d in heroku_service.drift(db)) == [
        ("gate_failed", "CloudAMQP on acme-worker-prod"), ("gate_failed", "Sentry on acme-api-prod"),
        ("not_installed", "Sentry on acme-api-prod")]
    clinic = next(a for a, _, _ in heroku_service.list_apps(db) if a.name == "acme-clinic-prod")
    assert clinic.shield and clinic.data_categories == ["phi"]


def test_existing_vendor_is_matched_by_legal_name_case_insensitively_and_left_unchanged(db: Session) -> None:
    first = data.VENDORS[0].fields
    mine = make_vendor(db, legal_name=first["legal_name"].upper(), name="Our own entry", country="IE")

    report = seed_demo(db)

    assert report.vendors_created == N_VENDORS - 1
    assert report.vendors_existing == 1
    assert report.integrations_created == N_INTEGRATIONS
    db.refresh(mine)
    assert (mine.name, mine.country, mine.version) == ("Our own entry", "IE", 1)
    assert {i.vendor_id for i in _integrations(db) if i.name == data.VENDORS[0].integrations[0].fields["name"]} == {
        mine.id
    }


def test_every_kind_and_every_data_category_appears(db: Session) -> None:
    seed_demo(db)
    integrations = _integrations(db)

    assert {i.kind for i in integrations} == {k.value for k in IntegrationKind}
    assert {c for i in integrations for c in i.data_categories} == {c.value for c in DataCategory}


def test_statuses_vary_and_one_vendor_is_offboarded_with_its_integrations_retired(db: Session) -> None:
    seed_demo(db)
    integrations = _integrations(db)
    vendors = _vendors(db)

    decided = {s.value for s in IntegrationStatus} - {IntegrationStatus.retired.value}
    assert decided <= {i.status for i in integrations}
    assert {v.status for v in vendors} == {s.value for s in VendorStatus}
    offboarded = [v for v in vendors if v.status == VendorStatus.offboarded]
    assert len(offboarded) == 1
    assert offboarded[0].offboarded_at is not None and offboarded[0].offboard_reason
    retired = [i for i in integrations if i.vendor_id == offboarded[0].id]
    assert retired and all(i.status == IntegrationStatus.retired for i in retired)


def test_addon_integrations_name_an_app_and_a_service_plan(db: Session) -> None:
    seed_demo(db)
    addons = [i for i in _integrations(db) if i.kind == IntegrationKind.heroku_addon]

    assert len(addons) >= 8
    for addon in addons:
        assert re.fullmatch(r"[a-z][a-z0-9-]{2,29}", addon.heroku_app or ""), addon.name
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*:[a-z0-9][a-z0-9-]*", addon.addon_plan or ""), addon.name
    assert {"heroku-postgresql:standard-0", "papertrail:choklad", "sendgrid:starter"} <= {a.addon_plan for a in addons}
    for other in _integrations(db):
        if other.kind != IntegrationKind.heroku_addon:
            assert other.heroku_app is None and other.addon_plan is None


def test_every_integration_has_its_inherent_tier_computed(db: Session) -> None:
    seed_demo(db)

    for integration in _integrations(db):
        expected = inherent_exposure(
            ExposureInput(
                data_categories=parse_categories(integration.data_categories),
                access=Access(integration.access),
                volume=Volume(integration.volume),
                business_criticality=Criticality(integration.business_criticality),
            )
        )
        assert integration.inherent_tier == expected.tier.value, integration.name
        assert integration.inherent_driver == expected.driver, integration.name
        assert integration.inherent_rules == RULES_VERSION
        if SENSITIVE & parse_categories(integration.data_categories):
            assert Tier(integration.inherent_tier).rank >= Tier.high.rank, integration.name


def test_phi_integration_is_at_least_high(db: Session) -> None:
    seed_demo(db)

    phi = [i for i in _integrations(db) if DataCategory.phi in i.data_categories]
    assert phi
    assert all(Tier(i.inherent_tier).rank >= Tier.high.rank for i in phi)


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings as a production dyno would read them, for the length of one test."""
    monkeypatch.setenv("RISKREG_ENV", "production")
    monkeypatch.setenv("RISKREG_SECRET_KEY", "s" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql://riskreg@db.example.com/riskreg")
    get_settings.cache_clear()
    assert get_settings().is_production
    yield
    get_settings.cache_clear()


def test_refuses_in_production(db: Session, production: None) -> None:
    with pytest.raises(InvalidState, match="--force"):
        seed_demo(db)

    assert db.execute(select(func.count()).select_from(Vendor)).scalar_one() == 0


def test_force_seeds_in_production(db: Session, production: None) -> None:
    report = seed_demo(db, force=True)

    assert report.vendors_created == N_VENDORS
