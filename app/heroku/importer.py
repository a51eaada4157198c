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
from app.core.errors import InvalidInput, InvalidState
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


class EmptyFileRefused(InvalidInput):
    pass


class EmptySyncRefused(InvalidState):
    pass


class _Named:
    """The rows of one catalogue table by name and by Heroku id, both kept right through renames.

    Heroku ids are what identify a space, app, service or plan; names are unique too, but Heroku lets an
    app be renamed and another take the old name. A row is found by its Heroku id first, by name only
    when neither side has an id that tells them apart."""

    def __init__(self, session: Session, rows: Iterable[Any]) -> None:
        self.session = session
        self.by_name: dict[str, Any] = {}
        self.by_id: dict[str, Any] = {}
        for row in rows:
            self.add(row)

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def __getitem__(self, name: str) -> Any:
        return self.by_name[name]

    def get(self, name: str) -> Any:
        return self.by_name.get(name)

    def values(self) -> Iterable[Any]:
        return self.by_name.values()

    def add(self, row: Any) -> None:
        self.by_name[row.name] = row
        if row.heroku_id:
            self.by_id[row.heroku_id] = row

    def find(self, name: str, heroku_id: str | None) -> Any:
        row = self.by_id.get(heroku_id) if heroku_id else None
        if row is not None:
            return row
        row = self.by_name.get(name)
        if row is not None and heroku_id and row.heroku_id and row.heroku_id != heroku_id:
            return None  # another object of Heroku's held this name: it was renamed or deleted since
        return row

    def claim(self, row: Any, name: str) -> None:
        """Before `row` (None: a row about to be added) takes `name`: a different row holding it is set
        aside under a name no Heroku object can have, `name~<its Heroku id>`; a later import that still
        sees it renames it to its new name. Each rename is flushed at once: the unit of work orders its
        UPDATEs by primary key, not by need, and a unique name must be freed before it is taken."""
        holder = self.by_name.get(name)
        if holder is None or holder is row:
            return
        suffix = f"~{holder.heroku_id or f'row-{holder.id}'}"
        limit = type(holder).__table__.c.name.type.length
        self.rename(holder, name[: limit - len(suffix)] + suffix)

    def rename(self, row: Any, name: str) -> None:
        if row.name == name:
            return
        self.claim(row, name)
        if self.by_name.get(row.name) is row:
            del self.by_name[row.name]
        row.name = name
        self.by_name[name] = row
        if row.id is not None:
            self.session.flush()  # frees the old name before another row takes it (see `claim`)


