"""Storing what an import or sync saw: upsert by Heroku id, mark the unseen as gone, never delete.

One call, one transaction: the whole estate is applied or nothing is. Running the same import twice
changes nothing (the second report counts everything as unchanged).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.audit import service as audit
from app.audit.service import Actor
from app.core.db import utcnow
from app.heroku.estate import AddonFacts, AppFacts, Estate, PlanFacts, ServiceFacts, Skipped, SpaceFacts
from app.heroku.models import AddonInstallation, AddonPlan, AddonService, HerokuApp, HerokuImport, HerokuSpace
from app.heroku.providers import provider_for
from app.integrations.models import Integration, IntegrationKind, IntegrationStatus
from app.vendors import service as vendor_service
from app.vendors.schemas import VendorCreate

APPROVED = (IntegrationStatus.approved.value, IntegrationStatus.approved_with_conditions.value)


@dataclass
class ImportReport:
    import_id: int | None = None
    source: str = ""
    created: dict[str, int] = field(default_factory=lambda: {"spaces": 0, "apps": 0, "services": 0, "plans": 0,
                                                              "addons": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"spaces": 0, "apps": 0, "plans": 0, "addons": 0})
    unchanged_addons: int = 0
    gone: int = 0
    returned: int = 0  # add-ons marked gone earlier and seen again
    linked: int = 0  # approved requests linked to the installation this import first saw
    vendors_created: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values()) or bool(self.gone or self.returned or self.linked)

    def counts(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged_addons": self.unchanged_addons,
                "gone": self.gone, "returned": self.returned, "linked": self.linked,
                "vendors_created": self.vendors_created}


def _set(row: Any, values: dict[str, Any]) -> bool:
    """Sets the values that differ (None means "not said": it never erases what is known)."""
    changed = False
    for key, value in values.items():
        if value is not None and getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


class _Catalogue:
    """Every row an import may touch, loaded once and indexed, so 5,000 add-ons cost few queries."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.spaces = {s.name: s for s in session.scalars(select(HerokuSpace))}
        self.apps = {a.name: a for a in session.scalars(select(HerokuApp))}
        self.apps_by_id = {a.heroku_id: a for a in self.apps.values() if a.heroku_id}
        self.services = {s.name: s for s in session.scalars(select(AddonService))}
        self.plans = {p.name: p for p in session.scalars(select(AddonPlan))}
        self.addons = {a.heroku_id: a for a in session.scalars(select(AddonInstallation))}


def apply_estate(
    session: Session, estate: Estate, *, actor: Actor, file_sha256: str | None = None, file_size: int | None = None,
    now: datetime | None = None,
) -> ImportReport:
    now = now or utcnow()
    report = ImportReport(source=estate.source, skipped=list(estate.skipped))
    cat = _Catalogue(session)
    for space in estate.spaces.values():
        _upsert_space(cat, space, now, report)
    session.flush()
    for app in estate.apps.values():
        _upsert_app(cat, app, now, report)
    for addon in estate.addons.values():  # billing and attached apps the file names but does not describe
        for name in [addon.app, *(a.app for a in addon.attachments or ())]:
            if name not in cat.apps:
                _upsert_app(cat, AppFacts(name=name), now, report)
    session.flush()
    services = {**{s.name: s for s in estate.services.values()}}
    for plan in [*estate.plans.values()]:
        services.setdefault(plan.service, ServiceFacts(name=plan.service))
    for addon in estate.addons.values():
        if addon.service:
            services.setdefault(addon.service, ServiceFacts(name=addon.service))
    for service in services.values():
        _upsert_service(session, cat, service, actor, report)
    session.flush()
    for plan in estate.plans.values():
        _upsert_plan(cat, plan, now, report)
    for addon in estate.addons.values():
        if addon.plan and addon.plan not in cat.plans:
            _upsert_plan(cat, PlanFacts(name=addon.plan), now, report)
    session.flush()
    seen: set[str] = set()
    for addon in estate.addons.values():
        _upsert_addon(cat, addon, now, report)
        seen.add(addon.heroku_id)
    session.flush()
    _mark_gone(cat, estate, seen, now, report)
    report.linked = link_approved(session, [a for a in cat.addons.values() if a.gone_at is None])
    session.flush()
    record = HerokuImport(
        source=estate.source, file_sha256=file_sha256, file_size=file_size, complete=estate.everything,
        counts=report.counts(), skipped=[{"what": s.what, "reason": s.reason} for s in report.skipped][:1000],
        actor=actor.label, created_at=now,
    )
    session.add(record)
    session.flush()
    report.import_id = record.id
    audit.record(session, actor=actor, action="heroku.imported", subject_type="heroku_import", subject_id=record.id,
                 changes={"source": {"before": None, "after": estate.source},
                          "counts": {"before": None, "after": report.counts()},
                          "skipped": {"before": None, "after": len(report.skipped)}})
    return report


