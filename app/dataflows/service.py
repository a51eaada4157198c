"""Loads the facts the data-flow map and the record of processing are built from: a handful of queries
whatever the size of the estate (integrations, shadow add-ons, apps, spaces, vendors, documents), never
one per row."""

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session

from app.dataflows import graph, processing
from app.dataflows.graph import (
    AddonFact,
    AgreementFact,
    AppFact,
    DataFlowMap,
    Estate,
    Filters,
    IntegrationFact,
    SubprocessorFact,
    VendorFact,
)
from app.documents import service as document_service
from app.heroku.models import AddonInstallation, AddonPlan, AddonService, HerokuApp, HerokuSpace
from app.integrations.exposure import DataCategory
from app.integrations.models import Integration, IntegrationStatus
from app.vendors.models import Vendor

CHUNK = 1000  # ids per IN list: well inside SQLite's and PostgreSQL's bound-parameter limits


class Scope(StrEnum):
    """Which integrations count as flows: `current` is everything requested, in review or approved (what
    runs or is about to); `approved` only what security approved."""

    current = "current"
    approved = "approved"


STATUSES: dict[Scope, tuple[str, ...]] = {
    Scope.current: (IntegrationStatus.requested.value, IntegrationStatus.in_review.value,
                    IntegrationStatus.approved.value, IntegrationStatus.approved_with_conditions.value),
    Scope.approved: (IntegrationStatus.approved.value, IntegrationStatus.approved_with_conditions.value),
}


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def _agreement(view: document_service.DocumentView) -> AgreementFact:
    d = view.document
    return AgreementFact(
        document_id=d.id, type=d.type, title=d.title, sha256=d.sha256, signed_on=d.signed_on,  # type: ignore[arg-type]
        effective_on=d.effective_on, expires_on=d.expires_on, ends_on=view.standing.ends_on,
        status=view.standing.status.value, transfer_mechanism=d.transfer_mechanism,
    )


def load_vendors(session: Session, vendor_ids: Iterable[int], *, today: date, expiring_days: int) -> list[VendorFact]:
    """The vendors with their document facts on `today` and the agreements those facts cite."""
    rows = []
    for chunk in _chunks(vendor_ids):
        rows.extend(session.execute(select(
            Vendor.id, Vendor.name, Vendor.legal_name, Vendor.country, Vendor.status, Vendor.data_locations,
            Vendor.subprocessors,
        ).where(Vendor.id.in_(chunk))).all())  # type: ignore[union-attr]
    documents = document_service.vendor_facts_many(session, [r.id for r in rows], today=today,
                                                   expiring_days=expiring_days)
    vendors = []
    for row in rows:
        docs = documents[row.id]
        cited = {*docs.facts.in_force.values(), *docs.facts.mechanisms.values()}
        vendors.append(VendorFact(
            id=row.id, name=row.name, legal_name=row.legal_name, country=row.country, status=row.status,
            data_locations=tuple(row.data_locations or ()),
            subprocessors=tuple(SubprocessorFact(name=s["name"], purpose=s.get("purpose", ""), country=s["country"])
                                for s in row.subprocessors or ()),
            facts=docs.facts, agreements=tuple(_agreement(docs.views[i]) for i in sorted(cited)),
        ))
    return vendors


