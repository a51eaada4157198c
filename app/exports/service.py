"""Export use cases: each register list read in keyset-paged batches (never all at once), the record of
processing, and their tables for the CSV and XLSX writers; the record's PDF through the assessment
record pipeline."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session

from app.assessments.models import Assessment, AssessmentStatus
from app.core.pagination import parse_sort
from app.dataflows import service as dataflow_service
from app.dataflows.processing import ProcessingDocument, ProcessingRecord
from app.documents import service as document_service
from app.documents.models import Document, DocumentType
from app.documents.status import DocumentStatus
from app.exports import tables
from app.exports.writers import Table
from app.heroku import service as heroku_service
from app.integrations import service as integration_service
from app.integrations.exposure import DataCategory, Tier
from app.integrations.models import Integration, IntegrationKind, IntegrationStatus
from app.vendors import service as vendor_service
from app.vendors.models import Vendor, VendorStatus

BATCH = 1000  # rows per keyset page
PDF_TEMPLATE = "record_of_processing.html"
PDF_TIMEOUT_S = 120.0  # a register of a few thousand vendors prints in well under this


class Entity(StrEnum):
    vendors = "vendors"
    integrations = "integrations"
    documents = "documents"
    assessments = "assessments"
    addons = "addons"


SHEET_TITLES = {
    Entity.vendors: "Vendors", Entity.integrations: "Integrations", Entity.documents: "Documents",
    Entity.assessments: "Assessments", Entity.addons: "Add-ons",
}


# --- filters (the same as the lists') -------------------------------------------------------------

@dataclass(frozen=True)
class VendorFilters:
    status: VendorStatus | None = None
    country: str | None = None
    q: str | None = None
    sort: str = "name"


@dataclass(frozen=True)
class IntegrationFilters:
    vendor_id: int | None = None
    kind: IntegrationKind | None = None
    status: IntegrationStatus | None = None
    data_category: DataCategory | None = None
    country: str | None = None
    tier: Tier | None = None
    q: str | None = None
    sort: str = "name"


@dataclass(frozen=True)
class DocumentFilters:
    vendor_id: int | None = None
    type: DocumentType | None = None
    status: DocumentStatus | None = None
    on: date | None = None  # status computed for this day (default: today)


@dataclass(frozen=True)
class AssessmentFilters:
    integration_id: int | None = None
    status: AssessmentStatus | None = None


@dataclass(frozen=True)
class AddonFilters:
    status: str | None = None  # shadow | approved | gone
    app: str | None = None
    service: str | None = None


Filters = VendorFilters | IntegrationFilters | DocumentFilters | AssessmentFilters | AddonFilters
DEFAULT_FILTERS: dict[Entity, Filters] = {
    Entity.vendors: VendorFilters(), Entity.integrations: IntegrationFilters(), Entity.documents: DocumentFilters(),
    Entity.assessments: AssessmentFilters(), Entity.addons: AddonFilters(),
}


def check_filters(session: Session, entity: Entity, filters: Filters) -> None:
    """Refuses what the list would refuse (an unknown sort, a vendor or integration that does not exist)
    before a streamed response starts: once it has, an error can only cut the file short."""
    if isinstance(filters, VendorFilters):
        parse_sort(filters.sort, vendor_service.SORTS)
    elif isinstance(filters, IntegrationFilters):
        parse_sort(filters.sort, integration_service.SORTS)
    elif isinstance(filters, DocumentFilters) and filters.vendor_id is not None:
        vendor_service.get_vendor(session, filters.vendor_id)
    elif isinstance(filters, AssessmentFilters) and filters.integration_id is not None:
        integration_service.get_integration(session, filters.integration_id)


# --- rows, batch by batch -------------------------------------------------------------------------

def vendor_rows(session: Session, f: VendorFilters) -> Iterator[tuple[Any, ...]]:
    """Every vendor the list would show, in the list's order, BATCH at a time through its own cursors."""
    cursor = None
    while True:
        page = vendor_service.list_vendors(session, status=f.status, country=f.country, q=f.q, sort=f.sort,
                                           limit=BATCH, cursor=cursor)
        for row in page.items:
            yield tables.vendor_row(row)
        if page.next is None:
            return
        cursor = page.next