def _upsert_space(cat: _Catalogue, facts: SpaceFacts, now: datetime, report: ImportReport) -> None:
    row = cat.spaces.get(facts.name)
    values = {"heroku_id": facts.heroku_id, "shield": facts.shield, "region": facts.region, "team": facts.team,
              "state": facts.state}
    if row is None:
        row = HerokuSpace(name=facts.name, first_seen_at=now, last_seen_at=now, **values)
        cat.session.add(row)
        cat.spaces[facts.name] = row
        report.created["spaces"] += 1
        return
    if _set(row, values):
        report.updated["spaces"] += 1
    row.last_seen_at = now


def _upsert_app(cat: _Catalogue, facts: AppFacts, now: datetime, report: ImportReport) -> None:
    row = cat.apps_by_id.get(facts.heroku_id) if facts.heroku_id else None
    row = row or cat.apps.get(facts.name)
    values: dict[str, Any] = {"heroku_id": facts.heroku_id, "name": facts.name, "team": facts.team,
                              "region": facts.region, "generation": facts.generation}
    if facts.space_known:
        space = cat.spaces.get(facts.space) if facts.space else None
        shield = facts.shield if facts.shield is not None else bool(space and space.shield)
        values |= {"space_known": True, "shield": shield}
    if row is None:
        row = HerokuApp(first_seen_at=now, last_seen_at=now, updated_at=now,
                        **{k: v for k, v in values.items() if v is not None})
        if facts.space_known:
            row.space_id = cat.spaces[facts.space].id if facts.space in cat.spaces else None
        cat.session.add(row)
        report.created["apps"] += 1
    else:
        changed = _set(row, values)
        if facts.space_known:
            space_id = cat.spaces[facts.space].id if facts.space in cat.spaces else None
            if row.space_id != space_id:
                row.space_id, changed = space_id, True
        if changed:
            row.updated_at = now
            report.updated["apps"] += 1
        row.last_seen_at = now
    cat.apps[row.name] = row
    if row.heroku_id:
        cat.apps_by_id[row.heroku_id] = row


def _upsert_service(session: Session, cat: _Catalogue, facts: ServiceFacts, actor: Actor, report: ImportReport) -> None:
    row = cat.services.get(facts.name)
    if row is None:
        vendor_id = _vendor_for(session, facts, actor, report)
        row = AddonService(name=facts.name, heroku_id=facts.heroku_id, human_name=facts.human_name, vendor_id=vendor_id)
        session.add(row)
        cat.services[facts.name] = row
        report.created["services"] += 1
        return
    _set(row, {"heroku_id": facts.heroku_id, "human_name": facts.human_name})


def _vendor_for(session: Session, facts: ServiceFacts, actor: Actor, report: ImportReport) -> int:
    provider = provider_for(facts.name, facts.human_name)
    vendor = vendor_service.find_vendor(session, provider.legal_name)
    if vendor is None:
        vendor = vendor_service.create_vendor(session, actor=actor, data=VendorCreate(
            legal_name=provider.legal_name, name=provider.name, country=provider.country, website=provider.website,
        ))
        report.vendors_created.append(provider.legal_name)
    return vendor.id  # type: ignore[return-value]


