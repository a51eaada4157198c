"""Document pages: the upload form's POST (on the vendor's page), a document with its versions and sub-processor
changes, and its download. The upload is the API's: the same form model (`DocumentUpload`), the same service
(sniffed by content, size-limited, stored by SHA-256); a refusal shows the vendor's page again with the message
next to the field, and nothing stored."""

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from app.auth.deps import actor_of
from app.auth.models import User
from app.auth.permissions import Permission
from app.core.config import get_settings
from app.core.deps import RowId, SessionDep
from app.core.errors import DomainError
from app.documents import api as documents_api
from app.documents import service as document_service
from app.documents.schemas import DocumentUpload
from app.integrations import service as integration_service
from app.vendors import service as vendor_service
from app.vendors.pages import UploadForm, form_text, friendly, vendor_page
from app.web.csrf import CsrfProtected, FormCsrf
from app.web.deps import web_requires
from app.web.forms import PostedForm
from app.web.templating import redirect, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, web_requires(Permission.document_read)]
Uploader = Annotated[User, web_requires(Permission.document_upload)]

# The body-size middleware needs this template in its `route_limits`, like the API's UPLOAD_PATH.
UPLOAD_PATH = "/vendors/{vendor_id}/documents"
TEXT_FIELDS = ("type", "title", "supersedes_id", "signed_on", "effective_on", "expires_on", "renewal_months",
               "notice_days", "transfer_mechanism", "breach_notice_hours", "subprocessors", "notes")
# The form's labels, for messages that name a field (the schema's rules speak of `expires_on`).
LABELS = {"signed_on": "Signed on", "effective_on": "In force from", "expires_on": "Expires on",
          "auto_renews": "Renews automatically", "renewal_months": "Renewal term", "notice_days": "Notice period",
          "transfer_mechanism": "Transfer mechanism", "breach_notice_hours": "Breach notification",
          "subprocessors": "Sub-processors", "supersedes_id": "New version of", "integration_ids": "Covers these integrations"}
# Which field a service refusal belongs next to.
REFUSAL_FIELDS: dict[type[DomainError], str] = {
    document_service.UnsupportedFileType: "file", document_service.EmptyFile: "file",
    document_service.DocumentTooLarge: "file", document_service.InvalidSupersede: "supersedes_id",
    document_service.DocumentAlreadySuperseded: "supersedes_id", document_service.UnknownIntegration: "integration_ids",
}
NO_FILE = "Choose the file to upload: the signed agreement or report as PDF, PNG or JPEG."
_FIELD_NAME = re.compile(r"\b(" + "|".join(LABELS) + r")\b", re.IGNORECASE)


def _in_words(message: str) -> tuple[str | None, str]:
    """The first field a message names, and the message with field names replaced by the form's labels."""
    found = _FIELD_NAME.search(message)
    worded = _FIELD_NAME.sub(lambda m: f"“{LABELS[m.group(1).lower()]}”", message)
    return (found.group(1).lower() if found else None), worded[:1].upper() + worded[1:]


def _subprocessors(text: str) -> tuple[list[dict[str, str]] | None, str | None]:
    """Lines of `name | purpose | country` as the schema's list; or the problem with the first bad line."""
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not all(parts):
            return None, f"Line {number}: write name | purpose | country code, e.g. Amazon Web Services | Hosting | IE."
        items.append({"name": parts[0], "purpose": parts[1], "country": parts[2].upper()})
    return items or None, None


def _read_upload(posted: FormData) -> tuple[UploadForm, dict[str, Any], UploadFile | None]:
    """The form as typed (to show again), the API's form fields it means, and the file part if one was chosen."""
    values: dict[str, Any] = {name: form_text(posted, name) for name in TEXT_FIELDS}
    values["auto_renews"] = bool(form_text(posted, "auto_renews"))
    values["integration_ids"] = [v for v in posted.getlist("integration_ids") if isinstance(v, str)]
    form = UploadForm(values=values)
    fields: dict[str, Any] = {name: values[name] for name in TEXT_FIELDS if values[name] and name != "subprocessors"}
    fields["auto_renews"] = values["auto_renews"]
    fields["integration_ids"] = values["integration_ids"]
    if values["subprocessors"]:
        items, problem = _subprocessors(values["subprocessors"])
        if problem:
            form.errors["subprocessors"] = problem
        else:
            fields["subprocessors"] = items
    upload = posted.get("file")
    chosen = upload if isinstance(upload, UploadFile) and (upload.filename or upload.size) else None
    if chosen is not None:
        fields["file"] = chosen
    return form, fields, chosen


