"""Heroku pages: add-on requests (list, the request form with its gates preview, one request with security's
decision form), the estate (add-ons by approval, drift, apps, imports) and the CLI JSON import.

Every action goes through the same service calls as /api/v1/addon-requests and /api/v1/heroku; the form's
preview evaluates the proposed request with the policy and facts a stored request is judged by.
"""

from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import ValidationError
from sqlmodel import Session
from starlette.responses import Response

from app.auth import service as auth_service
from app.auth.deps import actor_of
from app.auth.models import User
from app.auth.permissions import Permission
from app.core.deps import RowId, SessionDep
from app.core.errors import DomainError
from app.heroku import jobs
from app.heroku import service as heroku_service
from app.heroku.schemas import AddonRequestCreate, DecisionCreate
from app.integrations.decisions import MAX_EXCEPTION_DAYS
from app.integrations.exposure import Access, Criticality, Volume
from app.integrations.models import IntegrationStatus, Substitutability
from app.integrations.pages import (
    ACCESS_OPTIONS,
    CATEGORY_CHOICES,
    CATEGORY_HELP,
    CATEGORY_LABELS,
    CRITICALITY_OPTIONS,
    GATE_LABELS,
    SUBSTITUTABILITY_OPTIONS,
    VOLUME_OPTIONS,
    domain_message,
    field_errors,
    list_of,
    refused,
    split_items,
    text_of,
)
from app.vendors import service as vendor_service
from app.web.csrf import CsrfProtected, CsrfToken, FormCsrf
from app.web.deps import web_requires
from app.web.forms import PostedForm
from app.web.templating import redirect, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, web_requires(Permission.heroku_read)]
Requester = Annotated[User, web_requires(Permission.addon_request)]
Decider = Annotated[User, web_requires(Permission.addon_decide)]
Importer = Annotated[User, web_requires(Permission.heroku_import)]
Text = Annotated[str | None, Query(max_length=200)]

# The page upload's path: app/main.py gives it the API import's body-size limit (route_limits).
IMPORT_PAGE_PATH = "/heroku/imports"
ADDON_STATUSES = ("shadow", "approved", "gone")
# Radio labels are the bare words (a screen reader and a browser test find "Approve" by its name).
DECISIONS = [("approve", "Approve", None), ("approve_with_conditions", "Approve with conditions", None),
             ("reject", "Reject", None)]
NOTICES = {"approve": "Approved.", "approve_with_conditions": "Approved with conditions.", "reject": "Rejected."}
_UNDECIDED = (IntegrationStatus.requested.value, IntegrationStatus.in_review.value)


# --- add-on request form ---------------------------------------------------------------------------

_REQUEST_FIELDS = ("app", "plan", "data_categories", "purpose", "data_filtering", "fields_shared", "name", "access",
                   "volume", "business_criticality", "substitutability", "transfer_countries")
_REQUEST_DEFAULTS: dict[str, Any] = {
    "app": "", "plan": "", "data_categories": [], "purpose": "", "data_filtering": "", "fields_shared": "",
    "name": "", "access": Access.write.value, "volume": Volume.lt_100k.value,
    "business_criticality": Criticality.medium.value, "substitutability": Substitutability.easy.value,
    "transfer_countries": "",
}
_BLANK = {"app": "Choose the app the add-on will be attached to.", "plan": "Choose the add-on plan.",
          "purpose": "Say what the add-on is for."}


def _values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {name: text_of(form, name) for name in _REQUEST_FIELDS}
    values["data_categories"] = list_of(form, "data_categories")
    return values


def _request_data(values: dict[str, Any]) -> dict[str, Any]:
    """The form's values in the shape of POST /api/v1/addon-requests."""
    countries = split_items(values["transfer_countries"])
    return {
        "app": values["app"], "plan": values["plan"], "data_categories": values["data_categories"],
        "purpose": values["purpose"], "data_filtering": values["data_filtering"].strip() or None,
        "fields_shared": split_items(values["fields_shared"]), "name": values["name"].strip() or None,
        "access": values["access"], "volume": values["volume"], "business_criticality": values["business_criticality"],
        "substitutability": values["substitutability"],
        "transfer_countries": [c.upper() for c in countries] if countries else None,
    }


