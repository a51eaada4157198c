"""JSON API for documents: upload to a vendor, list, read, versions, download, and the policy facts."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Header, Query, status
from fastapi.responses import Response, StreamingResponse

from app.auth.deps import Requires, actor_of
from app.auth.models import User
from app.auth.permissions import Permission
from app.core.config import Settings, get_settings
from app.core.deps import Day, RowId, SessionDep, errors
from app.documents import service as document_service
from app.documents.models import DocumentType
from app.documents.schemas import (
    DocumentDetail,
    DocumentPage,
    DocumentPublic,
    DocumentUpload,
    PolicyFactsPublic,
    SubprocessorChange,
)
from app.documents.status import DocumentStatus
from app.vendors import service as vendor_service

router = APIRouter(tags=["documents"])
Reader = Annotated[User, Requires(Permission.document_read)]
Uploader = Annotated[User, Requires(Permission.document_upload)]
StatusOn = Annotated[
    Day | None, Query(description="Compute status for this day (YYYY-MM-DD) instead of today: what was in force then")
]
UPLOAD_PATH = "/api/v1/vendors/{vendor_id}/documents"


def _today(on: date | None) -> date:
    return on or date.today()


def public(view: document_service.DocumentView, *, deduplicated: bool = False) -> DocumentPublic:
    d, s = view.document, view.standing
    return DocumentPublic(
        **{k: getattr(d, k) for k in DocumentPublic.model_fields if hasattr(d, k) and k != "status"},
        integration_ids=view.integration_ids, superseded_by_id=view.superseded_by_id,
        status=s.status, status_on=view.on, ends_on=s.ends_on, notice_deadline_on=s.notice_deadline_on,
        days_left=s.days_left, deduplicated=deduplicated,
    )


@router.post(UPLOAD_PATH, status_code=status.HTTP_201_CREATED, responses=errors(404, 409, 413, 415, 422))
def upload_document(
    vendor_id: RowId,
    upload: Annotated[DocumentUpload, Form(media_type="multipart/form-data")],
    session: SessionDep,
    response: Response,
    user: Uploader,
) -> DocumentPublic:
    """Upload a signed agreement or a report as `multipart/form-data`: the `file` part plus its terms.

    The file is accepted by its bytes (PDF, PNG, JPEG), stored once by SHA-256, and never overwritten:
    to replace a document, upload the new version with `supersedes_id`. Sub-processors (DPA) are a
    JSON array in one form field. Larger than `RISKREG_MAX_UPLOAD_BYTES` (25 MiB): 413."""
    settings = get_settings()
    try:
        document, deduplicated = document_service.upload_document(
            session, actor=actor_of(user), vendor_id=vendor_id, upload=upload,
            backend=settings.storage_backend, max_bytes=settings.max_upload_bytes,
        )
    finally:
        upload.file.file.close()
    response.headers["Location"] = f"/api/v1/documents/{document.id}"
    view = document_service.view_document(
        session, document.id, today=date.today(), expiring_days=settings.document_expiring_days  # type: ignore[arg-type]
    )
    return public(view, deduplicated=deduplicated)


@router.get(UPLOAD_PATH, response_model=DocumentPage, responses=errors(404))
def list_documents(
    vendor_id: RowId,
    session: SessionDep,
    _user: Reader,
    type: Annotated[DocumentType | None, Query()] = None,
    status: Annotated[DocumentStatus | None, Query(description="Status on `on` (today by default)")] = None,
    on: StatusOn = None,
) -> DocumentPage:
    """A vendor's documents, newest first, every version included (filter `status` to leave out superseded ones)."""
    views = document_service.list_documents(
        session, vendor_id, today=_today(on), expiring_days=get_settings().document_expiring_days,
        type=type, status=status,
    )
    return DocumentPage(items=[public(v) for v in views], total=len(views), next=None)