class _Catalogue:
    """Every row an import may touch, loaded once and indexed, so 5,000 add-ons cost few queries."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.spaces = _Named(session, session.scalars(select(HerokuSpace)))
        self.apps = _Named(session, session.scalars(select(HerokuApp)))
        self.services = _Named(session, session.scalars(select(AddonService)))
        self.plans = _Named(session, session.scalars(select(AddonPlan)))
        self.addons = {a.heroku_id: a for a in session.scalars(select(AddonInstallation))}


def _refuse_empty(cat: _Catalogue, estate: Estate) -> None:
    """An estate said to be everything that lists no add-on at all, while the register has some installed,
    is far likelier an account that lost its teams (or an empty page) than an estate emptied overnight:
    taking it would mark every add-on gone. Refused, so nothing changes."""
    if not estate.everything or estate.addons:
        return
    installed = sum(1 for a in cat.addons.values() if a.gone_at is None)
    if not installed:
        return
    one_by_one = ("If they really were all removed, record it app by app: import `heroku apps:info --app APP --json` "
                  "for each app (an app listed with no add-ons marks its own gone).")
    if estate.source == "api":
        raise EmptySyncRefused(
            f"The Platform API listed no add-ons, yet {installed} add-on(s) in the register are installed: nothing "
            "was changed rather than marking them all gone. The token's account has probably lost access to the "
            "apps (removed from a team, or a token of another account): check `heroku teams` and `heroku apps "
            f"--all` as that account, fix the access or the token, and sync again. {one_by_one}"
        )
    raise EmptyFileRefused(
        f"The file was not imported, nothing changed: it lists no add-ons, yet {installed} add-on(s) in the "
        "register are installed, and as the complete estate it would mark them all gone. An empty `heroku addons "
        "--all --json` usually means the account that ran it cannot see the apps (check `heroku teams` and "
        f"`heroku apps --all`); export again with an account that can. {one_by_one}"
    )


def apply_estate(
    session: Session, estate: Estate, *, actor: Actor, file_sha256: str | None = None, file_size: int | None = None,
    now: datetime | None = None,
) -> ImportReport:
    now = now or utcnow()
    report = ImportReport(source=estate.source, skipped=list(estate.skipped))
    cat = _Catalogue(session)
    _refuse_empty(cat, estate)
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
    row = cat.spaces.find(facts.name, facts.heroku_id)
    values = {"heroku_id": facts.heroku_id, "shield": facts.shield, "region": facts.region, "team": facts.team,
              "state": facts.state}
    if row is None:
        cat.spaces.claim(None, facts.name)
        row = HerokuSpace(name=facts.name, first_seen_at=now, last_seen_at=now, **values)
        cat.session.add(row)
        cat.spaces.add(row)
        report.created["spaces"] += 1
        return
    renamed = row.name != facts.name
    cat.spaces.rename(row, facts.name)
    if _set(row, values) or renamed:
        cat.spaces.add(row)
        report.updated["spaces"] += 1
    row.last_seen_at = now


def _upsert_app(cat: _Catalogue, facts: AppFacts, now: datetime, report: ImportReport) -> None:
    row = cat.apps.find(facts.name, facts.heroku_id)
    values: dict[str, Any] = {"heroku_id": facts.heroku_id, "team": facts.team,
                              "region": facts.region, "generation": facts.generation}
    if facts.space_known:
        space = cat.spaces.get(facts.space) if facts.space else None
        shield = facts.shield if facts.shield is not None else bool(space and space.shield)
        values |= {"space_known": True, "shield": shield}
    if row is None:
        cat.apps.claim(None, facts.name)
        row = HerokuApp(name=facts.name, first_seen_at=now, last_seen_at=now, updated_at=now,
                        **{k: v for k, v in values.items() if v is not None})
        if facts.space_known:
            row.space_id = cat.spaces[facts.space].id if facts.space in cat.spaces else None
        cat.session.add(row)
        report.created["apps"] += 1
    else:
        changed = row.name != facts.name
        cat.apps.rename(row, facts.name)
        changed = _set(row, values) or changed
        if facts.space_known:
            space_id = cat.spaces[facts.space].id if facts.space in cat.spaces else None
            if row.space_id != space_id:
                row.space_id, changed = space_id, True
        if changed:
            row.updated_at = now
            report.updated["apps"] += 1
        row.last_seen_at = now
    cat.apps.add(row)


def _upsert_service(session: Session, cat: _Catalogue, facts: ServiceFacts, actor: Actor, report: ImportReport) -> None:
    row = cat.services.find(facts.name, facts.heroku_id)
    if row is None:
        vendor_id = _vendor_for(session, facts, actor, report)
        cat.services.claim(None, facts.name)
        row = AddonService(name=facts.name, heroku_id=facts.heroku_id, human_name=facts.human_name, vendor_id=vendor_id)
        session.add(row)
        cat.services.add(row)
        report.created["services"] += 1
        return
    cat.services.rename(row, facts.name)
    _set(row, {"heroku_id": facts.heroku_id, "human_name": facts.human_name})
    cat.services.add(row)


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
    row = cat.plans.find(facts.name, facts.heroku_id)
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
        cat.plans.claim(None, facts.name)
        row = AddonPlan(name=facts.name, service_id=service.id, details_seen_at=now if detailed else None,  # type: ignore[arg-type]
                        **{k: v for k, v in values.items() if v is not None})
        cat.session.add(row)
        cat.plans.add(row)
        report.created["plans"] += 1
        return
    renamed = row.name != facts.name
    cat.plans.rename(row, facts.name)
    if _set(row, values) or renamed:
        cat.plans.add(row)
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
    taken = set(session.scalars(select(AddonInstallation.integration_id).where(
        AddonInstallation.integration_id.is_not(None))))  # type: ignore[union-attr]
    # The approvals still waiting for their installation, by (plan, app), oldest first.
    waiting: dict[tuple[str | None, str | None], list[Integration]] = {}
    for integration in session.scalars(select(Integration).where(
        Integration.kind == IntegrationKind.heroku_addon.value, Integration.status.in_(APPROVED),  # type: ignore[attr-defined]
    ).order_by(Integration.id)):  # type: ignore[arg-type]
        if integration.id not in taken:
            waiting.setdefault((integration.addon_plan, integration.heroku_app), []).append(integration)
    if not waiting:
        return 0
    plans = {p.id: p.name for p in session.scalars(select(AddonPlan))}
    apps = {a.id: a.name for a in session.scalars(select(HerokuApp))}
    linked = 0
    for installation in sorted(pending, key=lambda i: i.heroku_id):
        plan = plans.get(installation.plan_id)  # type: ignore[arg-type]
        on = {apps.get(installation.app_id)} | {a["app"] for a in installation.attachments or ()}
        queues = [queue for app in on if (queue := waiting.get((plan, app)))]
        if not queues:
            continue
        integration = min((queue[0] for queue in queues), key=lambda i: i.id)  # type: ignore[arg-type,return-value]
        next(queue for queue in queues if queue[0] is integration).pop(0)
        installation.integration_id = integration.id
        linked += 1
    return linked
