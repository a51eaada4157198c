"""The dashboard (/): where every role starts. "Your work" first (what this role does here and what waits for
it), then the register at a glance: counts by status, the residual-risk heatmap, what falls due in the next 90
days, blocked add-on requests and shadow add-ons. Every figure is a GROUP BY or a short LIMITed list."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from markupsafe import Markup
from sqlmodel import Session
from starlette.responses import Response

from app.assessments.models import AssessmentStatus
from app.auth.models import User
from app.auth.permissions import Permission, allowed
from app.core.deps import SessionDep, SettingsDep
from app.heroku import service as heroku_service
from app.integrations.models import Integration
from app.reminders import service as reminder_service
from app.vendors import service as vendor_service
from app.web import heatmap, overview, renewals
from app.web.csrf import FormCsrf
from app.web.deps import WebUser
from app.web.templating import render

router = APIRouter(include_in_schema=False)

RENEWALS_PER_PERIOD = 8
UNDECIDED_CHECKED = 10  # the newest undecided requests whose gates are evaluated for "blocked"
LIST_ITEMS = 5


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    permission: Permission
    primary: bool = False


@dataclass
class Panel:
    """One job of the role: what it is, where to do it, and what waits (a count and a few items)."""

    key: str
    title: str
    help: str
    links: list[Link]
    count: int | None = None
    count_label: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)
    more: Link | None = None


# Which jobs each role sees first; admins do every job.
ROLE_PANELS = {
    "engineer": ("request_addon", "my_requests"),
    "security": ("decide_requests", "review_assessments", "shadow"),
    "legal": ("sign_assessments", "data_flows"),
    "procurement": ("vendors", "responses"),
    "auditor": ("audit", "exports"),
    "admin": ("decide_requests", "review_assessments", "sign_assessments", "vendors", "responses", "audit", "exports"),
}


@dataclass(frozen=True)
class Undecided:
    """An undecided add-on request with its gates as they stand today."""

    integration: Integration
    gates: list[heroku_service.GateView]

    @property
    def blocked(self) -> bool:
        return any(g.status == "failed" for g in self.gates)


def _undecided(session: Session, today: date) -> list[Undecided]:
    integrations = overview.undecided_integrations(session, limit=UNDECIDED_CHECKED)
    gates = heroku_service.evaluate_all(session, integrations, today=today)
    return [Undecided(i, gates[i.id]) for i in integrations]  # type: ignore[index]


def _request_item(view: Undecided) -> dict[str, Any]:
    integration = view.integration
    failed = [g.check.message for g in view.gates if g.status == "failed"]
    return {"href": f"/addon-requests/{integration.id}", "label": integration.name,
            "detail": f"{integration.addon_plan or ''} on {integration.heroku_app or '?'}",
            "badge": "blocked" if failed else integration.status, "failed": failed,
            "on": integration.created_at.date()}


def _assessment_item(item: overview.AssessmentItem) -> dict[str, Any]:
    return {"href": f"/assessments/{item.id}", "label": f"{item.integration_name} ({item.vendor_name})",
            "detail": f"residual risk {item.residual_tier}" + (f", {item.decision.replace('_', ' ')}" if item.decision else ""),
            "badge": item.residual_tier, "on": item.created_at.date()}


def _panel(key: str, session: Session, user: User, undecided: list[Undecided],
           shadows: tuple[list[Any], int], memo: dict[str, Any]) -> Panel | None:
    """The panel `key`; `memo` holds what the page reads once for several panels (computed on first use)."""
    if key == "request_addon":
        return Panel(key, "Request an add-on",
                     "Before attaching a Heroku add-on to an app, ask for approval: pick the app and plan, say what data "
                     "will flow and how it is filtered; the policy gates are checked as you fill the form in.",
                     [Link("Request an add-on", "/addon-requests/new", Permission.addon_request, primary=True)])
    if key == "my_requests":
        items, total = overview.requests_of(session, user.id, limit=LIST_ITEMS)  # type: ignore[arg-type]
        return Panel(key, "Your add-on requests", "Each request shows its gates, the questionnaires it needs and "
                     "security's decision.", [Link("All add-on requests", "/addon-requests", Permission.heroku_read)],
                     count=total, count_label="requested by you",
                     items=[{"href": f"/addon-requests/{r.id}", "label": r.name, "badge": r.status,
                             "detail": f"{r.addon_plan or ''} on {r.heroku_app or '?'}", "on": r.created_at.date()}
                            for r in items])
    if key == "decide_requests":
        return Panel(key, "Add-on requests awaiting a decision",
                     "Approve, approve with conditions or reject each request; a failed gate can only be lifted "
                     "by an expiring exception.", [Link("Add-on requests", "/addon-requests", Permission.heroku_read)],
                     count=memo["totals"].undecided_requests(), count_label="waiting",
                     items=[_request_item(v) for v in undecided[:LIST_ITEMS]])
    if key in ("review_assessments", "sign_assessments"):
        status = AssessmentStatus.in_review if key == "review_assessments" else AssessmentStatus.decided
        if "assessments" not in memo:
            memo["assessments"] = overview.assessment_counts(session)
        counts = memo["assessments"]
        items = overview.assessments_in(session, status, limit=LIST_ITEMS)
        if key == "review_assessments":
            return Panel(key, "Assessments awaiting review", "Check the score, accept or refuse compensating "
                         "controls and decide; legal then signs the record.",
                         [Link("Assessments", "/assessments", Permission.assessment_read)],
                         count=counts[status.value], count_label="to review", items=[_assessment_item(i) for i in items])
        return Panel(key, "Assessments awaiting signature", "Security has decided these; read the decision and sign "
                     "the record, then download the signed PDF.",
                     [Link("Assessments", "/assessments", Permission.assessment_read)],
                     count=counts[status.value], count_label="to sign", items=[_assessment_item(i) for i in items])
    if key == "data_flows":
        return Panel(key, "Data flows and the record of processing",
                     "Where personal data goes, under which agreement, and the record of processing (GDPR Art. 30).",
                     [Link("Data-flow map", "/data-flows", Permission.dataflow_read, primary=True),
                      Link("Record of processing (PDF)", "/exports/record-of-processing.pdf", Permission.export_read),
                      Link("Record of processing (XLSX)", "/exports/record-of-processing.xlsx", Permission.export_read)])
    if key == "vendors":
        counts = vendor_service.count_by_status(session)
        return Panel(key, "Vendors", "Register each company we share data with, upload its agreements and "
                     "certificates, and send it a questionnaire.",
                     [Link("Register a vendor", "/vendors/new", Permission.vendor_write, primary=True),
                      Link("All vendors", "/vendors", Permission.vendor_read),
                      Link("Prospective vendors", "/vendors?status=prospective", Permission.vendor_read)],
                     count=counts["prospective"], count_label="prospective")
    if key == "responses":
        items, total = overview.draft_responses(session, limit=LIST_ITEMS)
        return Panel(key, "Questionnaires waiting for answers",
                     "Responses still in draft: answered by you or by the vendor through an invite link, then "
                     "submitted for security's review.", [], count=total, count_label="in draft",
                     items=[{"href": f"/responses/{r.id}", "label": f"{r.questionnaire}",
                             "detail": f"{r.integration_name} ({r.vendor_name})", "badge": "draft",
                             "on": r.updated_at.date()} for r in items])
    if key == "shadow":
        _rows, total = shadows
        return Panel(key, "Shadow add-ons", "Add-ons installed with no approved request behind them: get a request "
                     "made for each, or have it removed.",
                     [Link("Shadow add-ons", "/heroku?status=shadow", Permission.heroku_read)],
                     count=total, count_label="installed without approval")
    if key == "audit":
        return Panel(key, "Audit log", "Every change to the register, hash-chained; check that the chain is intact.",
                     [Link("Audit log", "/audit", Permission.audit_read, primary=True)])
    if key == "exports":
        return Panel(key, "Exports", "The register and the record of processing as files for your working papers.",
                     [Link("Register (XLSX)", "/exports/register.xlsx", Permission.export_read, primary=True),
                      Link("Record of processing (PDF)", "/exports/record-of-processing.pdf", Permission.export_read),
                      Link("Record of processing (CSV)", "/exports/record-of-processing.csv", Permission.export_read),
                      Link("Signed assessment records", "/assessments", Permission.assessment_read)])
    return None




@router.get("/")
def dashboard(request: Request, user: WebUser, csrf: FormCsrf, session: SessionDep, settings: SettingsDep) -> Response:
    today = date.today()

    def can(permission: Permission) -> bool:
        return allowed(user.role, permission)

    context: dict[str, Any] = {"user": user, "active_section": "dashboard", "today": today}
    undecided: list[Undecided] = []
    shadows: tuple[list[Any], int] = ([], 0)
    if can(Permission.heroku_read):
        undecided = _undecided(session, today)
        shadows = heroku_service.list_addons(session, status="shadow", limit=10)
    memo: dict[str, Any] = {}
    if can(Permission.integration_read) or can(Permission.heroku_read):
        memo["totals"] = overview.integration_totals(session)
    panels = []
    for key in ROLE_PANELS.get(user.role, ()):
        panel = _panel(key, session, user, undecided, shadows, memo)
        if panel is None:
            continue
        panel.links = [link for link in panel.links if can(link.permission)]
        if panel.links or panel.count is not None:
            panels.append(panel)
    context["panels"] = panels
    if can(Permission.vendor_read):
        context["vendor_counts"] = vendor_service.count_by_status(session)
    if can(Permission.integration_read):
        context["integration_counts"] = memo["totals"].by_status()
        grid = heatmap.build(overview.residual_by_tier_and_status(session, memo["totals"]))
        context["heatmap"] = grid
        context["heatmap_svg"] = Markup(heatmap.render_svg(grid))  # noqa: S704  (render_svg escapes every text)
        context["statuses"] = heatmap.STATUSES
        context["status_labels"] = heatmap.STATUS_LABELS
    if can(Permission.reminder_read):
        due = overview.renewals_due(
            session, today=today, bounds=renewals.BOUNDS, per_period=RENEWALS_PER_PERIOD,
            rules=reminder_service.rules_from(settings),
            certificate=reminder_service.configured_certificate(settings) if user.role == "admin" else None)
        context["renewals"] = renewals.timeline(due.items, today=today, counts=due.counts)
        context["renewal_days"] = renewals.BOUNDS[-1]
    if can(Permission.heroku_read):
        blocked = [v for v in undecided if v.blocked]
        context["blocked"] = [_request_item(v) for v in blocked[:10]]
        context["blocked_total"] = len(blocked)
        context["undecided_checked"] = len(undecided)
        context["undecided_capped"] = len(undecided) >= UNDECIDED_CHECKED
        context["shadows"], context["shadow_total"] = shadows
    return render(request, "dashboard.html", context, csrf=csrf)