def integration_rows(session: Session, f: IntegrationFilters) -> Iterator[tuple[Any, ...]]:
    cursor = None
    while True:
        page = integration_service.list_integrations(
            session, vendor_id=f.vendor_id, kind=f.kind, status=f.status, data_category=f.data_category,
            country=f.country, tier=f.tier, q=f.q, sort=f.sort, limit=BATCH, cursor=cursor,
        )
        names = vendor_service.names_of(session, (r.vendor_id for r in page.items))
        for row in page.items:
            yield tables.integration_row(row, names.get(row.vendor_id))
        if page.next is None:
            return
        cursor = page.next


def document_rows(session: Session, f: DocumentFilters, *, today: date, expiring_days: int) -> Iterator[tuple[Any, ...]]:
    """Documents newest first, as the documents list orders them; the status (on `f.on`, else `today`)
    is computed per batch, so a status filter applies after loading, as in the list."""
    on = f.on or today
    stmt = select(Document)
    if f.vendor_id is not None:
        stmt = stmt.where(Document.vendor_id == f.vendor_id)
    if f.type is not None:
        stmt = stmt.where(Document.type == f.type.value)
    last_id: int | None = None
    while True:
        page = stmt if last_id is None else stmt.where(Document.id < last_id)  # type: ignore[operator]
        documents = list(session.scalars(page.order_by(Document.id.desc()).limit(BATCH)))  # type: ignore[union-attr]
        if not documents:
            return
        views = document_service.document_views(session, documents, today=on, expiring_days=expiring_days)
        names = vendor_service.names_of(session, (d.vendor_id for d in documents))
        for view in views:
            if f.status is None or view.standing.status == f.status:
                yield tables.document_row(view, names.get(view.document.vendor_id))
        last_id = documents[-1].id
        for document in documents:  # keep the session's identity map as small as one batch
            session.expunge(document)
        if len(documents) < BATCH:
            return


_ASSESSMENT_FIELDS = (
    Assessment.id, Assessment.integration_id, Assessment.status, Assessment.inherent_tier, Assessment.assurance,
    Assessment.residual_tier, Assessment.verdict, Assessment.decision, Assessment.reason, Assessment.conditions,
    Assessment.reviewer, Assessment.reviewed_at, Assessment.signer, Assessment.signed_at, Assessment.valid_until,
    Assessment.record_sha256, Assessment.created_at, Assessment.updated_at,
)


def assessment_states(rows: Sequence[Any], signed: dict[int, list[int]], *, today: date) -> dict[int, tuple[str, int | None]]:
    """The state of each assessment, by the rule of app.assessments.service.state_of: a signed assessment
    is `superseded` once a later one of the same integration is signed, else `expired` after its
    valid_until; otherwise its status. `signed` lists each integration's signed assessment ids, ascending."""
    states: dict[int, tuple[str, int | None]] = {}
    for r in rows:
        newer = None
        if r.status == AssessmentStatus.signed:
            newer = next((i for i in signed.get(r.integration_id, ()) if i > r.id), None)
        state = r.status
        if newer is not None:
            state = "superseded"
        elif r.status == AssessmentStatus.signed and r.valid_until and r.valid_until < today:
            state = "expired"
        states[r.id] = (state, newer)
    return states


def assessment_rows(session: Session, f: AssessmentFilters, *, today: date) -> Iterator[tuple[Any, ...]]:
    """Assessments by id (the snapshot itself is not exported: it is in each signed record), with the
    integration and vendor they concern and their state today; two queries per batch."""
    stmt = (select(*_ASSESSMENT_FIELDS, Integration.name.label("integration"), Integration.vendor_id,  # type: ignore[attr-defined]
                   Vendor.name.label("vendor"))  # type: ignore[attr-defined]
            .join(Integration, Integration.id == Assessment.integration_id)
            .join(Vendor, Vendor.id == Integration.vendor_id))
    if f.integration_id is not None:
        stmt = stmt.where(Assessment.integration_id == f.integration_id)
    if f.status is not None:
        stmt = stmt.where(Assessment.status == f.status.value)
    last_id = 0
    while True:
        rows = session.execute(stmt.where(Assessment.id > last_id).order_by(Assessment.id).limit(BATCH)).all()  # type: ignore[operator,arg-type]
        if not rows:
            return
        signed: dict[int, list[int]] = {}
        for assessment_id, integration_id in session.execute(
            select(Assessment.id, Assessment.integration_id).where(
                Assessment.integration_id.in_({r.integration_id for r in rows}),  # type: ignore[attr-defined]
                Assessment.status == AssessmentStatus.signed.value,
            ).order_by(Assessment.id)
        ):
            signed.setdefault(integration_id, []).append(assessment_id)
        states = assessment_states(rows, signed, today=today)
        for row in rows:
            state, newer = states[row.id]
            yield tables.assessment_row(row, state=state, superseded_by_id=newer)
        last_id = rows[-1].id
        if len(rows) < BATCH:
            return


