"""Vendor use cases: register, read, list, edit under optimistic concurrency, offboard."""

import unicodedata
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.assessments.models import Assessment
from app.audit import service as audit
from app.audit.chain import diff
from app.audit.service import Actor
from app.core.concurrency import check_version
from app.core.db import json_list_contains, utcnow
from app.core.errors import Conflict, InvalidState, NotFound
from app.core.pagination import PageResult, SortField, paginate, parse_sort, table_columns
from app.integrations import service as integration_service
from app.integrations.models import Integration
from app.vendors.models import Vendor, VendorStatus
from app.vendors.schemas import VendorCreate, VendorUpdate


class VendorNotFound(NotFound):
    pass


class DuplicateVendor(Conflict):
    pass


class VendorOffboarded(InvalidState):
    pass


class InvalidVendorTransition(InvalidState):
    pass


SORTS: dict[str, SortField] = {
    "name": SortField(Vendor.name, lambda v: v.name),  # type: ignore[arg-type]
    "legal_name": SortField(Vendor.legal_name, lambda v: v.legal_name),  # type: ignore[arg-type]
    "country": SortField(Vendor.country, lambda v: v.country),  # type: ignore[arg-type]
    "status": SortField(Vendor.status, lambda v: v.status),  # type: ignore[arg-type]
    "created_at": SortField(Vendor.created_at, lambda v: v.created_at, is_datetime=True),  # type: ignore[arg-type]
    "updated_at": SortField(Vendor.updated_at, lambda v: v.updated_at, is_datetime=True),  # type: ignore[arg-type]
}


def legal_name_key(legal_name: str) -> str:
    """What makes two legal names the same company: Unicode-normalised, case-folded, single-spaced."""
    return " ".join(unicodedata.normalize("NFKC", legal_name).casefold().split())


def _ensure_unique_legal_name(session: Session, legal_name: str, *, exclude_id: int | None = None) -> None:
    stmt = select(Vendor.id, Vendor.legal_name).where(Vendor.legal_name_key == legal_name_key(legal_name))
    if exclude_id is not None:
        stmt = stmt.where(Vendor.id != exclude_id)
    existing = session.execute(stmt).first()
    if existing is not None:
        raise DuplicateVendor(
            f"A vendor with legal name '{existing.legal_name}' is already registered (id {existing.id}); "
            "edit that vendor instead of adding it twice."
        )