@router.get("/api/v1/documents", response_model=DocumentPage, responses=errors())
def list_all_documents(
    session: SessionDep,
    _user: Reader,
    type: Annotated[DocumentType | None, Query()] = None,
    status: Annotated[DocumentStatus | None, Query(description="Status on `on` (today by default)")] = None,
    on: StatusOn = None,
) -> DocumentPage:
    """Every vendor's documents, newest first: `?status=expiring` is what needs renewing soon,
    `?status=expired` what has lapsed."""
    views = document_service.list_documents(
        session, None, today=_today(on), expiring_days=get_settings().document_expiring_days, type=type, status=status
    )
    return DocumentPage(items=[public(v) for v in views], total=len(views), next=None)


@router.get("/api/v1/documents/{document_id}", responses=errors(404))
def get_document(document_id: RowId, session: SessionDep, _user: Reader, on: StatusOn = None) -> DocumentDetail:
    """One document with its status, and for a DPA version the sub-processor changes from the one it supersedes."""
    view = document_service.view_document(
        session, document_id, today=_today(on), expiring_days=get_settings().document_expiring_days
    )
    changes = document_service.changes_from_previous(session, view.document)
    return DocumentDetail(
        **public(view).model_dump(),
        subprocessor_changes=None if changes is None else [SubprocessorChange(**c) for c in changes],
    )


@router.get("/api/v1/documents/{document_id}/versions", response_model=DocumentPage, responses=errors(404))
def list_versions(document_id: RowId, session: SessionDep, _user: Reader, on: StatusOn = None) -> DocumentPage:
    """Every version of the document, oldest first (whichever version's id is given)."""
    views = document_service.versions(
        session, document_id, today=_today(on), expiring_days=get_settings().document_expiring_days
    )
    return DocumentPage(items=[public(v) for v in views], total=len(views), next=None)


PDF_CONTENT = {
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
    "image/png": {"schema": {"type": "string", "format": "binary"}},
    "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
}


@router.get(
    "/api/v1/documents/{document_id}/content", response_class=Response,
    responses={200: {"content": PDF_CONTENT, "description": "The stored bytes, exactly as uploaded"},
               304: {"description": "Not modified (If-None-Match matched)"}, **errors(404, 500)},
)
def download_content(
    document_id: RowId,
    session: SessionDep,
    _user: Reader,
    if_none_match: Annotated[str | None, Header(description="The ETag you hold")] = None,
) -> Response:
    """The file, byte for byte as uploaded, after checking it against its SHA-256 (a mismatch is an
    error, never served). Always an attachment, never rendered inline."""
    document = document_service.get_document(session, document_id)
    tag = f'"sha256:{document.sha256}"'
    if if_none_match and tag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": tag})
    stored, _store = document_service.open_content(session, document)
    name = document.file_name
    return StreamingResponse(
        document_service.stream_content(stored, session.get_bind()),
        media_type=stored.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Length": str(stored.size),
            "ETag": tag,
            "Cache-Control": "private, no-cache",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/api/v1/vendors/{vendor_id}/policy-facts", responses=errors(404))
def policy_facts(vendor_id: RowId, session: SessionDep, _user: Reader, on: StatusOn = None) -> PolicyFactsPublic:
    """What the vendor's documents establish on a day: the facts the GDPR, HIPAA and PCI gates use."""
    settings: Settings = get_settings()
    vendor_service.get_vendor(session, vendor_id)
    facts = document_service.vendor_facts(
        session, vendor_id, today=_today(on), expiring_days=settings.document_expiring_days
    )
    countries = document_service.vendor_transfer_countries(session, vendor_id)
    return PolicyFactsPublic(
        vendor_id=vendor_id, on=facts.on,
        dpa_in_force=facts.dpa is not None, dpa_document_id=facts.dpa,
        baa_in_force=facts.baa is not None, baa_document_id=facts.baa,
        pci_aoc_in_date=facts.pci_aoc is not None, pci_aoc_document_id=facts.pci_aoc,
        transfer_mechanisms=facts.mechanisms,
        transfer_countries={c: facts.transfer_covered(c) for c in countries},
    )