def addon_rows(session: Session, f: AddonFilters) -> Iterator[tuple[Any, ...]]:
    """Add-on installations by id, through the add-on list itself (its shadow / approved / gone rule)."""
    after = 0
    while True:
        rows, _total = heroku_service.list_addons(session, status=f.status, app=f.app, service=f.service,
                                                  limit=BATCH, after_id=after)
        if not rows:
            return
        names = vendor_service.names_of(session, (r.service.vendor_id for r in rows if r.service))
        for row in rows:
            yield tables.addon_row(row, names.get(row.service.vendor_id) if row.service else None)
        after = rows[-1].installation.id  # type: ignore[assignment]
        for row in rows:
            for obj in (row.installation, row.app, row.service, row.plan, row.integration):
                if obj is not None and obj in session:
                    session.expunge(obj)
        if len(rows) < BATCH:
            return


def entity_table(session: Session, entity: Entity, filters: Filters | None = None, *, today: date,
                 expiring_days: int) -> Table:
    """The table of one register list, its rows read lazily as the writer consumes them."""
    f = filters if filters is not None else DEFAULT_FILTERS[entity]
    rows: Iterator[tuple[Any, ...]]
    if entity is Entity.vendors:
        assert isinstance(f, VendorFilters)
        header, rows = tables.VENDOR_COLUMNS, vendor_rows(session, f)
    elif entity is Entity.integrations:
        assert isinstance(f, IntegrationFilters)
        header, rows = tables.INTEGRATION_COLUMNS, integration_rows(session, f)
    elif entity is Entity.documents:
        assert isinstance(f, DocumentFilters)
        header, rows = tables.DOCUMENT_COLUMNS, document_rows(session, f, today=today, expiring_days=expiring_days)
    elif entity is Entity.assessments:
        assert isinstance(f, AssessmentFilters)
        header, rows = tables.ASSESSMENT_COLUMNS, assessment_rows(session, f, today=today)
    else:
        assert isinstance(f, AddonFilters)
        header, rows = tables.ADDON_COLUMNS, addon_rows(session, f)
    return Table(title=SHEET_TITLES[entity], header=header, rows=rows)


def register_tables(session: Session, *, today: date, expiring_days: int) -> list[Table]:
    """Every register list, unfiltered, one table each (one sheet each in the workbook)."""
    return [entity_table(session, entity, today=today, expiring_days=expiring_days) for entity in Entity]


# --- the record of processing ---------------------------------------------------------------------

def record_of_processing(session: Session, *, today: date, expiring_days: int,
                         scope: dataflow_service.Scope = dataflow_service.Scope.current) -> ProcessingRecord:
    return dataflow_service.record_of_processing(session, today=today, expiring_days=expiring_days, scope=scope)


def record_table(record: ProcessingRecord) -> Table:
    return Table(title="Record of processing", header=tables.RECORD_COLUMNS, rows=tables.record_rows(record))


def record_pdf(record: ProcessingRecord, *, now: datetime | None = None) -> bytes:
    """The record as a PDF, printed like an assessment record (same fonts, fetcher and worker pool)."""
    from app.assessments import render

    created = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    view = ProcessingDocument(
        title=f"Record of processing — recipients and transfers, {record.on.isoformat()}",
        created=created.strftime("%Y-%m-%dT%H:%M:%SZ"), record=record,
    )
    return render.render_document_pdf(
        PDF_TEMPLATE, view, what="the record of processing", created=created.replace(tzinfo=None),
        timeout=PDF_TIMEOUT_S,
        too_large="if it happens again, download it as XLSX or CSV, which have no size limit.",
    )


# --- sessions for streamed responses --------------------------------------------------------------

def reading_session(bind: Any) -> Session:
    """A session of its own for a response streamed after the request's session has closed. On a
    PostgreSQL engine it reads one snapshot (REPEATABLE READ), so the pages of a long export agree with
    each other; SQLite's read transaction is a snapshot already."""
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        bind = bind.execution_options(isolation_level="REPEATABLE READ")
    return Session(bind=bind, expire_on_commit=False)


def file_name(what: str, extension: str, *, today: date) -> str:
    return f"riskreg-{what}-{today.isoformat()}.{extension}"
