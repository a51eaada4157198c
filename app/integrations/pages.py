"""Integration pages: what data flows to a vendor and how it is filtered, the gates with their reasons,
the score of each questionnaire response by section and question, the findings; and the form that
records a SaaS or API integration of a vendor (the same schema and service as POST /api/v1/integrations).

The form helpers here (reading a posted form, putting a refusal next to its field, the data-category
explanations) are shared with the add-on request pages.
"""

import re
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from app.assessments import service as assessment_service
from app.auth.deps import actor_of
from app.auth.models import User
from app.auth.permissions import Permission
from app.core.deps import RowId, SessionDep
from app.core.errors import DomainError, InvalidInput
from app.core.schemas import clean_text
from app.integrations import service as integration_service
from app.integrations.exposure import Access, Criticality, DataCategory, Tier, Volume
from app.integrations.models import IntegrationKind, IntegrationStatus, Substitutability
from app.integrations.schemas import IntegrationCreate
from app.questionnaires import service as questionnaire_service
from app.vendors import service as vendor_service
from app.web.csrf import CsrfProtected, CsrfToken, FormCsrf
from app.web.deps import web_requires
from app.web.forms import PostedForm
from app.web.templating import redirect, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, web_requires(Permission.integration_read)]
Creator = Annotated[User, web_requires(Permission.integration_create)]

# What each data category means to the person choosing it (DOMAIN.md), and what it triggers.
CATEGORY_CHOICES: list[tuple[str, str, str]] = [
    (DataCategory.none.value, "No data of ours",
     "Nothing about our customers, staff or business reaches the vendor (a build tool, a scheduler)."),
    (DataCategory.business_contact.value, "Business contacts",
     "Names, work e-mails and phone numbers of staff or business contacts. Personal data: a DPA is needed."),
    (DataCategory.customer_personal.value, "Customer personal data",
     "Anything about an identifiable customer or user: name, e-mail, address, account, IP address. "
     "GDPR applies: a DPA is needed, and a transfer mechanism for countries without adequacy."),
    (DataCategory.special_category.value, "Special category data (GDPR Art. 9)",
     "Health, ethnicity, religion, sexual orientation, biometrics, political opinions, union membership. "
     "Makes the integration at least high risk."),
    (DataCategory.phi.value, "Protected health information (PHI, HIPAA)",
     "Health data tied to a patient. Needs a signed BAA, and for an add-on a HIPAA-compliant plan. "
     "At least high risk."),
    (DataCategory.cardholder.value, "Cardholder data (PCI DSS)",
     "Card numbers, expiry dates, security codes. Needs the vendor's PCI AoC in date, and for an add-on a "
     "PCI-compliant plan. At least high risk."),
    (DataCategory.credentials.value, "Credentials and secrets",
     "Passwords, API keys, tokens, private keys that grant access to our systems. At least high risk."),
    (DataCategory.logs_telemetry.value, "Logs and telemetry",
     "Application logs, metrics, traces and error reports (these often carry user ids, IP addresses or "
     "request data: say in the filtering what is scrubbed)."),
    (DataCategory.financial.value, "Financial data",
     "Invoices, transactions, bank details, revenue figures."),
]
CATEGORY_LABELS = {value: label for value, label, _help in CATEGORY_CHOICES}
CATEGORY_HELP = {value: help_text for value, _label, help_text in CATEGORY_CHOICES}
ACCESS_OPTIONS = [(Access.none.value, "None: the vendor gets data but no access to our systems"),
                  (Access.read.value, "Read: it can read our data or systems"),
                  (Access.write.value, "Write: it can change our data"),
                  (Access.admin.value, "Admin: full control of a system or account")]
VOLUME_OPTIONS = [(Volume.lt_1k.value, "Fewer than 1,000 records"),
                  (Volume.lt_100k.value, "1,000 to 100,000 records"),
                  (Volume.lt_10m.value, "100,000 to 10 million records"),
                  (Volume.gte_10m.value, "10 million records or more")]
