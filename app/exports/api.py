"""Downloads under /api/v1/exports: the record of processing (CSV, XLSX, PDF), the whole register as one
workbook, and each register list as CSV or XLSX with the list's own filters. CSV is streamed straight
from keyset-paged queries; XLSX is written (write-only) to a temporary file, then streamed."""

import logging
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlmodel import Session

from app.assessments.models import AssessmentStatus
from app.auth.deps import Requires
from app.auth.models import User
from app.auth.permissions import Permission
from app.core.config import get_settings
from app.core.countries import CountryCode
from app.core.deps import Day, RowIdFilter, Search, SessionDep, errors, sort_param
from app.dataflows.service import Scope
from app.documents.models import DocumentType
from app.documents.status import DocumentStatus
from app.exports import service as export_service
from app.exports import writers
from app.exports.service import (
    AddonFilters,
    AssessmentFilters,
    DocumentFilters,
    Entity,
    Filters,
    IntegrationFilters,
    VendorFilters,
)
from app.exports.writers import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, Table
from app.heroku.api import SLUG
from app.integrations import service as integration_service
from app.integrations.exposure import DataCategory, Tier
from app.integrations.models import IntegrationKind, IntegrationStatus
from app.vendors import service as vendor_service
from app.vendors.models import VendorStatus

log = logging.getLogger("riskreg.exports")
router = APIRouter(tags=["exports"])
Exporter = Annotated[User, Requires(Permission.export_read)]
PREFIX = "/api/v1/exports"
PDF_MEDIA_TYPE = "application/pdf"
DayParam = Annotated[Day | None, Query(description="Judge agreements and document status on this day (YYYY-MM-DD; "
                                                   "default today)")]
ScopeParam = Annotated[Scope, Query(description="current: requested, in review and approved integrations; "
                                                "approved: approved only")]


def _file(content: Any, *, media_type: str, name: str, length: int | None = None) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"}
    if length is not None:
        headers["Content-Length"] = str(length)
    if isinstance(content, bytes):
        return Response(content, media_type=media_type, headers=headers)
    return StreamingResponse(content, media_type=media_type, headers=headers)


def xlsx_response(tables: list[Table], name: str) -> Response:
    """The tables as a workbook: written to an anonymous temporary file, then streamed from it."""
    source, size = writers.xlsx_file(tables)
    return _file(writers.file_chunks(source), media_type=XLSX_MEDIA_TYPE, name=name, length=size)


def _who(request: Request) -> Any:
    return getattr(request.state, "user_id", None)


# --- the record of processing ---------------------------------------------------------------------

def record_download(session: Session, fmt: str, *, today: date, scope: Scope, user_id: Any = None) -> Response:
    """The record of processing as `fmt` (csv, xlsx or pdf) for download; the page's links use it too."""
    record = export_service.record_of_processing(
        session, today=today, expiring_days=get_settings().document_expiring_days, scope=scope)
    log.info("export", extra={"what": "record-of-processing", "format": fmt, "rows": len(record.entries),
                              "user_id": user_id})
    name = export_service.file_name("record-of-processing", fmt, today=today)
    if fmt == "csv":
        return _file(writers.csv_stream(export_service.record_table(record)), media_type=CSV_MEDIA_TYPE, name=name)
    if fmt == "xlsx":
        return xlsx_response([export_service.record_table(record)], name)
    return _file(export_service.record_pdf(record), media_type=PDF_MEDIA_TYPE, name=name)


_FILE = {200: {"content": {CSV_MEDIA_TYPE: {}, XLSX_MEDIA_TYPE: {}, PDF_MEDIA_TYPE: {}},
               "description": "The file, as an attachment"}}


@router.get(f"{PREFIX}/record-of-processing.csv", response_class=Response, responses={**_FILE, **errors()})
def record_of_processing_csv(session: SessionDep, request: Request, _user: Exporter, scope: ScopeParam = Scope.current,
                             on: DayParam = None) -> Response:
    """The record of processing (GDPR Art. 30(1)(d)–(e)): per vendor the purposes, data categories,
    countries, third-country transfers and their mechanism, sub-processors, the DPA (id, title, SHA-256,
    dates) and what is missing. One row per vendor receiving data."""
    return record_download(session, "csv", today=on or date.today(), scope=scope, user_id=_who(request))


@router.get(f"{PREFIX}/record-of-processing.xlsx", response_class=Response, responses={**_FILE, **errors()})
def record_of_processing_xlsx(session: SessionDep, request: Request, _user: Exporter,
                              scope: ScopeParam = Scope.current, on: DayParam = None) -> Response:
    """The record of processing as a workbook (one sheet)."""
    return record_download(session, "xlsx", today=on or date.today(), scope=scope, user_id=_who(request))


@router.get(f"{PREFIX}/record-of-processing.pdf", response_class=Response, responses={**_FILE, **errors(503)})
def record_of_processing_pdf(session: SessionDep, request: Request, _user: Exporter,
                             scope: ScopeParam = Scope.current, on: DayParam = None) -> Response:
    """The record of processing printed like an assessment record (landscape, one row per vendor), for an
    auditor. Rendered in the PDF worker pool: 503 if the workers are busy or the render runs too long."""
    return record_download(session, "pdf", today=on or date.today(), scope=scope, user_id=_who(request))


# --- the register ---------------------------------------------------------------------------------

def register_download(session: Session, *, today: date, user_id: Any = None) -> Response:
    tables = export_service.register_tables(session, today=today,
                                            expiring_days=get_settings().document_expiring_days)
    log.info("export", extra={"what": "register", "format": "xlsx", "user_id": user_id})
    return xlsx_response(tables, export_service.file_name("register", "xlsx", today=today))


