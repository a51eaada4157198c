"""A small register with something due in every way, committed for real, and what it should announce."""

import hashlib
import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, select

from app.assessments.models import Assessment
from app.audit.service import Actor
from app.auth.models import User
from app.core.storage import StoredFile
from app.documents.models import Document
from app.heroku.models import AddonInstallation, HerokuApp
from app.integrations.models import Integration
from tests.factories import make_integration, make_user, make_vendor

_n = itertools.count(1)
TODAY = date(2026, 11, 29)


def stored_file(session: Session) -> str:
    sha = hashlib.sha256(f"file {next(_n)} {id(session)}".encode()).hexdigest()
    session.add(StoredFile(sha256=sha, size=100, media_type="application/pdf", backend="database"))
    session.flush()
    return sha


def make_document(session: Session, vendor_id: int, *, uploaded_by: User | None = None, **terms: Any) -> Document:
    values = {"type": "dpa", "title": f"Agreement {next(_n)}"} | terms
    document = Document(vendor_id=vendor_id, sha256=stored_file(session), size=100, media_type="application/pdf",
                        file_name="agreement.pdf", uploaded_by_id=uploaded_by.id if uploaded_by else None, **values)
    session.add(document)
    session.flush()
    return document


def make_signed_assessment(session: Session, integration: Integration, *, valid_until: date, reviewer: User) -> Assessment:
    assessment = Assessment(
        integration_id=integration.id, status="signed", snapshot={}, inherent_tier="high", residual_tier="medium",  # type: ignore[arg-type]
        verdict="ok", decision="approve", valid_until=valid_until, record_sha256=stored_file(session),
        reviewer_id=reviewer.id, signer_id=reviewer.id,
    )
    session.add(assessment)
    session.flush()
    return assessment


def make_addon_request(session: Session, *, requester: User, requested_on: date) -> Integration:
    integration = make_integration(session, actor=Actor.for_user(requester), kind="heroku_addon", heroku_app="api",
                                   addon_plan="papertrail:choklad", name="Papertrail on api")
    integration.created_at = datetime.combine(requested_on, time(10), tzinfo=UTC)
    session.flush()
    return integration


def make_shadow_addon(session: Session, *, first_seen_on: date, name: str = "redis-cubed-42") -> AddonInstallation:
    app = session.exec(select(HerokuApp).where(HerokuApp.name == "api")).first()
    if app is None:
        app = HerokuApp(name="api", heroku_id="app-api")
        session.add(app)
        session.flush()
    installation = AddonInstallation(heroku_id=f"addon-{next(_n)}", name=name, app_id=app.id,  # type: ignore[arg-type]
                                     first_seen_at=datetime.combine(first_seen_on, time(8), tzinfo=UTC))
    session.add(installation)
    session.flush()
    return installation


@dataclass
class Estate:
    users: dict[str, User]
    expected_email: set[tuple[str, str]]  # (recipient address, title) once each
    expected_webhook: set[str]  # titles once each

    @property
    def titles(self) -> set[str]:
        return self.expected_webhook


def build_estate(session: Session, *, today: date = TODAY) -> Estate:
    """Six things due on `today`, one of each kind the job derives:

    - a DPA expiring in 30 days (procurement; its uploader is procurement too);
    - an auto-renewing MSA whose notice deadline is in 7 days (legal, and the uploader);
    - a SOC 2 report that went stale 10 days ago (procurement);
    - a signed assessment valid for 60 more days (security, its reviewer);
    - an add-on request waiting 10 days (security, and the engineer who asked);
    - a shadow add-on (security).
    Plus an agreement far off and one already renewed, which announce nothing.
    """
    users = {role: make_user(session, role=role, name=f"{role.title()} <b>Person</b>") for role in
             ("admin", "security", "procurement", "legal", "engineer")}
    vendor = make_vendor(session, name="Acme & <Co>", legal_name=f"Acme {next(_n)} Ltd")
    p, s = users["procurement"], users["security"]
    make_document(session, vendor.id, uploaded_by=p, title="Acme DPA", expires_on=today + timedelta(days=30))  # type: ignore[arg-type]
    make_document(session, vendor.id, uploaded_by=p, type="msa", title="Acme MSA", auto_renews=True, notice_days=30,  # type: ignore[arg-type]
                  effective_on=today - timedelta(days=400), expires_on=today + timedelta(days=37))
    make_document(session, vendor.id, uploaded_by=p, type="soc2_type2", title="Acme SOC 2",  # type: ignore[arg-type]
                  expires_on=today - timedelta(days=10))
    make_document(session, vendor.id, uploaded_by=p, title="Far off", expires_on=today + timedelta(days=400))  # type: ignore[arg-type]
    old = make_document(session, vendor.id, uploaded_by=p, title="Renewed", expires_on=today + timedelta(days=5))  # type: ignore[arg-type]
    make_document(session, vendor.id, uploaded_by=p, title="Renewal", supersedes_id=old.id,  # type: ignore[arg-type]
                  effective_on=today + timedelta(days=6), expires_on=today + timedelta(days=800))
    integration = make_integration(session, vendor, name="Acme CRM")
    make_signed_assessment(session, integration, valid_until=today + timedelta(days=60), reviewer=s)
    make_addon_request(session, requester=users["engineer"], requested_on=today - timedelta(days=10))
    make_shadow_addon(session, first_seen_on=today - timedelta(days=2))
    session.commit()

    dpa = "Acme DPA (Acme & <Co>) expires"
    msa = "Last day to give notice on Acme MSA (Acme & <Co>)"
    soc2 = "Acme SOC 2 (Acme & <Co>) goes out of date"
    assessment = "Assessment of Acme CRM (Acme & <Co>) expires"
    vendor_name = session.get(type(vendor), vendor.id).name  # type: ignore[union-attr]
    request = f"Add-on request Papertrail on api ({_vendor_of_request(session)}) is waiting for a decision"
    shadow = "Shadow add-on redis-cubed-42 on api"
    assert vendor_name == "Acme & <Co>"
    email = {
        (p.email, dpa), (p.email, msa), (p.email, soc2),
        (users["legal"].email, msa),
        (s.email, assessment), (s.email, request), (s.email, shadow),
        (users["engineer"].email, request),
    }
    return Estate(users=users, expected_email=email, expected_webhook={dpa, msa, soc2, assessment, request, shadow})


def _vendor_of_request(session: Session) -> str:
    from app.vendors.models import Vendor

    integration = session.exec(select(Integration).where(Integration.name == "Papertrail on api")).one()
    return session.get(Vendor, integration.vendor_id).name  # type: ignore[union-attr]
