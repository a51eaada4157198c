"""`riskreg seed-demo`: load the demo estate in `app.demo.data` through the domain services, once."""

import io
import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session

from app.audit.service import Actor
from app.auth import service as auth_service
from app.auth.models import Role
from app.core.config import get_settings
from app.core.errors import InvalidState
from app.demo import data
from app.demo.pdf import minimal_pdf
from app.integrations import service as integration_service
from app.integrations.models import Integration, IntegrationStatus
from app.integrations.schemas import IntegrationCreate
from app.vendors import service as vendor_service
from app.vendors.models import VendorStatus
from app.vendors.schemas import VendorCreate

log = logging.getLogger("riskreg.demo")


class DemoDataInProduction(InvalidState):
    pass


DEMO_ACTOR = Actor.system("seed-demo")


@dataclass(frozen=True)
class SeedReport:
    vendors_created: int
    vendors_existing: int
    integrations_created: int
    integrations_existing: int
    documents_created: int = 0
    addons_created: int = 0
    users_created: int = 0
    users_existing: int = 0
    # Set when demo users were left out because RISKREG_ENV=production (vendors may still be forced).
    users_refused_in_production: bool = False


@dataclass(frozen=True)
class UsersReport:
    created: int
    existing: int


def seed_demo_users(session: Session) -> UsersReport:
    """Create the demo users (one per role, the shared demo password) that are missing, by e-mail.

    An existing account is left as it is, password included. Refuses in production, with no way to
    force it: an account whose password is printed by this command must never exist there.
    """
    if get_settings().is_production:
        raise DemoDataInProduction(
            "demo users are never created with RISKREG_ENV=production: their password is public. "
            "Create real accounts with `riskreg users create`."
        )
    created = existing = 0
    for demo in data.DEMO_USERS:
        try:
            auth_service.get_user_by_email(session, demo.email)
        except auth_service.UserNotFound:
            auth_service.create_user(
                session, actor=DEMO_ACTOR, email=demo.email, name=demo.name, role=Role(demo.role),
                password=data.DEMO_PASSWORD,
            )
            created += 1
        else:
            existing += 1
    return UsersReport(created=created, existing=existing)


def _find_integration(session: Session, vendor_id: int, name: str) -> Integration | None:
    stmt = select(Integration).where(Integration.vendor_id == vendor_id, Integration.name == name)
    return session.execute(stmt).scalars().first()


def _seed_documents(session: Session) -> int:
    """Demo agreements and reports, for demo vendors that have no documents yet (so a rerun adds none)."""
    from fastapi import UploadFile

    from app.documents import service as document_service
    from app.documents.models import Document
    from app.documents.schemas import DocumentUpload

    settings = get_settings()
    today = date.today()
    created = 0
    for legal_name, documents in data.DEMO_DOCUMENTS.items():
        vendor = vendor_service.find_vendor(session, legal_name)
        if vendor is None or session.execute(select(Document.id).where(Document.vendor_id == vendor.id)).first():
            continue
        for demo in documents:
            content = minimal_pdf(f"{demo.title} - {legal_name} - demo document, not a real agreement")
            upload = DocumentUpload(
                file=UploadFile(io.BytesIO(content), filename=f"{demo.title}.pdf"),
                type=demo.type, title=demo.title,
                signed_on=today + timedelta(days=demo.signed_days),
                effective_on=today + timedelta(days=demo.signed_days),
                expires_on=None if demo.expires_days is None else today + timedelta(days=demo.expires_days),
                auto_renews=demo.auto_renews, notice_days=demo.notice_days,
                transfer_mechanism=demo.transfer_mechanism, breach_notice_hours=demo.breach_notice_hours,
                subprocessors=None if demo.subprocessors is None else [dict(s) for s in demo.subprocessors],
            )
            document_service.upload_document(
                session, actor=DEMO_ACTOR, vendor_id=vendor.id, upload=upload,  # type: ignore[arg-type]
                backend=settings.storage_backend, max_bytes=settings.max_upload_bytes,
            )
            created += 1
    return created