@router.get(f"{PREFIX}/register.xlsx", response_class=Response, responses={**_FILE, **errors()})
def register_xlsx(session: SessionDep, request: Request, _user: Exporter, on: DayParam = None) -> Response:
    """The whole register as one workbook: a sheet each for vendors, integrations, documents (status on
    `on`), assessments and add-ons, every row, with a header row frozen and filterable."""
    return register_download(session, today=on or date.today(), user_id=_who(request))


def _csv_body(bind: Any, entity: Entity, filters: Filters, today: date, expiring_days: int) -> Iterator[bytes]:
    # Sent after the request's session has closed: a session of its own, reading BATCH rows at a time.
    with export_service.reading_session(bind) as session:
        table = export_service.entity_table(session, entity, filters, today=today, expiring_days=expiring_days)
        yield from writers.csv_stream(table)


def entity_download(session: Session, entity: Entity, filters: Filters, fmt: str, *, today: date,
                    user_id: Any = None) -> Response:
    export_service.check_filters(session, entity, filters)
    expiring_days = get_settings().document_expiring_days
    log.info("export", extra={"what": entity.value, "format": fmt, "user_id": user_id})
    name = export_service.file_name(entity.value, fmt, today=today)
    if fmt == "csv":
        return _file(_csv_body(session.get_bind(), entity, filters, today, expiring_days),
                     media_type=CSV_MEDIA_TYPE, name=name)
    table = export_service.entity_table(session, entity, filters, today=today, expiring_days=expiring_days)
    return xlsx_response([table], name)


def vendor_filters(
    status: Annotated[VendorStatus | None, Query()] = None,
    country: Annotated[CountryCode | None, Query(description="Headquarters or a data location")] = None,
    q: Search = None,
    sort: sort_param(vendor_service.SORTS) = "name",
) -> VendorFilters:
    return VendorFilters(status=status, country=country, q=q, sort=sort)


def integration_filters(
    vendor_id: RowIdFilter = None,
    kind: Annotated[IntegrationKind | None, Query()] = None,
    status: Annotated[IntegrationStatus | None, Query()] = None,
    data_category: Annotated[DataCategory | None, Query()] = None,
    country: Annotated[CountryCode | None, Query(description="A transfer country")] = None,
    tier: Annotated[Tier | None, Query(description="Inherent tier")] = None,
    q: Search = None,
    sort: sort_param(integration_service.SORTS) = "name",
) -> IntegrationFilters:
    return IntegrationFilters(vendor_id=vendor_id, kind=kind, status=status, data_category=data_category,
                              country=country, tier=tier, q=q, sort=sort)


def document_filters(
    vendor_id: RowIdFilter = None,
    type: Annotated[DocumentType | None, Query()] = None,
    status: Annotated[DocumentStatus | None, Query(description="Status on `on` (today by default)")] = None,
    on: Annotated[Day | None, Query(description="Compute status for this day (YYYY-MM-DD) instead of today")] = None,
) -> DocumentFilters:
    return DocumentFilters(vendor_id=vendor_id, type=type, status=status, on=on)


def assessment_filters(
    integration_id: RowIdFilter = None,
    status: Annotated[AssessmentStatus | None, Query()] = None,
) -> AssessmentFilters:
    return AssessmentFilters(integration_id=integration_id, status=status)


def addon_filters(
    status: Annotated[str | None, Query(pattern="^(shadow|approved|gone)$", description="shadow: installed with no "
                                        "approved request behind it; approved; gone")] = None,
    app: Annotated[str | None, Query(max_length=100, pattern=SLUG, description="App name")] = None,
    service: Annotated[str | None, Query(max_length=100, pattern=SLUG, description="Service slug")] = None,
) -> AddonFilters:
    return AddonFilters(status=status, app=app, service=service)


FILTERS = {
    Entity.vendors: vendor_filters, Entity.integrations: integration_filters, Entity.documents: document_filters,
    Entity.assessments: assessment_filters, Entity.addons: addon_filters,
}
LISTS = {
    Entity.vendors: "GET /api/v1/vendors", Entity.integrations: "GET /api/v1/integrations",
    Entity.documents: "GET /api/v1/documents", Entity.assessments: "an integration's assessments",
    Entity.addons: "GET /api/v1/heroku/addons",
}


def _add_entity_routes(entity: Entity) -> None:
    dependency = FILTERS[entity]
    FiltersDep = Annotated[Filters, Depends(dependency)]  # noqa: N806

    def as_csv(session: SessionDep, request: Request, _user: Exporter, filters: FiltersDep) -> Response:
        return entity_download(session, entity, filters, "csv", today=date.today(), user_id=_who(request))

    def as_xlsx(session: SessionDep, request: Request, _user: Exporter, filters: FiltersDep) -> Response:
        return entity_download(session, entity, filters, "xlsx", today=date.today(), user_id=_who(request))

    what = entity.value.replace("addons", "add-ons")
    for fmt, endpoint in (("csv", as_csv), ("xlsx", as_xlsx)):
        router.add_api_route(
            f"{PREFIX}/{entity.value}.{fmt}", endpoint, methods=["GET"], response_class=Response,
            responses={**_FILE, **errors(404)}, name=f"export_{entity.value}_{fmt}",
            summary=f"Export {what} as {fmt.upper()}",
            description=(f"Every {what[:-1]} the list ({LISTS[entity]}) would show with the same filters, in its "
                         "order, as one file. " + (
                             "Streamed as it is read, a batch of rows at a time; cells a spreadsheet would run "
                             "as a formula are prefixed with `'`." if fmt == "csv" else
                             "One sheet, written in constant memory; formula-like text is stored as text.")),
        )


for _entity in Entity:
    _add_entity_routes(_entity)