def load_estate(
    session: Session, *, today: date, expiring_days: int, scope: Scope = Scope.current, include_shadow: bool = True,
    app: str | None = None, vendor_id: int | None = None,
) -> Estate:
    """The facts of the flows in `scope` (narrowed in SQL by `app` and `vendor_id` when given; the data
    category is judged on the map, since an add-on inherits what its app holds). With `include_shadow`,
    add-ons installed now with no integration in scope behind them come too."""
    statuses = STATUSES[scope]
    stmt = select(
        Integration.id, Integration.vendor_id, Integration.name, Integration.kind, Integration.status,
        Integration.purpose, Integration.data_categories, Integration.data_filtering, Integration.fields_shared,
        Integration.transfer_countries, Integration.heroku_app, Integration.addon_plan,
    ).where(Integration.status.in_(statuses))  # type: ignore[attr-defined]
    if app is not None:
        stmt = stmt.where(Integration.heroku_app == app)
    if vendor_id is not None:
        stmt = stmt.where(Integration.vendor_id == vendor_id)
    integrations = [
        IntegrationFact(
            id=r.id, vendor_id=r.vendor_id, name=r.name, kind=r.kind, status=r.status, purpose=r.purpose,
            data_categories=tuple(r.data_categories or ()), data_filtering=r.data_filtering,
            fields_shared=tuple(r.fields_shared or ()), transfer_countries=tuple(r.transfer_countries or ()),
            heroku_app=r.heroku_app, addon_plan=r.addon_plan,
        )
        for r in session.execute(stmt.order_by(Integration.id))
    ]
    addons: list[AddonFact] = []
    if include_shadow:
        shadow = (
            select(AddonInstallation.id, AddonInstallation.name, HerokuApp.name.label("app"),  # type: ignore[attr-defined]
                   AddonService.name.label("service"), AddonPlan.name.label("plan"),  # type: ignore[attr-defined]
                   AddonService.vendor_id, AddonInstallation.integration_id,
                   Integration.status.label("integration_status"))  # type: ignore[attr-defined]
            .join(HerokuApp, HerokuApp.id == AddonInstallation.app_id)
            .outerjoin(AddonService, AddonService.id == AddonInstallation.service_id)
            .outerjoin(AddonPlan, AddonPlan.id == AddonInstallation.plan_id)
            .outerjoin(Integration, Integration.id == AddonInstallation.integration_id)
            .where(AddonInstallation.gone_at.is_(None),  # type: ignore[union-attr]
                   or_(Integration.id.is_(None), Integration.status.not_in(statuses)))  # type: ignore[union-attr,attr-defined]
        )
        if app is not None:
            shadow = shadow.where(HerokuApp.name == app)
        if vendor_id is not None:
            shadow = shadow.where(AddonService.vendor_id == vendor_id)
        addons = [
            AddonFact(id=r.id, name=r.name, app=r.app, plan=r.plan, service=r.service, vendor_id=r.vendor_id,
                      integration_id=r.integration_id, integration_status=r.integration_status)
            for r in session.execute(shadow.order_by(AddonInstallation.id))
        ]
    app_names = {i.heroku_app for i in integrations if i.heroku_app} | {a.app for a in addons}
    apps = load_apps(session, app_names)
    vendor_ids = {i.vendor_id for i in integrations} | {a.vendor_id for a in addons if a.vendor_id is not None}
    vendors = load_vendors(session, vendor_ids, today=today, expiring_days=expiring_days)
    return Estate(apps=tuple(apps), integrations=tuple(integrations), vendors=tuple(vendors), addons=tuple(addons))


def load_apps(session: Session, names: Iterable[str]) -> list[AppFact]:
    rows = []
    for chunk in _chunks(names):
        rows.extend(session.execute(select(
            HerokuApp.name, HerokuApp.region, HerokuApp.space_id, HerokuApp.shield, HerokuApp.data_categories,
        ).where(HerokuApp.name.in_(chunk))).all())  # type: ignore[attr-defined]
    space_ids = {r.space_id for r in rows if r.space_id}
    spaces = {s.id: s for s in session.execute(select(
        HerokuSpace.id, HerokuSpace.name, HerokuSpace.shield, HerokuSpace.region,
    ).where(HerokuSpace.id.in_(space_ids)))} if space_ids else {}  # type: ignore[union-attr]
    apps = []
    for r in rows:
        space = spaces.get(r.space_id) if r.space_id else None
        apps.append(AppFact(
            name=r.name, region=(space.region if space and space.region else r.region),
            space=space.name if space else None, shield=bool(r.shield) or bool(space and space.shield),
            data_categories=tuple(r.data_categories or ()),
        ))
    return apps


def data_flow_map(
    session: Session, *, today: date, expiring_days: int, filters: Filters | None = None,
    scope: Scope = Scope.current, include_shadow: bool = True,
) -> DataFlowMap:
    """The data-flow map on `today`, narrowed by `filters`."""
    filters = filters or Filters()
    estate = load_estate(session, today=today, expiring_days=expiring_days, scope=scope, include_shadow=include_shadow,
                         app=filters.app, vendor_id=filters.vendor_id)
    return graph.build_map(estate, on=today, filters=filters)


def map_with_options(
    session: Session, *, today: date, expiring_days: int, filters: Filters, scope: Scope = Scope.current,
    include_shadow: bool = True,
) -> tuple[DataFlowMap, graph.FilterOptions]:
    """The map and what the page's filter form offers, from one load of the whole estate."""
    estate = load_estate(session, today=today, expiring_days=expiring_days, scope=scope, include_shadow=include_shadow)
    options = graph.filter_options(estate, [c.value for c in DataCategory])
    return graph.build_map(estate, on=today, filters=filters), options


def record_of_processing(
    session: Session, *, today: date, expiring_days: int, scope: Scope = Scope.current,
) -> processing.ProcessingRecord:
    """The record of processing on `today`: one entry per vendor that receives data in `scope`."""
    estate = load_estate(session, today=today, expiring_days=expiring_days, scope=scope, include_shadow=False)
    return processing.build_record(estate, on=today, scope=scope.value)