CRITICALITY_OPTIONS = [(c.value, c.value.capitalize()) for c in Criticality]
SUBSTITUTABILITY_OPTIONS = [(Substitutability.easy.value, "Easy: another vendor could replace it within weeks"),
                            (Substitutability.hard.value, "Hard: replacing it is a project"),
                            (Substitutability.none.value, "None: there is no alternative")]
KIND_OPTIONS = [(IntegrationKind.saas.value, "SaaS application"), (IntegrationKind.api.value, "API"),
                (IntegrationKind.other.value, "Other")]
GATE_LABELS = {
    "policy.heroku.space_known": "Space known",
    "policy.heroku.private_network": "Private network",
    "policy.heroku.shield_plan": "Shield plan",
    "policy.heroku.hipaa_plan": "HIPAA-compliant plan",
    "policy.heroku.pci_plan": "PCI-compliant plan",
    "policy.gdpr.dpa": "DPA in force",
    "policy.gdpr.transfer": "Transfer mechanism",
    "policy.hipaa.baa": "BAA in force",
    "policy.pci.aoc": "PCI AoC in date",
}
EVIDENCE_LABELS = {"self_attested": "Self-attested", "document": "Backed by a document",
                   "independent": "Independently attested"}
_FIELD_PREFIX = re.compile(r"^([a-z_]+): (.+)$", re.DOTALL)


# --- form helpers (also used by app/heroku/pages.py) ---------------------------------------------




def text_of(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def list_of(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str)]


def split_items(raw: str) -> list[str]:
    """A list typed into one box: items separated by commas or new lines, blanks dropped."""
    return [item.strip() for item in re.split(r"[,\n]", raw) if item.strip()]


def _message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "Required."
    msg = str(err.get("msg", "is not valid")).removeprefix("Value error, ")
    if kind == "string_too_short":
        return "Required."
    if kind == "too_short" and "at least 1 item" in msg:
        return "Choose at least one."
    return msg[:1].upper() + msg[1:] + ("" if msg.endswith(".") else ".")


def field_errors(exc: ValidationError, fields: Iterable[str]) -> tuple[dict[str, str], str | None]:
    """A refused schema as {field: message} for the fields the form shows, and the rest as one message.
    Cross-field refusals that name their field ("data_categories: ...") go next to that field."""
    known = set(fields)
    errors: dict[str, str] = {}
    rest: list[str] = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        if loc and loc[0] in known:
            item = f" (item {int(loc[1]) + 1})" if len(loc) > 1 and loc[1].isdigit() else ""
            errors.setdefault(loc[0], _message(err).rstrip(".") + item + ".")
            continue
        for part in str(err.get("msg", "")).removeprefix("Value error, ").split("; "):
            match = _FIELD_PREFIX.match(part)
            if match and match.group(1) in known:
                errors.setdefault(match.group(1), match.group(2)[:1].upper() + match.group(2)[1:])
            elif part:
                rest.append(part)
    return errors, "; ".join(rest) or None


def domain_message(exc: DomainError, fields: Iterable[str]) -> tuple[dict[str, str], str]:
    """A service refusal: next to its field when its message starts with one ("app: ..."), else above the form."""
    match = _FIELD_PREFIX.match(exc.detail)
    if match and match.group(1) in set(fields):
        return {match.group(1): match.group(2)[:1].upper() + match.group(2)[1:]}, ""
    return {}, exc.detail


def refused(session: Session) -> None:
    """Undo whatever a refused service call may have written before it refused: the page answers with the
    form (a success as far as the request's transaction knows), and nothing of the attempt may be kept."""
    session.rollback()


# --- the integration page --------------------------------------------------------------------------

# --- the list: every integration, filtered like GET /api/v1/integrations (the dashboard's heatmap links here) --

LIST_PAGE_SIZE = 50
ListText = Annotated[str | None, Query(max_length=200)]
LIST_SORTS = [("name", "Name (A–Z)"), ("-inherent_tier", "Most exposed first"), ("status", "Status"),
              ("-updated_at", "Recently changed"), ("-created_at", "Recently recorded")]