def _errors_of(exc: ValidationError, values: dict[str, Any]) -> tuple[dict[str, str], str | None]:
    errors, rest = field_errors(exc, _REQUEST_FIELDS)
    for name, message in _BLANK.items():
        if name in errors and not str(values.get(name, "")).strip():
            errors[name] = message
    return errors, rest


def _preview(session: Session, values: dict[str, Any], *, today: date) -> dict[str, Any]:
    """The gates preview of the form as it stands: what is still missing, or the evaluated gates. Only the
    fields the gates depend on are needed; the others do not hold it up (nothing is stored)."""
    missing = [what for what, present in (("an app", values["app"]), ("a plan", values["plan"]),
                                          ("at least one data category", values["data_categories"])) if not present]
    if missing:
        return {"missing": missing}
    data = _request_data(values) | {"purpose": "(gates preview)", "name": None, "fields_shared": [],
                                    "data_filtering": None}
    try:
        proposed = AddonRequestCreate(**data)
    except ValidationError as exc:
        errors, rest = _errors_of(exc, values)
        return {"problems": [f"{name.replace('_', ' ').capitalize()}: {message}" for name, message in errors.items()]
                + ([rest] if rest else [])}
    try:
        return {"preview": heroku_service.preview_request(session, data=proposed, today=today)}
    except DomainError as exc:
        return {"problems": [exc.detail]}


def _plan_label(plan: Any, service: Any) -> str:
    compliance = ("compliance unknown" if plan.compliance is None else
                  "compliance: " + ", ".join(plan.compliance) if plan.compliance else "no compliance claimed")
    inside = {True: "installs in private spaces", False: "not for private spaces", None: "private spaces unknown"}[
        plan.installable_inside_private_network]
    service_name = f" ({service.human_name})" if service.human_name else ""
    return f"{plan.name}{service_name} — {compliance}; {inside}"


def _app_label(app: Any, space: Any) -> str:
    if not app.space_known:
        where = "space not known yet"
    elif space is None:
        where = "Common Runtime"
    else:
        where = f"{'Shield' if space.shield or app.shield else 'private'} space {space.name}"
    held = f"; holds {', '.join(app.data_categories)}" if app.data_categories else ""
    return f"{app.name} — {where}{held}"


def _new_page(request: Request, session: Session, user: User, csrf: CsrfToken, values: dict[str, Any], *,
              preview: dict[str, Any] | None = None, errors: dict[str, str] | None = None, error: str | None = None,
              status_code: int = 200) -> Response:
    apps = heroku_service.list_apps(session)
    plans = heroku_service.list_plans(session, service=None)
    return render(request, "addon_requests/new.html", {
        "user": user, "active_section": "requests", "values": values, "errors": errors or {}, "error": error,
        "apps": [(a.name, _app_label(a, s)) for a, s, _count in apps],
        "plans": [(p.name, _plan_label(p, s)) for p, s in plans],
        "categories": CATEGORY_CHOICES, "access_options": ACCESS_OPTIONS, "volume_options": VOLUME_OPTIONS,
        "criticality_options": CRITICALITY_OPTIONS, "substitutability_options": SUBSTITUTABILITY_OPTIONS,
        "preview_state": preview or _preview(session, values, today=date.today()), "gate_labels": GATE_LABELS,
        "category_labels": CATEGORY_LABELS,
    }, csrf=csrf, status_code=status_code)


@router.get("/addon-requests/new")
def new_request_form(request: Request, session: SessionDep, user: Requester, csrf: FormCsrf,
                     app: Text = None, plan: Text = None) -> Response:
    """The request form; `?app=` and `?plan=` preselect an app and plan (the estate page links a shadow
    add-on here)."""
    values = dict(_REQUEST_DEFAULTS, app=(app or "").strip(), plan=(plan or "").strip())
    return _new_page(request, session, user, csrf, values)


