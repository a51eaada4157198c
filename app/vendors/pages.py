"""Vendor pages: the list (search, filters, cursor paging), the registration form, and a vendor's page with its
integrations, documents (status, versions, upload form) and assessments. The rules are the API's: the same
schema (`VendorCreate`) and the same service calls."""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from app.assessments import service as assessment_service
from app.auth.deps import actor_of
from app.auth.models import User
from app.auth.permissions import Permission
from app.core.config import get_settings
from app.core.countries import ALPHA2, country_name
from app.core.deps import RowId, SessionDep
from app.core.errors import InvalidInput
from app.core.schemas import clean_text
from app.documents import service as document_service
from app.integrations import service as integration_service
from app.vendors import service as vendor_service
from app.vendors.models import VendorStatus
from app.vendors.schemas import VendorCreate
from app.web.csrf import CsrfProtected, CsrfToken, FormCsrf
from app.web.deps import web_requires
from app.web.forms import PostedForm, form_str
from app.web.templating import redirect, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, web_requires(Permission.vendor_read)]
Writer = Annotated[User, web_requires(Permission.vendor_write)]
Text = Annotated[str | None, Query(max_length=200)]

PAGE_SIZE = 50
INTEGRATIONS_SHOWN = 100
SORT_OPTIONS = [("name", "Name (A–Z)"), ("-name", "Name (Z–A)"), ("legal_name", "Legal name"), ("country", "Country"),
                ("status", "Status"), ("-updated_at", "Recently changed"), ("-created_at", "Recently registered")]
STATUS_OPTIONS = [(s.value, s.value.capitalize()) for s in VendorStatus]
COUNTRY_OPTIONS = sorted(((code, f"{country_name(code)} ({code})") for code in ALPHA2), key=lambda o: o[1])
MIN_ROWS, MAX_SUBPROCESSOR_ROWS, MAX_CONTACT_ROWS = 2, 200, 50
ROW_FIELDS = {"subprocessors": ("name", "purpose", "country"), "contacts": ("name", "email", "role")}





def form_text(form: FormData, name: str) -> str:
    return form_str(form, name).strip()


def friendly(error: Any) -> str:
    """One pydantic error as a sentence for the person at the form."""
    kind = error.get("type", "")
    if kind == "missing" or (kind == "string_too_short" and (error.get("ctx") or {}).get("min_length") == 1):
        return "Fill this in."
    if kind.startswith("url_"):
        return "Enter a full web address starting with https://, such as https://www.example.com/."
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    # A country code error lists every allowed code: the form's own list already offers them.
    message = re.sub(r"\s*allowed values: .*$", "", message, flags=re.DOTALL).rstrip(" ;,")
    return message[:1].upper() + message[1:]


# --- the list -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListFilters:
    q: str | None = None
    status: str | None = None
    country: str | None = None
    sort: str = "name"

    def query(self) -> str:
        pairs = [("q", self.q), ("status", self.status), ("country", self.country)]
        pairs.append(("sort", self.sort if self.sort != "name" else None))
        return urlencode([(k, v) for k, v in pairs if v])


def _list_filters(q: str | None, status: str | None, country: str | None, sort: str | None) -> tuple[ListFilters, list[str]]:
    """The filters as given; what cannot be used is left out and named, never an error page."""
    problems = []
    search = (q or "").strip() or None
    if search is not None:
        try:
            clean_text(search)
        except ValueError as exc:
            problems.append(f"The search {exc}; showing every vendor.")
            search = None
    chosen_status = (status or "").strip() or None
    if chosen_status is not None and chosen_status not in {s.value for s in VendorStatus}:
        problems.append(f"'{chosen_status}' is not a vendor status; showing every status.")
        chosen_status = None
    code = (country or "").strip().upper() or None
    if code is not None and code not in ALPHA2:
        problems.append(f"'{country}' is not a two-letter country code; showing every country.")
        code = None
    order = (sort or "").strip() or "name"
    if order not in {value for value, _ in SORT_OPTIONS} and order.removeprefix("-") not in vendor_service.SORTS:
        problems.append(f"Vendors cannot be sorted by '{order}'; sorted by name.")
        order = "name"
    return ListFilters(q=search, status=chosen_status, country=code, sort=order), problems