def _upload_errors(exc: ValidationError, form: UploadForm) -> None:
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] == "file":
            form.errors.setdefault("file", NO_FILE)
            continue
        message = friendly(error)
        if loc and loc[0] == "subprocessors" and len(loc) >= 3 and loc[1].isdigit():
            message = f"Line {int(loc[1]) + 1}, {loc[2]}: {message[:1].lower() + message[1:]}"
        name, worded = _in_words(message)
        if loc:
            form.errors.setdefault(loc[0], worded)
        elif name:  # a rule across fields ("expires_on is before effective_on"): next to the first it names
            form.errors.setdefault(name, worded)
        else:
            form.error = form.error or worded


@router.post(UPLOAD_PATH, dependencies=[CsrfProtected])
def upload_document(
    request: Request, vendor_id: RowId, session: SessionDep, user: Uploader, csrf: FormCsrf, posted: PostedForm,
) -> Response:
    settings = get_settings()
    form, fields, file = _read_upload(posted)
    try:
        try:
            upload = DocumentUpload.model_validate(fields)
        except ValidationError as exc:
            _upload_errors(exc, form)
        if form.errors or form.error:
            form.error = form.error or "The document was not uploaded: correct the fields marked below."
            return vendor_page(request, session, user, csrf, vendor_id, upload=form, status_code=422)
        try:
            with session.begin_nested():  # a refusal takes back anything the attempt wrote
                document, deduplicated = document_service.upload_document(
                    session, actor=actor_of(user), vendor_id=vendor_id, upload=upload,
                    backend=settings.storage_backend, max_bytes=settings.max_upload_bytes)
        except vendor_service.VendorNotFound:
            raise
        except DomainError as exc:
            field = next((f for kind, f in REFUSAL_FIELDS.items() if isinstance(exc, kind)), None)
            named, worded = _in_words(exc.detail)
            field = field or named
            if field:
                form.errors[field] = worded
            form.error = "The document was not uploaded." + ("" if field else f" {worded}")
            return vendor_page(request, session, user, csrf, vendor_id, upload=form, status_code=exc.status_code)
    finally:
        if file is not None:
            file.file.close()
    notice = f"Uploaded “{document.title}” as document #{document.id}"
    notice += f", a new version of #{document.supersedes_id}." if document.supersedes_id else "."
    if deduplicated:
        notice += " The same file was already on record; it is stored once."
    return redirect(f"/vendors/{vendor_id}#documents", notice)


@router.get("/documents/{document_id}")
def document_detail(request: Request, document_id: RowId, session: SessionDep, user: Reader, csrf: FormCsrf) -> Response:
    settings = get_settings()
    today = date.today()
    view = document_service.view_document(session, document_id, today=today,
                                          expiring_days=settings.document_expiring_days)
    document = view.document
    vendor = vendor_service.get_vendor(session, document.vendor_id)
    versions = document_service.versions(session, document_id, today=today,
                                         expiring_days=settings.document_expiring_days)
    integrations = [integration_service.get_integration(session, i) for i in view.integration_ids]
    return render(request, "documents/detail.html", {
        "user": user, "active_section": "vendors", "view": view, "document": document, "vendor": vendor,
        "versions": versions, "changes": document_service.changes_from_previous(session, document),
        "integrations": integrations, "today": today,
    }, csrf=csrf)


@router.get("/documents/{document_id}/file")
def download_document(
    document_id: RowId, session: SessionDep, user: Reader,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The file, checked against its SHA-256, as the API serves it (attachment, nosniff, ETag)."""
    return documents_api.download_content(document_id, session, user, if_none_match)