@router.post("/addon-requests/preview", dependencies=[CsrfProtected])
def preview_fragment(request: Request, session: SessionDep, user: Requester, form: PostedForm) -> Response:
    """The gates preview alone, as an HTML fragment, for the form's script to put in its live region."""
    return render(request, "addon_requests/_preview.html", {
        "user": user, "preview_state": _preview(session, _values(form), today=date.today()),
        "gate_labels": GATE_LABELS, "category_labels": CATEGORY_LABELS,
    })


@router.post("/addon-requests", dependencies=[CsrfProtected])
def submit_request(request: Request, session: SessionDep, user: Requester, csrf: FormCsrf,
                   form: PostedForm) -> Response:
    """"Check gates" (action=check) shows the form again with the gates evaluated; "Submit request"
    (action=submit) records the request as POST /api/v1/addon-requests does, blocked or not."""
    values = _values(form)
    if text_of(form, "action") != "submit":
        return _new_page(request, session, user, csrf, values)
    try:
        data = AddonRequestCreate(**_request_data(values))
    except ValidationError as exc:
        errors, rest = _errors_of(exc, values)
        return _new_page(request, session, user, csrf, values, errors=errors, error=rest, status_code=422)
    try:
        view = heroku_service.create_request(session, actor=actor_of(user), data=data, today=date.today())
    except ValidationError as exc:  # the integration it records refused what the app's own data adds to it
        refused(session)
        errors, rest = _errors_of(exc, values)
        return _new_page(request, session, user, csrf, values, errors=errors, error=rest, status_code=422)
    except DomainError as exc:
        refused(session)
        errors, message = domain_message(exc, _REQUEST_FIELDS)
        return _new_page(request, session, user, csrf, values, errors=errors, error=message or None,
                         status_code=exc.status_code)
    failed = sum(1 for g in view.gates if g.status == "failed")
    notice = ("Request submitted. It is blocked by " + (f"{failed} gates" if failed > 1 else "a gate")
              + ": security can approve it only with an exception for each, or you can request another plan."
              if failed else "Request submitted. Every gate passes; security will decide.")
    return redirect(f"/addon-requests/{view.integration.id}", notice)


# --- requests: list and detail with the decision form ----------------------------------------------

@router.get("/addon-requests")
def requests_page(request: Request, session: SessionDep, user: Reader, csrf: FormCsrf, status: Text = None) -> Response:
    problems = []
    chosen = (status or "").strip() or None
    if chosen is not None and chosen not in {s.value for s in IntegrationStatus}:
        problems.append(f"'{chosen}' is not a request status; showing every request.")
        chosen = None
    views = heroku_service.list_requests(session, status=chosen, today=date.today())
    return render(request, "addon_requests/list.html", {
        "user": user, "active_section": "requests", "views": views, "status": chosen, "problems": problems,
        "statuses": [(s.value, s.value.replace("_", " ")) for s in IntegrationStatus],
    }, csrf=csrf)


def _detail_page(request: Request, session: Session, user: User, csrf: CsrfToken, integration_id: int, *,
                 values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                 error: str | None = None, status_code: int = 200) -> Response:
    today = date.today()
    view = heroku_service.view_request(session, integration_id, today=today)
    integration = view.integration
    requester = None
    if integration.requested_by_id is not None:
        try:
            requester = auth_service.get_user(session, integration.requested_by_id).email
        except DomainError:
            requester = None
    failed = [g for g in view.gates if g.status == "failed"]
    return render(request, "addon_requests/detail.html", {
        "user": user, "active_section": "requests", "view": view, "integration": integration,
        "vendor": vendor_service.get_vendor(session, integration.vendor_id), "requester": requester,
        "own_request": integration.requested_by_id is not None and integration.requested_by_id == user.id,
        "undecided": integration.status in _UNDECIDED, "failed": failed, "decisions": DECISIONS,
        "values": values or {"decision": "approve" if not failed else ""}, "errors": errors or {}, "error": error,
        "min_expiry": (today + timedelta(days=1)).isoformat(),
        "max_expiry": (today + timedelta(days=MAX_EXCEPTION_DAYS)).isoformat(),
        "gate_labels": GATE_LABELS, "category_labels": CATEGORY_LABELS, "category_help": CATEGORY_HELP,
        "access_labels": dict(ACCESS_OPTIONS), "volume_labels": dict(VOLUME_OPTIONS),
    }, csrf=csrf, status_code=status_code)


