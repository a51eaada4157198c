"""Add-on requests and decisions, the estate views (apps, services, add-ons, shadow, drift) and their edits."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.audit import service as audit
from app.audit.chain import diff
from app.audit.service import Actor
from app.auth.permissions import Permission, allowed
from app.core.concurrency import check_version
from app.core.db import utcnow
from app.core.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from app.documents import service as document_service
from app.heroku import policy
from app.heroku.importer import APPROVED, link_approved
from app.heroku.models import (
    AddonInstallation,
    AddonPlan,
    AddonService,
    GateException,
    HerokuApp,
    HerokuImport,
    HerokuSpace,
    IntegrationDecision,
)
from app.heroku.providers import provider_for
from app.heroku.schemas import AddonRequestCreate, DecisionCreate
from app.integrations import service as integration_service
from app.integrations.decisions import check_exceptions
from app.integrations.exposure import (
    Access,
    Criticality,
    Exposure,
    ExposureInput,
    Volume,
    inherent_exposure,
    parse_categories,
)
from app.integrations.models import Integration, IntegrationKind, IntegrationStatus
from app.integrations.schemas import IntegrationCreate, shape_problems
from app.questionnaires import service as questionnaire_service
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.scoring import PolicyCheck
from app.vendors import service as vendor_service
from app.vendors.models import Vendor
from app.vendors.schemas import VendorCreate


class HerokuAppNotFound(NotFound):
    pass


class UnknownHerokuApp(InvalidInput):
    pass


class AddonRequestNotFound(NotFound):
    pass


class AddonServiceNotFound(NotFound):
    pass


class AlreadyDecided(InvalidState):
    pass


class OwnRequest(PermissionDenied):
    pass


class UnknownAddonService(InvalidInput):
    pass


UNDECIDED = (IntegrationStatus.requested.value, IntegrationStatus.in_review.value)


@dataclass(frozen=True)
class GateView:
    check: PolicyCheck
    exception: GateException | None  # an exception in force that lifts this failed gate

    @property
    def status(self) -> str:
        if self.check.satisfied:
            return "passed"
        return "lifted" if self.exception is not None else "failed"


@dataclass(frozen=True)
class RequestView:
    integration: Integration
    gates: list[GateView]
    questionnaires: list[QuestionnaireVersion]
    decisions: list[IntegrationDecision]
    installation: AddonInstallation | None

    @property
    def blocked(self) -> bool:
        return any(g.status == "failed" for g in self.gates)


# --- add-on requests -----------------------------------------------------------------------------

def _app(session: Session, name: str) -> HerokuApp:
    app = session.execute(select(HerokuApp).where(HerokuApp.name == name)).scalars().first()
    if app is None:
        raise UnknownHerokuApp(
            f"app: '{name}' is not in the register; import `heroku apps:info --app {name} --json` "
            "(POST /api/v1/heroku/imports) or run a sync first, so its space and Shield status are known."
        )
    return app


def ensure_plan(session: Session, name: str, *, actor: Actor) -> AddonPlan:
    """The plan row for `service:plan`, created (with its service and vendor) when nobody imported it yet.
    Its compliance then stays unknown, and the gates that need it fail until an import says."""
    plan = session.execute(select(AddonPlan).where(AddonPlan.name == name)).scalars().first()
    if plan is not None:
        return plan
    slug = name.split(":", 1)[0]
    service = session.execute(select(AddonService).where(AddonService.name == slug)).scalars().first()
    if service is None:
        # A new service means a new vendor (or a mapping to one): that is for those who may register vendors.
        if actor.role is not None and not allowed(actor.role, Permission.vendor_write):
            raise UnknownAddonService(
                f"plan: the add-on service '{slug}' is not in the register, and adding it (with its vendor) needs "
                f"someone who may register vendors; ask them to import `heroku addons:plans {slug} --json` "
                "(POST /api/v1/heroku/imports), or to run a sync, then request the plan again."
            )
        provider = provider_for(slug, None)
        vendor = vendor_service.find_vendor(session, provider.legal_name) or vendor_service.create_vendor(
            session, actor=actor, data=VendorCreate(legal_name=provider.legal_name, name=provider.name,
                                                    country=provider.country, website=provider.website))
        service = AddonService(name=slug, vendor_id=vendor.id)  # type: ignore[arg-type]
        session.add(service)
        session.flush()
    plan = AddonPlan(name=name, service_id=service.id)  # type: ignore[arg-type]
    session.add(plan)
    session.flush()
    return plan


class InvalidAddonRequest(InvalidInput):
    pass


def _check_shape(app: HerokuApp, plan: str, categories: list[str]) -> None:
    """Refuses (422) what the integration's own schema would refuse once the app's data joins the request's,
    e.g. `none` beside the PHI the app holds, before anything is stored."""
    problems = shape_problems(kind=IntegrationKind.heroku_addon.value, categories=categories, heroku_app=app.name,
                              addon_plan=plan)
    if problems:
        held = f" ({app.name} itself holds {', '.join(app.data_categories)})" if app.data_categories else ""
        raise InvalidAddonRequest("; ".join(problems) + held)


def create_request(session: Session, *, actor: Actor, data: AddonRequestCreate, today: date) -> RequestView:
    app = _app(session, data.app)
    categories = sorted({str(c) for c in data.data_categories} | set(app.data_categories))
    _check_shape(app, data.plan, categories)
    plan = ensure_plan(session, data.plan, actor=actor)
    service = session.get(AddonService, plan.service_id)
    assert service is not None
    vendor = vendor_service.get_vendor(session, service.vendor_id)
    # Where the data goes, unless the engineer says: the vendor's data locations, else its home country
    # (an imported vendor has no locations yet), so the transfer gate judges a real destination.
    transfer_countries = (data.transfer_countries if data.transfer_countries is not None
                          else list(vendor.data_locations) or [vendor.country])
    integration = integration_service.create_integration(session, actor=actor, data=IntegrationCreate(
        vendor_id=service.vendor_id, name=data.name or f"{data.plan} on {app.name}",
        kind=IntegrationKind.heroku_addon, purpose=data.purpose,
        data_categories=categories,  # type: ignore[arg-type]
        access=data.access, volume=data.volume, data_filtering=data.data_filtering,
        fields_shared=data.fields_shared,
        transfer_countries=transfer_countries,
        business_criticality=data.business_criticality, substitutability=data.substitutability,
        heroku_app=app.name, addon_plan=data.plan,
    ))
    return view_request(session, integration.id, today=today)  # type: ignore[arg-type]


def get_request(session: Session, integration_id: int, *, lock: bool = False) -> Integration:
    integration = session.get(Integration, integration_id, with_for_update=True if lock else None)
    if integration is None or integration.kind != IntegrationKind.heroku_addon:
        raise AddonRequestNotFound(f"No add-on request with id {integration_id}.")
    return integration


def evaluate(session: Session, integration: Integration, *, today: date) -> list[GateView]:
    """The add-on gates for `integration` on `today`, each with the exception that lifts it, if any."""
    return evaluate_all(session, [integration], today=today)[integration.id]  # type: ignore[index]


def evaluate_all(session: Session, integrations: Sequence[Integration], *, today: date) -> dict[int, list[GateView]]:
    """`evaluate` for many integrations at once: apps, plans, spaces, exceptions and the vendors' documents in
    one query each. An exception lifts a gate until it expires or is voided (the request
    it was granted for reopened)."""
    from app.core.config import get_settings

    if not integrations:
        return {}
    ids = [i.id for i in integrations]
    app_names = {i.heroku_app for i in integrations if i.heroku_app}
    plan_names = {i.addon_plan for i in integrations if i.addon_plan}
    apps = {a.name: a for a in session.scalars(
        select(HerokuApp).where(HerokuApp.name.in_(app_names)))}  # type: ignore[attr-defined]
    plans = {p.name: p for p in session.scalars(
        select(AddonPlan).where(AddonPlan.name.in_(plan_names)))}  # type: ignore[attr-defined]
    space_ids = {a.space_id for a in apps.values() if a.space_id}
    spaces = {s.id: s for s in session.scalars(
        select(HerokuSpace).where(HerokuSpace.id.in_(space_ids)))}  # type: ignore[union-attr]
    exceptions: dict[int, dict[str, GateException]] = {}
    for exception in session.scalars(select(GateException).where(
        GateException.integration_id.in_(ids), GateException.expires_on >= today,  # type: ignore[attr-defined]
        GateException.voided_at.is_(None),  # type: ignore[union-attr]
    ).order_by(GateException.id)):  # type: ignore[arg-type]
        exceptions.setdefault(exception.integration_id, {})[exception.gate] = exception
    expiring_days = get_settings().document_expiring_days
    found = document_service.vendor_facts_many(session, sorted({i.vendor_id for i in integrations}), today=today,
                                               expiring_days=expiring_days)
    vendors = {vendor_id: documents.facts for vendor_id, documents in found.items()}
    views: dict[int, list[GateView]] = {}
    for integration in integrations:
        app = apps.get(integration.heroku_app) if integration.heroku_app else None
        plan_row = plans.get(integration.addon_plan) if integration.addon_plan else None
        space = spaces.get(app.space_id) if app is not None and app.space_id else None
        app_facts = policy.AppFacts(
            name=integration.heroku_app or "?", space=space.name if space else None,
            shield=bool(app and app.shield) or bool(space and space.shield),
            data_categories=tuple(app.data_categories) if app else (), space_known=bool(app and app.space_known),
        )
        plan_facts = policy.PlanFacts(
            name=integration.addon_plan or "?",
            compliance=tuple(plan_row.compliance) if plan_row and plan_row.compliance is not None else None,
            installable_inside_private_network=plan_row.installable_inside_private_network if plan_row else None,
        )
        checks = policy.addon_gates(app_facts, plan_facts, data_categories=integration.data_categories,
                                    transfer_countries=integration.transfer_countries,
                                    vendor=vendors[integration.vendor_id])
        lifting = exceptions.get(integration.id, {})  # type: ignore[arg-type]
        views[integration.id] = [GateView(c, None if c.satisfied else lifting.get(c.id)) for c in checks]  # type: ignore[index]
    return views


def _views(session: Session, integrations: Sequence[Integration], *, today: date) -> list[RequestView]:
    """The views of `integrations`, in their order, with a handful of queries whatever their number."""
    if not integrations:
        return []
    ids = [i.id for i in integrations]
    decisions: dict[int, list[IntegrationDecision]] = {}
    for decision in session.scalars(select(IntegrationDecision).where(
            IntegrationDecision.integration_id.in_(ids)).order_by(IntegrationDecision.id)):  # type: ignore[attr-defined]
        decisions.setdefault(decision.integration_id, []).append(decision)
    installations: dict[int, AddonInstallation] = {}
    for installation in session.scalars(select(AddonInstallation).where(
            AddonInstallation.integration_id.in_(ids)).order_by(AddonInstallation.id)):  # type: ignore[union-attr]
        installations.setdefault(installation.integration_id, installation)  # type: ignore[arg-type]
    gates = evaluate_all(session, integrations, today=today)
    questionnaires: dict[tuple[str, tuple[str, ...]], list[QuestionnaireVersion]] = {}
    views = []
    for integration in integrations:
        key = (integration.kind, tuple(sorted(integration.data_categories)))
        if key not in questionnaires:
            questionnaires[key] = questionnaire_service.applicable(
                session, kind=integration.kind, data_categories=integration.data_categories)
        views.append(RequestView(
            integration=integration, gates=gates[integration.id], questionnaires=questionnaires[key],  # type: ignore[index]
            decisions=decisions.get(integration.id, []), installation=installations.get(integration.id),  # type: ignore[arg-type]
        ))
    return views


def view_request(session: Session, integration_id: int, *, today: date) -> RequestView:
    return _views(session, [get_request(session, integration_id)], today=today)[0]


def list_requests(session: Session, *, status: str | None, today: date, limit: int = 200) -> list[RequestView]:
    stmt = select(Integration).where(Integration.kind == IntegrationKind.heroku_addon.value)
    if status is not None:
        stmt = stmt.where(Integration.status == status)
    integrations = list(session.scalars(stmt.order_by(Integration.id.desc()).limit(limit)))  # type: ignore[union-attr]
    return _views(session, integrations, today=today)


def decide(session: Session, integration_id: int, *, actor: Actor, data: DecisionCreate, today: date) -> RequestView:
    """Security's decision. An approval must lift every failed gate with an exception (who, why, until
    when, at most a year); a rejection takes none. The requester cannot decide their own request."""
    integration = get_request(session, integration_id, lock=True)
    if integration.status not in UNDECIDED:
        raise AlreadyDecided(
            f"Add-on request {integration_id} is already {integration.status}; a new request is needed to change it."
        )
    if actor.id is not None and actor.id == integration.requested_by_id:
        raise OwnRequest("You requested this add-on; someone else in security must decide it.")
    gates = evaluate(session, integration, today=today)
    offered = {e.gate for e in data.exceptions}
    check_exceptions(f"add-on request {integration_id}", decision=data.decision, exceptions=data.exceptions,
                     today=today, failed={g.check.id: g.check.message for g in gates if g.status == "failed"})
    before = integration.status
    for exception in data.exceptions:
        session.add(GateException(integration_id=integration_id, gate=exception.gate, reason=exception.reason,
                                  expires_on=exception.expires_on, granted_by_id=actor.id, granted_by=actor.label))
    status = {"approve": IntegrationStatus.approved, "approve_with_conditions": IntegrationStatus.approved_with_conditions,
              "reject": IntegrationStatus.rejected}[data.decision]
    integration.status = status.value
    integration.updated_at = utcnow()
    session.add(IntegrationDecision(
        integration_id=integration_id, decision=data.decision, reason=data.reason, conditions=data.conditions,
        gates=[{"id": g.check.id, "status": "lifted" if g.check.id in offered else g.status,
                "severity": g.check.severity, "message": g.check.message} for g in gates],
        decided_by_id=actor.id, decided_by=actor.label,
    ))
    session.flush()
    audit.record(session, actor=actor, action="addon_request.decided", subject_type="integration",
                 subject_id=integration_id, changes={
                     "status": {"before": before, "after": status.value},
                     "reason": {"before": None, "after": data.reason},
                     "conditions": {"before": None, "after": data.conditions},
                     "exceptions": {"before": None, "after": [e.model_dump(mode="json") for e in data.exceptions]},
                 })
    if status != IntegrationStatus.rejected:  # an add-on already installed is now approved, not shadow
        link_approved(session, session.scalars(select(AddonInstallation).where(AddonInstallation.gone_at.is_(None))))  # type: ignore[union-attr]
        session.flush()
    return view_request(session, integration_id, today=today)


# --- estate views ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class AddonRow:
    installation: AddonInstallation
    app: HerokuApp
    service: AddonService | None
    plan: AddonPlan | None
    integration: Integration | None

    @property
    def approval(self) -> str:
        if self.installation.gone_at is not None:
            return "gone"
        if self.integration is not None and self.integration.status in APPROVED:
            return "approved"
        return "shadow"


def list_addons(
    session: Session, *, status: str | None = None, app: str | None = None, service: str | None = None,
    limit: int = 100, after_id: int = 0,
) -> tuple[list[AddonRow], int]:
    """Installations with their app, plan, vendor mapping and approval, by id. `status`: shadow (not gone,
    no approved integration behind it), approved, gone."""
    stmt = (select(AddonInstallation, HerokuApp, AddonService, AddonPlan, Integration)
            .join(HerokuApp, HerokuApp.id == AddonInstallation.app_id)
            .outerjoin(AddonService, AddonService.id == AddonInstallation.service_id)
            .outerjoin(AddonPlan, AddonPlan.id == AddonInstallation.plan_id)
            .outerjoin(Integration, Integration.id == AddonInstallation.integration_id))
    if app is not None:
        stmt = stmt.where(HerokuApp.name == app)
    if service is not None:
        stmt = stmt.where(AddonService.name == service)
    gone = AddonInstallation.gone_at.is_not(None)  # type: ignore[union-attr]
    approved = Integration.status.in_(APPROVED)  # type: ignore[attr-defined]
    if status == "gone":
        stmt = stmt.where(gone)
    elif status == "approved":
        stmt = stmt.where(~gone, approved)
    elif status == "shadow":
        stmt = stmt.where(~gone, (Integration.id.is_(None)) | ~approved)  # type: ignore[union-attr]
    from sqlalchemy import func

    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.where(AddonInstallation.id > after_id).order_by(AddonInstallation.id).limit(limit))
    return [AddonRow(*row) for row in rows], total


@dataclass(frozen=True)
class DriftItem:
    kind: str  # plan_changed | app_changed | gone | not_installed | gate_failed
    integration: Integration
    installation: AddonInstallation | None
    detail: str


def drift(session: Session, *, today: date | None = None) -> list[DriftItem]:
    """Where the estate has moved away from what was approved: the plan or app changed under an approval,
    the approved add-on is gone, an approval was never installed, or a gate that passed (or was lifted)
    when it was approved fails on `today` (default: the current date) — an exception lapsed, a document
    expired, the app now holds PHI..."""
    today = today or date.today()
    approved = list(session.scalars(select(Integration).where(
        Integration.kind == IntegrationKind.heroku_addon.value, Integration.status.in_(APPROVED)  # type: ignore[attr-defined]
    ).order_by(Integration.id)))
    by_integration = {i.integration_id: i for i in session.scalars(
        select(AddonInstallation).where(AddonInstallation.integration_id.is_not(None)))}  # type: ignore[union-attr]
    plans = {p.id: p.name for p in session.scalars(select(AddonPlan))}
    apps = {a.id: a.name for a in session.scalars(select(HerokuApp))}
    gates = evaluate_all(session, approved, today=today)
    items: list[DriftItem] = []
    for integration in approved:
        installation = by_integration.get(integration.id)
        failed = [g.check for g in gates[integration.id] if g.status == "failed"]  # type: ignore[index]
        if failed and (installation is None or installation.gone_at is None):
            items.append(DriftItem("gate_failed", integration, installation,
                                   f"{', '.join(c.id for c in failed)} failed since the approval: "
                                   + " ".join(c.message for c in failed)
                                   + " Fix the cause, or retire the integration and request it again for a new "
                                   "decision (with an exception if it must run meanwhile)."))
        if installation is None:
            items.append(DriftItem("not_installed", integration, None,
                                   f"{integration.addon_plan} on {integration.heroku_app} was approved but no import "
                                   "has seen it installed."))
            continue
        if installation.gone_at is not None:
            items.append(DriftItem("gone", integration, installation,
                                   f"{installation.name} was removed (not seen since {installation.last_seen_at:%Y-%m-%d})"
                                   "; retire the integration or reinstall."))
            continue
        plan = plans.get(installation.plan_id) if installation.plan_id else None
        if plan != integration.addon_plan:
            items.append(DriftItem("plan_changed", integration, installation,
                                   f"approved {integration.addon_plan}, installed {plan or 'an unknown plan'}."))
        on = {apps.get(installation.app_id)} | {a["app"] for a in installation.attachments or ()}
        if integration.heroku_app not in on:
            items.append(DriftItem("app_changed", integration, installation,
                                   f"approved on {integration.heroku_app}, now on {', '.join(sorted(n for n in on if n))}."))
    return items


# --- catalogue edits ------------------------------------------------------------------------------

def list_apps(session: Session) -> list[tuple[HerokuApp, HerokuSpace | None, int]]:
    from sqlalchemy import func

    counts = dict(session.execute(select(AddonInstallation.app_id, func.count()).where(
        AddonInstallation.gone_at.is_(None)).group_by(AddonInstallation.app_id)).all())  # type: ignore[union-attr]
    spaces = {s.id: s for s in session.scalars(select(HerokuSpace))}
    return [(a, spaces.get(a.space_id) if a.space_id else None, counts.get(a.id, 0))
            for a in session.scalars(select(HerokuApp).order_by(HerokuApp.name))]


def app_row(session: Session, app_id: int) -> tuple[HerokuApp, HerokuSpace | None, int]:
    """One app as `list_apps` gives it: the app, its space, and how many add-ons it has now."""
    from sqlalchemy import func

    app = get_app(session, app_id)
    space = session.get(HerokuSpace, app.space_id) if app.space_id else None
    count = session.scalar(select(func.count()).select_from(AddonInstallation).where(
        AddonInstallation.app_id == app_id, AddonInstallation.gone_at.is_(None)))  # type: ignore[union-attr]
    return app, space, count or 0


def get_app(session: Session, app_id: int) -> HerokuApp:
    app = session.get(HerokuApp, app_id)
    if app is None:
        raise HerokuAppNotFound(f"No Heroku app with id {app_id}.")
    return app


def set_app_data(session: Session, app_id: int, *, actor: Actor, data_categories: Sequence[str],
                 expected_version: Any) -> HerokuApp:
    """What the app itself holds (ours to say, not Heroku's); it flows into every add-on on the app."""
    app = get_app(session, app_id)
    check_version(app.version, expected_version, what="Heroku app")
    before = sorted(app.data_categories)
    after = sorted(set(data_categories))
    if before != after:
        app.data_categories = after
        app.updated_at = utcnow()
        app.version += 1  # the mapper does not: imports refresh the app without touching what we said
        session.flush()
        audit.record(session, actor=actor, action="heroku_app.data_categories_set", subject_type="heroku_app",
                     subject_id=app_id, changes={"data_categories": {"before": before, "after": after}})
    return app


def list_services(session: Session) -> list[tuple[AddonService, int]]:
    from sqlalchemy import func

    counts = dict(session.execute(select(AddonPlan.service_id, func.count()).group_by(AddonPlan.service_id)).all())
    return [(s, counts.get(s.id, 0)) for s in session.scalars(select(AddonService).order_by(AddonService.name))]


def map_service(session: Session, service_id: int, *, actor: Actor, vendor_id: int) -> AddonService:
    """Re-maps a service to another vendor (an acquisition, or a wrong guess at import)."""
    service = session.get(AddonService, service_id)
    if service is None:
        raise AddonServiceNotFound(f"No add-on service with id {service_id}.")
    vendor_service.get_vendor(session, vendor_id)
    if service.vendor_id != vendor_id:
        changes = diff({"vendor_id": service.vendor_id}, {"vendor_id": vendor_id})
        service.vendor_id = vendor_id
        session.flush()
        audit.record(session, actor=actor, action="addon_service.mapped", subject_type="addon_service",
                     subject_id=service_id, changes=changes)
    return service


def list_plans(session: Session, *, service: str | None) -> list[tuple[AddonPlan, AddonService]]:
    stmt = select(AddonPlan, AddonService).join(AddonService, AddonService.id == AddonPlan.service_id)
    if service is not None:
        stmt = stmt.where(AddonService.name == service)
    return [(p, s) for p, s in session.execute(stmt.order_by(AddonPlan.name))]


def list_imports(session: Session, *, limit: int = 50) -> list[HerokuImport]:
    return list(session.scalars(select(HerokuImport).order_by(HerokuImport.id.desc()).limit(limit)))  # type: ignore[union-attr]


# --- page queries: the request form's gates preview, one import, vendor names ---------------------

class ImportNotFound(NotFound):
    pass


@dataclass(frozen=True)
class RequestPreview:
    """What `create_request` would answer for a proposed request, nothing stored."""

    app: HerokuApp
    space: HerokuSpace | None
    plan: AddonPlan | None  # None: nobody imported this plan; its details are unknown and its gates fail closed
    vendor_id: int | None
    vendor_name: str | None
    data_categories: list[str]  # the request's own plus what the app holds
    transfer_countries: list[str]
    exposure: Exposure  # the inherent tier the request would get
    gates: list[GateView]
    questionnaires: list[QuestionnaireVersion]

    @property
    def blocked(self) -> bool:
        return any(g.status == "failed" for g in self.gates)


def preview_request(session: Session, *, data: AddonRequestCreate, today: date) -> RequestPreview:
    """The gates, inherent tier and questionnaires a request for `data` would meet on `today`, from the
    same facts `create_request` stores and the same `evaluate_all` that judges stored requests, with
    nothing written: the preview of the request form. As in `create_request`: an app not in the register
    is refused (UnknownHerokuApp); the app's own data categories join the request's; the transfer
    countries default to the vendor's data locations, else its home country. A plan nobody imported is
    judged with unknown details (its gates fail closed), and its vendor is the one the provider table
    names for the service."""
    app = _app(session, data.app)
    space = session.get(HerokuSpace, app.space_id) if app.space_id else None
    plan = session.execute(select(AddonPlan).where(AddonPlan.name == data.plan)).scalars().first()
    slug = data.plan.split(":", 1)[0]
    if plan is not None:
        service = session.get(AddonService, plan.service_id)
    else:
        service = session.execute(select(AddonService).where(AddonService.name == slug)).scalars().first()
    provider = provider_for(slug, None)
    vendor: Vendor | None = (vendor_service.get_vendor(session, service.vendor_id) if service is not None
                             else vendor_service.find_vendor(session, provider.legal_name))
    if data.transfer_countries is not None:
        countries = list(data.transfer_countries)
    elif vendor is not None:
        countries = list(vendor.data_locations) or [vendor.country]
    else:
        countries = [provider.country]
    categories = sorted({str(c) for c in data.data_categories} | set(app.data_categories))
    _check_shape(app, data.plan, categories)
    proposed = Integration(  # never added to the session: evaluated as a stored request would be
        vendor_id=vendor.id if vendor else None, name=data.name or f"{data.plan} on {app.name}",
        kind=IntegrationKind.heroku_addon.value, purpose=data.purpose, data_categories=categories,
        access=str(data.access), volume=str(data.volume), transfer_countries=countries,
        business_criticality=str(data.business_criticality), substitutability=str(data.substitutability),
        heroku_app=app.name, addon_plan=data.plan,
    )
    gates = evaluate_all(session, [proposed], today=today)[proposed.id]  # type: ignore[index]
    exposure = inherent_exposure(ExposureInput(
        data_categories=parse_categories(categories), access=Access(data.access), volume=Volume(data.volume),
        business_criticality=Criticality(data.business_criticality)))
    return RequestPreview(
        app=app, space=space, plan=plan, vendor_id=vendor.id if vendor else None,
        vendor_name=vendor.name if vendor else provider.name, data_categories=categories,
        transfer_countries=countries, exposure=exposure, gates=gates,
        questionnaires=questionnaire_service.applicable(session, kind=IntegrationKind.heroku_addon.value,
                                                        data_categories=categories),
    )


def get_import(session: Session, import_id: int) -> HerokuImport:
    record = session.get(HerokuImport, import_id)
    if record is None:
        raise ImportNotFound(f"No Heroku import with id {import_id}.")
    return record