@router.get("/vendors")
def vendor_list(
    request: Request, session: SessionDep, user: Reader, csrf: FormCsrf,
    q: Text = None, status: Text = None, country: Text = None, sort: Text = None,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    filters, problems = _list_filters(q, status, country, sort)

    def page(after: str | None) -> Any:
        return vendor_service.list_vendors(
            session, status=VendorStatus(filters.status) if filters.status else None, country=filters.country,
            q=filters.q, sort=filters.sort, limit=PAGE_SIZE, cursor=after)

    try:
        result = page(cursor or None)
    except InvalidInput:  # a cursor from another sort, or tampered with: start again from the first page
        problems.append("That page link no longer fits these filters; showing the first page.")
        cursor, result = None, page(None)
    counts = vendor_service.integration_counts(session, [row.id for row in result.items])
    return render(request, "vendors/list.html", {
        "user": user, "active_section": "vendors", "vendors": result.items, "total": result.total,
        "next": result.next, "filters": filters, "query": filters.query(), "problems": problems,
        "integration_counts": counts, "paged": bool(cursor), "sort_options": SORT_OPTIONS,
        "status_options": STATUS_OPTIONS, "country_options": COUNTRY_OPTIONS, "country_name": country_name,
    }, csrf=csrf)


# --- registering a vendor -------------------------------------------------------------------------------


@dataclass
class VendorForm:
    """What the registration form shows: the values typed (kept on a refusal) and the problems, by field."""

    values: dict[str, Any] = field(default_factory=lambda: {"status": "prospective"})
    rows: dict[str, list[dict[str, str]]] = field(default_factory=lambda: {"subprocessors": [], "contacts": []})
    errors: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    def padded(self, kind: str, extra: int = 0) -> list[dict[str, str]]:
        rows = list(self.rows[kind])
        limit = MAX_SUBPROCESSOR_ROWS if kind == "subprocessors" else MAX_CONTACT_ROWS
        while len(rows) < min(max(MIN_ROWS, len(self.rows[kind])) + extra, limit):
            rows.append(dict.fromkeys(ROW_FIELDS[kind], ""))
        return rows


_ROW_NAME = re.compile(r"^(subprocessors|contacts)-(\d{1,3})-(name|purpose|country|email|role)$")


def _read_vendor_form(posted: FormData) -> VendorForm:
    form = VendorForm(values={name: form_text(posted, name) for name in
                              ("legal_name", "name", "website", "country", "data_locations", "status")})
    found: dict[str, dict[int, dict[str, str]]] = {"subprocessors": {}, "contacts": {}}
    for key in posted:
        match = _ROW_NAME.match(key)
        if match and match.group(3) in ROW_FIELDS[match.group(1)]:
            kind, index, name = match.group(1), int(match.group(2)), match.group(3)
            found[kind].setdefault(index, dict.fromkeys(ROW_FIELDS[kind], ""))[name] = form_text(posted, key)
    for kind, rows in found.items():
        limit = MAX_SUBPROCESSOR_ROWS if kind == "subprocessors" else MAX_CONTACT_ROWS
        form.rows[kind] = [rows[i] for i in sorted(rows)][:limit]
    return form


def _vendor_payload(form: VendorForm) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The API's request body for the form, and for each list which form row each item came from."""
    values = form.values
    payload: dict[str, Any] = {"legal_name": values["legal_name"], "name": values["name"],
                               "status": values["status"] or "prospective"}
    if values["website"]:
        payload["website"] = values["website"]
    if values["country"]:
        payload["country"] = values["country"].upper()
    payload["data_locations"] = [c.upper() for c in re.split(r"[\s,;]+", values["data_locations"]) if c]
    origin: dict[str, list[int]] = {}
    for kind, names in ROW_FIELDS.items():
        items, origin[kind] = [], []
        for index, row in enumerate(form.rows[kind]):
            if not any(row.values()):
                continue  # a blank row is no item
            item = {name: row[name] for name in names if row[name] or name != "role"}
            if kind == "subprocessors" and item.get("country"):
                item["country"] = item["country"].upper()
            items.append(item)
            origin[kind].append(index)
        payload[kind] = items
    return payload, origin


def _vendor_errors(exc: ValidationError, origin: dict[str, list[int]]) -> tuple[dict[str, str], str | None]:
    errors: dict[str, str] = {}
    general = None
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        if not loc:
            general = general or friendly(error)
            continue
        name = loc[0]
        if name in ROW_FIELDS and len(loc) >= 3 and loc[1].isdigit() and int(loc[1]) < len(origin[name]):
            name = f"{name}-{origin[name][int(loc[1])]}-{loc[2]}"
        errors.setdefault(name, friendly(error))
    return errors, general


def _form_page(request: Request, user: User, csrf: CsrfToken, form: VendorForm, *, extra: dict[str, int] | None = None,
               status_code: int = 200) -> Response:
    extra = extra or {}
    return render(request, "vendors/new.html", {
        "user": user, "active_section": "vendors", "form": form, "values": form.values, "errors": form.errors,
        "subprocessor_rows": form.padded("subprocessors", extra.get("subprocessors", 0)),
        "contact_rows": form.padded("contacts", extra.get("contacts", 0)),
        "country_options": COUNTRY_OPTIONS, "status_options": [o for o in STATUS_OPTIONS if o[0] != "offboarded"],
    }, csrf=csrf, status_code=status_code)


@router.get("/vendors/new")
def new_vendor_form(request: Request, user: Writer, csrf: FormCsrf) -> Response:
    return _form_page(request, user, csrf, VendorForm())


@router.post("/vendors/new", dependencies=[CsrfProtected])
def create_vendor(request: Request, session: SessionDep, user: Writer, csrf: FormCsrf, posted: PostedForm) -> Response:
    form = _read_vendor_form(posted)
    action = form_text(posted, "action")
    if action in ("add_subprocessor", "add_contact"):  # without JavaScript, a button adds a blank row
        kind = "subprocessors" if action == "add_subprocessor" else "contacts"
        return _form_page(request, user, csrf, form, extra={kind: 1})
    payload, origin = _vendor_payload(form)
    try:
        data = VendorCreate.model_validate(payload)
    except ValidationError as exc:
        form.errors, form.error = _vendor_errors(exc, origin)
        form.error = form.error or "The vendor was not registered: correct the fields marked below."
        return _form_page(request, user, csrf, form, status_code=422)
    try:
        with session.begin_nested():  # a refusal takes back whatever the attempt wrote
            vendor = vendor_service.create_vendor(session, actor=actor_of(user), data=data)
    except vendor_service.DuplicateVendor as exc:
        form.errors["legal_name"] = exc.detail
        form.error = "The vendor was not registered: it is already in the register."
        return _form_page(request, user, csrf, form, status_code=exc.status_code)
    return redirect(f"/vendors/{vendor.id}", f"Registered {vendor.name}. Next: upload its agreements, then record "
                                             "how we use it.")


# --- a vendor's page --------------------------------------------------------------------------------------


@dataclass
class UploadForm:
    """The document upload form on a vendor's page: the values typed (kept on a refusal) and the problems."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def vendor_page(request: Request, session: Any, user: User, csrf: CsrfToken, vendor_id: int, *,
                upload: UploadForm | None = None, status_code: int = 200) -> Response:
    """The vendor's page; the upload route renders it again with its refused form."""
    settings = get_settings()
    today = date.today()
    vendor = vendor_service.get_vendor(session, vendor_id)
    integrations = integration_service.list_integrations(session, vendor_id=vendor_id, limit=INTEGRATIONS_SHOWN)
    views = document_service.list_documents(session, vendor_id, today=today,
                                            expiring_days=settings.document_expiring_days)
    chains = document_service.version_chains(views)
    upload = upload or UploadForm(values={"type": "dpa"})
    replaced = next((v.document for v in views if str(v.document.id) == str(upload.values.get("supersedes_id"))), None)
    if replaced is not None and not upload.values.get("type"):  # a new version: same type, title to start from
        upload.values.update(type=replaced.type, title=replaced.title)
    assessments = [(assessment_service.state_of(session, a, today=today), name)
                   for a, name in vendor_service.assessments_of_vendor(session, vendor_id)]
    return render(request, "vendors/detail.html", {
        "user": user, "active_section": "vendors", "vendor": vendor, "integrations": integrations.items,
        "integration_total": integrations.total, "chains": chains, "assessments": assessments, "today": today,
        "upload": upload, "country_name": country_name,
        "max_upload_mb": settings.max_upload_bytes / (1024 * 1024),
    }, csrf=csrf, status_code=status_code)


@router.get("/vendors/{vendor_id}")
def vendor_detail(
    request: Request, vendor_id: RowId, session: SessionDep, user: Reader, csrf: FormCsrf,
    supersedes_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """`?supersedes_id=N` opens the upload form as a new version of document N."""
    upload = None
    if supersedes_id is not None:
        upload = UploadForm(values={"supersedes_id": str(supersedes_id), "type": ""})
    return vendor_page(request, session, user, csrf, vendor_id, upload=upload)