@router.get("/addon-requests/{integration_id}")
def request_page(request: Request, integration_id: RowId, session: SessionDep, user: Reader,
                 csrf: FormCsrf) -> Response:
    return _detail_page(request, session, user, csrf, integration_id)


def _decision_errors(exc: ValidationError, gates: list[str]) -> tuple[dict[str, str], str | None]:
    """Refusals of DecisionCreate next to their fields: an exception's reason or expiry by its gate."""
    errors: dict[str, str] = {}
    rest: list[str] = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        message = str(err.get("msg", "is not valid")).removeprefix("Value error, ")
        if err.get("type") in ("missing", "string_too_short"):
            message = "Required"
        if loc[:1] == ["exceptions"] and len(loc) >= 3 and loc[1].isdigit() and int(loc[1]) < len(gates):
            gate = gates[int(loc[1])]
            field = "exception_reason" if loc[2] == "reason" else "exception_expires"
            if loc[2] == "expires_on" and err.get("type") != "missing":
                message = "Enter a date as YYYY-MM-DD"
            errors.setdefault(f"{field}:{gate}", message + ".")
        elif loc[:1] and loc[0] in ("decision", "reason", "conditions"):
            errors.setdefault(loc[0], "Choose a decision." if loc[0] == "decision" else message + ".")
        elif "condition" in message:
            errors.setdefault("conditions", message[:1].upper() + message[1:] + ".")
        else:
            rest.append(message)
    return errors, "; ".join(rest) or None


@router.post("/addon-requests/{integration_id}/decision", dependencies=[CsrfProtected])
def decide_request(request: Request, integration_id: RowId, session: SessionDep, user: Decider, csrf: FormCsrf,
                   form: PostedForm) -> Response:
    """Security's decision, as POST /api/v1/addon-requests/{id}/decision takes it: an exception (reason and
    expiry) is sent for each failed gate whose fields were filled in, none with a rejection."""
    current = heroku_service.view_request(session, integration_id, today=date.today())
    failed = [g.check.id for g in current.gates if g.status == "failed"]
    decision = text_of(form, "decision")
    values: dict[str, Any] = {"decision": decision, "reason": text_of(form, "reason"),
                              "conditions": text_of(form, "conditions")}
    exceptions, sent = [], []
    for gate in failed:
        reason, expires = text_of(form, f"exception_reason:{gate}"), text_of(form, f"exception_expires:{gate}")
        values[f"exception_reason:{gate}"], values[f"exception_expires:{gate}"] = reason, expires
        if decision != "reject" and (reason.strip() or expires.strip()):
            exceptions.append({"gate": gate, "reason": reason, "expires_on": expires or None})
            sent.append(gate)
    try:
        data = DecisionCreate(decision=decision, reason=values["reason"], exceptions=exceptions,  # type: ignore[arg-type]
                              conditions=[c.strip() for c in values["conditions"].splitlines() if c.strip()])
    except ValidationError as exc:
        errors, rest = _decision_errors(exc, sent)
        return _detail_page(request, session, user, csrf, integration_id, values=values, errors=errors, error=rest,
                            status_code=422)
    try:
        heroku_service.decide(session, integration_id, actor=actor_of(user), data=data, today=date.today())
    except DomainError as exc:
        refused(session)
        return _detail_page(request, session, user, csrf, integration_id, values=values, error=exc.detail,
                            status_code=exc.status_code)
    return redirect(f"/addon-requests/{integration_id}", NOTICES[data.decision])


# --- the estate and imports ------------------------------------------------------------------------

