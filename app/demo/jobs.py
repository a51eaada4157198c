"""`riskreg seed-demo`: load the demo estate in `app.demo.data` through the domain services, once."""

import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from app.audit.service import Actor
from app.core.config import get_settings
from app.core.errors import InvalidState
from app.demo import data
from app.integrations import service as integration_service
from app.integrations.models import Integration, IntegrationStatus
from app.integrations.schemas import IntegrationCreate
from app.vendors import service as vendor_service
from app.vendors.models import Vendor, VendorStatus
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


def _find_vendor(session: Session, legal_name: str) -> Vendor | None:
    # Case-insensitive, as the vendor service's uniqueness rule is.
    stmt = select(Vendor).where(func.lower(Vendor.legal_name) == legal_name.lower())
    return session.execute(stmt).scalars().first()


def _find_integration(session: Session, vendor_id: int, name: str) -> Integration | None:
    stmt = select(Integration).where(Integration.vendor_id == vendor_id, Integration.name == name)
    return session.execute(stmt).scalars().first()


def seed_demo(session: Session, *, force: bool = False) -> SeedReport:
    """Create the demo vendors and integrations that are missing; leave existing ones untouched.

    Vendors are matched by legal name, integrations by (vendor, name), so a second run creates
    nothing. Refuses in production unless `force`: demo vendors would pollute a real register.
    """
    if get_settings().is_production and not force:
        raise DemoDataInProduction(
            "seed-demo refuses to run with RISKREG_ENV=production: it would add fictional vendors and "
            "integrations to the live register. Run it with --force if that is really intended."
        )
    vendors_created = vendors_existing = integrations_created = integrations_existing = skipped = 0
    for demo in data.VENDORS:
        vendor = _find_vendor(session, demo.fields["legal_name"])
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
    report = SeedReport(
        vendors_created=vendors_created,
        vendors_existing=vendors_existing,
        integrations_created=integrations_created,
        integrations_existing=integrations_existing,
    )
    log.info(
        "demo data seeded",
        extra={
            "vendors_created": vendors_created,
            "vendors_existing": vendors_existing,
            "integrations_created": integrations_created,
            "integrations_existing": integrations_existing,
            "integrations_skipped_offboarded": skipped,
        },
    )
    return report