TIERS = ("critical", "high", "medium", "low")  # most exposed first, as the dashboard's heatmap rows


def _choice(value: str | None, allowed: Iterable[str], what: str, problems: list[str]) -> str | None:
    """A filter value from the list it must come from; anything else is left out and named, not an error page."""
    chosen = (value or "").strip() or None
    if chosen is not None and chosen not in set(allowed):
        problems.append(f"'{chosen}' is not {what}; showing all.")
        return None
    return chosen


@router.get("/integrations")
def integration_list(
    request: Request, session: SessionDep, user: Reader, csrf: FormCsrf,
    q: ListText = None, status: ListText = None, tier: ListText = None, kind: ListText = None,
    data_category: ListText = None, sort: ListText = None,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    problems: list[str] = []
    filters = {
        "q": (q or "").strip() or None,
        "status": _choice(status, (s.value for s in IntegrationStatus), "an integration status", problems),
        "tier": _choice(tier, TIERS, "a tier", problems),
        "kind": _choice(kind, (k.value for k in IntegrationKind), "a kind of integration", problems),
        "data_category": _choice(data_category, (c.value for c in DataCategory), "a data category", problems),
        "sort": _choice(sort, (value for value, _ in LIST_SORTS), "a sort order", problems) or "name",
    }
    if filters["q"] is not None:
        try:
            clean_text(filters["q"])
        except ValueError as exc:
            problems.append(f"The search {exc}; showing every integration.")
            filters["q"] = None

    def page(after: str | None) -> Any:
        return integration_service.list_integrations(
            session, status=IntegrationStatus(filters["status"]) if filters["status"] else None,
            tier=Tier(filters["tier"]) if filters["tier"] else None,
            kind=IntegrationKind(filters["kind"]) if filters["kind"] else None,
            data_category=DataCategory(filters["data_category"]) if filters["data_category"] else None,
            q=filters["q"], sort=filters["sort"], limit=LIST_PAGE_SIZE, cursor=after)

    try:
        result = page(cursor or None)
    except InvalidInput:  # a cursor from other filters, or tampered with: start again from the first page
        problems.append("That page link no longer fits these filters; showing the first page.")
        cursor, result = None, page(None)
    query = urlencode([(k, v) for k, v in filters.items() if v and not (k == "sort" and v == "name")])
    return render(request, "integrations/list.html", {
        "user": user, "active_section": "integrations", "integrations": result.items, "total": result.total,
        "next": result.next, "filters": filters, "query": query, "problems": problems, "paged": bool(cursor),
        "vendor_names": vendor_service.names_of(session, {i.vendor_id for i in result.items}),
        "status_options": [(s.value, s.value.replace("_", " ").capitalize()) for s in IntegrationStatus],
        "tier_options": [(t, t.capitalize()) for t in TIERS],
        "kind_options": [(k.value, k.value.replace("_", " ")) for k in IntegrationKind],
        "category_options": [(c.value, c.value.replace("_", " ")) for c in DataCategory],
        "sort_options": LIST_SORTS,
    }, csrf=csrf)


@router.get("/integrations/{integration_id}")
def integration_page(
    request: Request, integration_id: RowId, session: SessionDep, user: Reader, csrf: FormCsrf,
) -> Response:
    today = date.today()
    integration = integration_service.get_integration(session, integration_id)
    vendor = vendor_service.get_vendor(session, integration.vendor_id)
    gates = integration_service.gates_of(session, integration, today=today)
    scored = integration_service.scored_responses(session, integration_id, today=today)
    questionnaires = questionnaire_service.applicable(session, kind=integration.kind,
                                                      data_categories=integration.data_categories)
    assessments = assessment_service.list_for_integration(session, integration_id, today=today)
    return render(request, "integrations/detail.html", {
        "user": user, "active_section": "integrations", "integration": integration, "vendor": vendor,
        "gates": gates, "blocked": any(g.status == "failed" for g in gates), "scored": scored,
        "questionnaires": questionnaires, "assessments": assessments, "today": today,
        "category_labels": CATEGORY_LABELS, "category_help": CATEGORY_HELP, "gate_labels": GATE_LABELS,
        "evidence_labels": EVIDENCE_LABELS, "access_labels": dict(ACCESS_OPTIONS),
        "volume_labels": dict(VOLUME_OPTIONS), "is_addon": integration.kind == IntegrationKind.heroku_addon,
    }, csrf=csrf)


# --- recording a SaaS / API integration ------------------------------------------------------------

_CREATE_FIELDS = ("name", "kind", "purpose", "data_categories", "access", "volume", "data_filtering",
                  "fields_shared", "transfer_countries", "business_criticality", "substitutability")
_NEW_DEFAULTS: dict[str, Any] = {"name": "", "kind": IntegrationKind.saas.value, "purpose": "", "data_categories": [],
                                 "access": Access.read.value, "volume": Volume.lt_100k.value, "data_filtering": "",
                                 "fields_shared": "", "transfer_countries": "",
                                 "business_criticality": Criticality.medium.value,
                                 "substitutability": Substitutability.easy.value}


def _new_page(request: Request, user: User, csrf: CsrfToken, vendor: Any, values: dict[str, Any], *,
              errors: dict[str, str] | None = None, error: str | None = None, status_code: int = 200) -> Response:
    return render(request, "integrations/new.html", {
        "user": user, "active_section": "vendors", "vendor": vendor, "values": values, "errors": errors or {},
        "error": error, "kinds": KIND_OPTIONS, "categories": CATEGORY_CHOICES, "access_options": ACCESS_OPTIONS,
        "volume_options": VOLUME_OPTIONS, "criticality_options": CRITICALITY_OPTIONS,
        "substitutability_options": SUBSTITUTABILITY_OPTIONS,
    }, csrf=csrf, status_code=status_code)


@router.get("/vendors/{vendor_id}/integrations/new")
def new_integration_form(request: Request, vendor_id: RowId, session: SessionDep, user: Creator,
                         csrf: FormCsrf) -> Response:
    vendor = vendor_service.get_vendor(session, vendor_id)
    return _new_page(request, user, csrf, vendor, dict(_NEW_DEFAULTS))


@router.post("/vendors/{vendor_id}/integrations/new", dependencies=[CsrfProtected])
def create_integration(request: Request, vendor_id: RowId, session: SessionDep, user: Creator, csrf: FormCsrf,
                       form: PostedForm) -> Response:
    vendor = vendor_service.get_vendor(session, vendor_id)
    values: dict[str, Any] = {name: text_of(form, name) for name in _CREATE_FIELDS}
    values["data_categories"] = list_of(form, "data_categories")
    try:
        data = IntegrationCreate(
            vendor_id=vendor_id, name=values["name"], kind=values["kind"], purpose=values["purpose"],
            data_categories=values["data_categories"], access=values["access"], volume=values["volume"],
            data_filtering=values["data_filtering"].strip() or None,
            fields_shared=split_items(values["fields_shared"]),
            transfer_countries=[c.upper() for c in split_items(values["transfer_countries"])],
            business_criticality=values["business_criticality"], substitutability=values["substitutability"],
        )
    except ValidationError as exc:
        errors, rest = field_errors(exc, _CREATE_FIELDS)
        return _new_page(request, user, csrf, vendor, values, errors=errors, error=rest, status_code=422)
    if data.kind == IntegrationKind.heroku_addon:  # not offered by the form: add-ons go through a request
        return _new_page(request, user, csrf, vendor, values, status_code=422,
                         errors={"kind": "Request a Heroku add-on from the add-on request form."})
    try:
        integration = integration_service.create_integration(session, actor=actor_of(user), data=data)
    except DomainError as exc:
        refused(session)
        errors, message = domain_message(exc, _CREATE_FIELDS)
        return _new_page(request, user, csrf, vendor, values, errors=errors, error=message or None,
                         status_code=exc.status_code)
    return redirect(f"/integrations/{integration.id}",
                    f"Integration recorded: inherent tier {integration.inherent_tier}. Start a questionnaire below.")