@router.get("/heroku")
def estate_page(request: Request, session: SessionDep, user: Reader, csrf: FormCsrf, status: Text = None,
                app: Text = None, after: Text = None) -> Response:
    problems = []
    chosen = (status or "").strip() or None
    if chosen is not None and chosen not in ADDON_STATUSES:
        problems.append(f"'{chosen}' is not an add-on status; showing every add-on.")
        chosen = None
    apps = heroku_service.list_apps(session)
    app_name = (app or "").strip() or None
    if app_name is not None and app_name not in {a.name for a, _s, _n in apps}:
        problems.append(f"No app named '{app_name}' has been imported; showing every app.")
        app_name = None
    # ASCII digits only: str.isdigit() also holds for "²", which int() refuses.
    start = int(after) if after and after.isascii() and after.isdigit() and len(after) < 10 else 0
    rows, total = heroku_service.list_addons(session, status=chosen, app=app_name, limit=100, after_id=start)
    counts = {s: heroku_service.list_addons(session, status=s, app=app_name, limit=1)[1] for s in ADDON_STATUSES}
    query = urlencode({k: v for k, v in (("status", chosen), ("app", app_name)) if v})
    more = rows[-1].installation.id if len(rows) == 100 else None
    return render(request, "heroku/estate.html", {
        "user": user, "active_section": "heroku", "rows": rows, "total": total, "counts": counts, "status": chosen,
        "app": app_name, "apps": apps, "problems": problems, "query": query, "next_after": more,
        "drift": heroku_service.drift(session, today=date.today()), "imports": heroku_service.list_imports(session, limit=20),
        "vendors": vendor_service.names_of(session, [r.service.vendor_id for r in rows if r.service]),
        "statuses": ADDON_STATUSES,
    }, csrf=csrf)


def _import_form(request: Request, user: User, csrf: CsrfToken, *, error: str | None = None, complete: bool = False,
                 status_code: int = 200) -> Response:
    return render(request, "heroku/import_new.html", {
        "user": user, "active_section": "heroku", "errors": {"file": error} if error else {}, "complete": complete,
        "max_mib": jobs.MAX_IMPORT_BYTES // (1024 * 1024),
    }, csrf=csrf, status_code=status_code)


@router.get("/heroku/imports/new")
def import_form(request: Request, user: Importer, csrf: FormCsrf) -> Response:
    return _import_form(request, user, csrf)


@router.post(IMPORT_PAGE_PATH, dependencies=[CsrfProtected])
def import_upload(
    request: Request, session: SessionDep, user: Importer, csrf: FormCsrf,
    file: Annotated[UploadFile | None, File()] = None, complete: Annotated[str | None, Form()] = None,
) -> Response:
    """Imports the uploaded CLI JSON as POST /api/v1/heroku/imports does; a file that cannot be read is
    refused whole (the form again, with what is wrong) and changes nothing."""
    whole = bool(complete)
    if file is None or not file.filename:
        return _import_form(request, user, csrf, complete=whole, status_code=422,
                            error="Choose the JSON file the Heroku CLI wrote.")
    data = file.file.read(jobs.MAX_IMPORT_BYTES + 1)  # one byte more than allowed: enough to refuse it
    file.file.close()
    try:
        report = jobs.import_file(session, data, actor=actor_of(user), complete=whole)
    except DomainError as exc:
        refused(session)
        return _import_form(request, user, csrf, complete=whole, error=exc.detail, status_code=exc.status_code)
    skipped = f", {len(report.skipped)} entries skipped" if report.skipped else ""
    return redirect(f"/heroku/imports/{report.import_id}", f"Imported{skipped}.")


@router.get("/heroku/imports/{import_id}")
def import_report(request: Request, import_id: RowId, session: SessionDep, user: Reader,
                  csrf: FormCsrf) -> Response:
    record = heroku_service.get_import(session, import_id)
    return render(request, "heroku/import_report.html", {
        "user": user, "active_section": "heroku", "record": record,
    }, csrf=csrf)