def _upsert_plan(cat: _Catalogue, facts: PlanFacts, now: datetime, report: ImportReport) -> None:
    row = cat.plans.get(facts.name)
    values: dict[str, Any] = {
        "heroku_id": facts.heroku_id, "human_name": facts.human_name,
        "compliance": list(facts.compliance) if facts.compliance is not None else None,
        "installable_inside_private_network": facts.installable_inside_private_network,
        "installable_outside_private_network": facts.installable_outside_private_network,
        "state": facts.state,
    }
    if facts.price is not None:
        values |= {"price_cents": facts.price.cents, "price_unit": facts.price.unit,
                   "price_contract": facts.price.contract}
    detailed = facts.compliance is not None or facts.installable_inside_private_network is not None
    if row is None:
        service = cat.services[facts.service]
        row = AddonPlan(name=facts.name, service_id=service.id, details_seen_at=now if detailed else None,  # type: ignore[arg-type]
                        **{k: v for k, v in values.items() if v is not None})
        cat.session.add(row)
        cat.plans[facts.name] = row
        report.created["plans"] += 1
        return
    if _set(row, values):
        report.updated["plans"] += 1
    if detailed:
        row.details_seen_at = now


def _addon_values(cat: _Catalogue, facts: AddonFacts) -> dict[str, Any]:
    service = cat.services.get(facts.service) if facts.service else None
    plan = cat.plans.get(facts.plan) if facts.plan else None
    values: dict[str, Any] = {
        "name": facts.name, "app_id": cat.apps[facts.app].id, "service_id": service.id if service else None,
        "plan_id": plan.id if plan else None, "state": facts.state, "config_vars": sorted(facts.config_vars),
        "provider_id": facts.provider_id, "web_url": facts.web_url, "heroku_created_at": facts.created_at,
    }
    if facts.attachments is not None:
        values["attachments"] = sorted(({"app": a.app, "name": a.name} for a in facts.attachments),
                                       key=lambda a: (a["app"], a["name"]))
    if facts.billed_price is not None:
        values |= {"billed_price_cents": facts.billed_price.cents, "billed_price_unit": facts.billed_price.unit}
    return values


def _upsert_addon(cat: _Catalogue, facts: AddonFacts, now: datetime, report: ImportReport) -> None:
    row = cat.addons.get(facts.heroku_id)
    values = _addon_values(cat, facts)
    if row is None:
        row = AddonInstallation(heroku_id=facts.heroku_id, first_seen_at=now, last_seen_at=now,
                                **{k: v for k, v in values.items() if v is not None})
        cat.session.add(row)
        cat.addons[facts.heroku_id] = row
        report.created["addons"] += 1
        return
    changed = _set(row, values)
    if row.gone_at is not None:
        row.gone_at = None
        report.returned += 1
    elif changed:
        report.updated["addons"] += 1
    else:
        report.unchanged_addons += 1
    row.last_seen_at = now


def _mark_gone(cat: _Catalogue, estate: Estate, seen: set[str], now: datetime, report: ImportReport) -> None:
    complete_app_ids = {cat.apps[name].id for name in estate.complete_apps if name in cat.apps}
    for addon in cat.addons.values():
        if addon.heroku_id in seen or addon.gone_at is not None:
            continue
        if estate.everything or addon.app_id in complete_app_ids:
            addon.gone_at = now
            report.gone += 1


def link_approved(session: Session, installations: Iterable[AddonInstallation]) -> int:
    """Links each unlinked installation to the approved add-on request it fulfils: same plan, on its
    billing app or an app it is attached to, and not already linked to another installation."""
    pending = [i for i in installations if i.integration_id is None and i.plan_id is not None]
    if not pending:
        return 0
    approved = list(session.scalars(select(Integration).where(
        Integration.kind == IntegrationKind.heroku_addon.value, Integration.status.in_(APPROVED),  # type: ignore[attr-defined]
    )))
    if not approved:
        return 0
    taken = set(session.scalars(select(AddonInstallation.integration_id).where(
        AddonInstallation.integration_id.is_not(None))))  # type: ignore[union-attr]
    plans = {p.id: p.name for p in session.scalars(select(AddonPlan))}
    apps = {a.id: a.name for a in session.scalars(select(HerokuApp))}
    linked = 0
    for installation in sorted(pending, key=lambda i: i.heroku_id):
        on = {apps.get(installation.app_id)} | {a["app"] for a in installation.attachments or ()}
        for integration in approved:
            if integration.id in taken:
                continue
            if integration.addon_plan == plans.get(installation.plan_id) and integration.heroku_app in on:  # type: ignore[arg-type]
                installation.integration_id = integration.id
                taken.add(integration.id)
                linked += 1
                break
    return linked