def _flush(session: Session, legal_name: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent insert won the race for the unique legal name
        raise DuplicateVendor(f"A vendor with legal name '{legal_name}' is already registered.") from exc


def create_vendor(session: Session, *, actor: Actor, data: VendorCreate) -> Vendor:
    _ensure_unique_legal_name(session, data.legal_name)
    vendor = Vendor(**data.model_dump(mode="json"), legal_name_key=legal_name_key(data.legal_name))
    session.add(vendor)
    _flush(session, vendor.legal_name)
    audit.record(session, actor=actor, action="vendor.created", subject_type="vendor", subject_id=vendor.id,
                 changes=diff({}, audit.facts(vendor)))
    return vendor


def find_vendor(session: Session, legal_name: str) -> Vendor | None:
    """The vendor with this legal name, matched as the uniqueness rule matches (case and spacing folded)."""
    stmt = select(Vendor).where(Vendor.legal_name_key == legal_name_key(legal_name))
    return session.execute(stmt).scalars().first()


def get_vendor(session: Session, vendor_id: int, *, lock: bool = False) -> Vendor:
    """The vendor; with `lock`, held FOR UPDATE until commit (PostgreSQL; SQLite writers are serial)."""
    vendor = session.get(Vendor, vendor_id, with_for_update=True if lock else None)
    if vendor is None:
        raise VendorNotFound(f"No vendor with id {vendor_id}.")
    return vendor


def list_vendors(
    session: Session,
    *,
    status: VendorStatus | None = None,
    country: str | None = None,
    q: str | None = None,
    sort: str = "name",
    limit: int = 50,
    cursor: str | None = None,
) -> PageResult[Any]:
    """Vendors matching every given filter. `country` matches the headquarters or a data location."""
    order = parse_sort(sort, SORTS)
    stmt = table_columns(Vendor)
    if status is not None:
        stmt = stmt.where(Vendor.status == status.value)
    if country is not None:
        dialect = session.get_bind().dialect.name
        stmt = stmt.where(or_(Vendor.country == country, json_list_contains(Vendor.data_locations, country, dialect)))
    if q:
        stmt = stmt.where(or_(Vendor.name.icontains(q, autoescape=True), Vendor.legal_name.icontains(q, autoescape=True)))  # type: ignore[attr-defined]
    return paginate(session, stmt, id_column=Vendor.id, sort=order, limit=limit, cursor=cursor)  # type: ignore[arg-type]


def update_vendor(
    session: Session, vendor_id: int, *, actor: Actor, changes: VendorUpdate, expected_version: Collection[int] | None
) -> Vendor:
    vendor = get_vendor(session, vendor_id)
    check_version(vendor.version, expected_version, what="vendor")
    if vendor.status == VendorStatus.offboarded:
        raise VendorOffboarded(f"Vendor {vendor_id} is offboarded; its record is kept as history and cannot change.")
    values: dict[str, Any] = changes.model_dump(mode="json", exclude_unset=True)
    if values.get("status") == VendorStatus.prospective and vendor.status == VendorStatus.active:
        raise InvalidVendorTransition("An active vendor cannot go back to prospective; offboard it instead.")
    if "legal_name" in values:
        _ensure_unique_legal_name(session, values["legal_name"], exclude_id=vendor.id)
        values["legal_name_key"] = legal_name_key(values["legal_name"])
    before = audit.facts(vendor)
    changed = {k: v for k, v in values.items() if getattr(vendor, k) != v}
    if not changed:
        return vendor
    for key, value in changed.items():
        setattr(vendor, key, value)
    vendor.updated_at = utcnow()
    _flush(session, vendor.legal_name)
    audit.record(session, actor=actor, action="vendor.updated", subject_type="vendor", subject_id=vendor.id,
                 changes=diff(before, audit.facts(vendor)))
    return vendor


def offboard_vendor(session: Session, vendor_id: int, *, actor: Actor, reason: str) -> Vendor:
    """Marks the vendor offboarded and retires its integrations; nothing is deleted."""
    vendor = get_vendor(session, vendor_id, lock=True)  # no integration is added while we retire them
    if vendor.status == VendorStatus.offboarded:
        raise VendorOffboarded(f"Vendor {vendor_id} was already offboarded on {vendor.offboarded_at:%Y-%m-%d}.")
    before = audit.facts(vendor)
    now = utcnow()
    vendor.status = VendorStatus.offboarded
    vendor.offboarded_at = now
    vendor.offboard_reason = reason
    vendor.updated_at = now
    session.flush()
    audit.record(session, actor=actor, action="vendor.offboarded", subject_type="vendor", subject_id=vendor.id,
                 changes=diff(before, audit.facts(vendor)))
    integration_service.retire_integrations_of_vendor(session, actor=actor, vendor_id=vendor_id)
    return vendor


# --- page queries: the dashboard's counts, the list's integration counts, a vendor's assessments ---


def count_by_status(session: Session) -> dict[str, int]:
    """How many vendors are in each status (every status present, zero when none): one GROUP BY."""
    counts = {status.value: 0 for status in VendorStatus}
    for status, count in session.execute(select(Vendor.status, func.count()).group_by(Vendor.status)):
        counts[status] = count
    return counts


def integration_counts(session: Session, vendor_ids: Sequence[int]) -> dict[int, int]:
    """How many integrations each of the given vendors has (retired ones included), by vendor id."""
    wanted = sorted(set(vendor_ids))
    if not wanted:
        return {}
    rows = session.execute(select(Integration.vendor_id, func.count()).where(Integration.vendor_id.in_(wanted))  # type: ignore[attr-defined]
                           .group_by(Integration.vendor_id))
    return {vendor_id: count for vendor_id, count in rows}


def assessments_of_vendor(session: Session, vendor_id: int, *, limit: int = 50) -> list[tuple[Assessment, str]]:
    """The vendor's assessments (of any of its integrations), newest first, each with its integration's name."""
    rows = session.execute(
        select(Assessment, Integration.name).join(Integration, Integration.id == Assessment.integration_id)
        .where(Integration.vendor_id == vendor_id).order_by(Assessment.id.desc()).limit(limit)  # type: ignore[union-attr]
    )
    return [(assessment, name) for assessment, name in rows]


def names_of(session: Session, vendor_ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of the given vendors, by id, in one query (ids with no vendor are left out)."""
    wanted = sorted({v for v in vendor_ids if v is not None})
    if not wanted:
        return {}
    rows = session.execute(select(Vendor.id, Vendor.name).where(Vendor.id.in_(wanted)))  # type: ignore[union-attr]
    return {vendor_id: name for vendor_id, name in rows}