def _seed_heroku(session: Session) -> int:
    """The demo Heroku estate, imported once (when no import has run yet), and what each app holds."""
    from app.demo.heroku import APPS, demo_estate
    from app.heroku import importer
    from app.heroku.models import HerokuApp, HerokuImport

    if session.execute(select(HerokuImport.id)).first():
        return 0
    report = importer.apply_estate(session, demo_estate(), actor=DEMO_ACTOR)
    for app in session.scalars(select(HerokuApp).where(HerokuApp.name.in_(list(APPS)))):  # type: ignore[attr-defined]
        app.data_categories = list(APPS[app.name][1])
    return report.created["addons"]


def ensure_demo_signing_key() -> str | None:
    """Outside production, a development signing CA and key in `<data dir>/signing` when none is configured,
    so legal can sign records in the demo. Returns the folder when it made one."""
    from datetime import UTC, datetime

    from app.core.signing import init_local_ca

    settings = get_settings()
    if settings.is_production or settings.dyno or settings.signing_p12 is not None:
        return None
    directory = settings.data_dir / "signing"
    if (directory / "signer.p12").exists():
        return None
    init_local_ca(directory, now=datetime.now(UTC))
    return str(directory)


def seed_demo(session: Session, *, force: bool = False) -> SeedReport:
    """Create the demo vendors, integrations and users that are missing; leave existing ones untouched.

    Vendors are matched by legal name, integrations by (vendor, name), users by e-mail, so a second
    run creates nothing. Refuses in production unless `force`: demo vendors would pollute a real
    register. Demo users are skipped in production even with `force` (see `seed_demo_users`).
    """
    production = get_settings().is_production
    if production and not force:
        raise DemoDataInProduction(
            "seed-demo refuses to run with RISKREG_ENV=production: it would add fictional vendors and "
            "integrations to the live register. Run it with --force if that is really intended."
        )
    vendors_created = vendors_existing = integrations_created = integrations_existing = skipped = 0
    for demo in data.VENDORS:
        vendor = vendor_service.find_vendor(session, demo.fields["legal_name"])
        created = vendor is None
        if vendor is None:
            vendor = vendor_service.create_vendor(session, actor=DEMO_ACTOR, data=VendorCreate(**demo.fields))
            vendors_created += 1
        else:
            vendors_existing += 1
        assert vendor.id is not None
        for item in demo.integrations:
            if _find_integration(session, vendor.id, item.fields["name"]) is not None:
                integrations_existing += 1
            elif vendor.status == VendorStatus.offboarded:
                skipped += 1  # an offboarded vendor takes no new integrations
            else:
                integration_service.create_integration(
                    session,
                    actor=DEMO_ACTOR,
                    data=IntegrationCreate(vendor_id=vendor.id, **item.fields),
                    status=IntegrationStatus(item.status),
                )
                integrations_created += 1
        # Only a vendor this run created is offboarded: an existing record is never changed.
        if created and demo.offboard_reason:
            vendor_service.offboard_vendor(session, vendor.id, actor=DEMO_ACTOR, reason=demo.offboard_reason)
    documents_created = _seed_documents(session)
    addons_created = _seed_heroku(session)
    users = UsersReport(created=0, existing=0) if production else seed_demo_users(session)
    report = SeedReport(
        vendors_created=vendors_created,
        vendors_existing=vendors_existing,
        integrations_created=integrations_created,
        integrations_existing=integrations_existing,
        documents_created=documents_created,
        addons_created=addons_created,
        users_created=users.created,
        users_existing=users.existing,
        users_refused_in_production=production,
    )
    log.info(
        "demo data seeded",
        extra={
            "vendors_created": vendors_created,
            "vendors_existing": vendors_existing,
            "integrations_created": integrations_created,
            "integrations_existing": integrations_existing,
            "integrations_skipped_offboarded": skipped,
            "users_created": users.created,
            "users_existing": users.existing,
            "users_refused_in_production": production,
        },
    )
    return report
