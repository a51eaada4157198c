"""JSON API for the Heroku estate (imports, sync, apps, services, plans, add-ons, drift) and add-on requests."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Header, Query, Response, status

from app.auth.deps import Requires, actor_of
from app.auth.models import User
from app.auth.permissions import Permission
from app.core.concurrency import etag, expected_version
from app.core.deps import RowId, SessionDep, errors
from app.heroku import jobs
from app.heroku import service as heroku_service
from app.heroku.importer import ImportReport
from app.heroku.schemas import (
    AddonPage,
    AddonPublic,
    AddonRequestCreate,
    AddonRequestList,
    AddonRequestPublic,
    AppList,
    AppPublic,
    AppUpdate,
    DecisionCreate,
    DecisionPublic,
    DriftList,
    DriftPublic,
    ExceptionPublic,
    GatePublic,
    ImportList,
    ImportPublic,
    ImportReportPublic,
    ImportUpload,
    InstallationRef,
    PlanList,
    PlanPublic,
    QuestionnaireSummary,
    ServiceList,
    ServicePublic,
    ServiceUpdate,
    SkippedPublic,
)
from app.integrations.models import IntegrationStatus
from app.integrations.schemas import IntegrationPublic

router = APIRouter(tags=["heroku"])
requests_router = APIRouter(prefix="/api/v1/addon-requests", tags=["add-on requests"])
Reader = Annotated[User, Requires(Permission.heroku_read)]
Importer = Annotated[User, Requires(Permission.heroku_import)]
Manager = Annotated[User, Requires(Permission.heroku_manage)]
IMPORT_PATH = "/api/v1/heroku/imports"
SLUG = r"^[a-z0-9][a-z0-9-]*$"  # Heroku app names and service slugs


def _report(report: ImportReport) -> ImportReportPublic:
    return ImportReportPublic(
        import_id=report.import_id, source=report.source, created=report.created, updated=report.updated,
        unchanged_addons=report.unchanged_addons, gone=report.gone, returned=report.returned, linked=report.linked,
        vendors_created=report.vendors_created,
        skipped=[SkippedPublic(what=s.what, reason=s.reason) for s in report.skipped],
    )


@router.post(IMPORT_PATH, status_code=status.HTTP_201_CREATED, responses=errors(413, 422))
def import_file(
    upload: Annotated[ImportUpload, Form(media_type="multipart/form-data")], session: SessionDep, user: Importer
) -> ImportReportPublic:
    """Import a Heroku CLI export, recognised by its content. All or nothing: a file that cannot be read
    changes nothing and says what is wrong; entries that cannot be mapped are skipped and listed.
    Importing the same file again changes nothing. `complete` is taken only with `heroku addons --all
    --json` output, and not when it lists no add-on while the register has some (422). At most 32 MiB (413)."""
    data = upload.file.file.read(jobs.MAX_IMPORT_BYTES + 1)  # one byte more than allowed: enough to refuse it
    upload.file.file.close()
    return _report(jobs.import_file(session, data, actor=actor_of(user), complete=upload.complete))


@router.get(IMPORT_PATH, responses=errors())
def list_imports(session: SessionDep, _user: Reader) -> ImportList:
    """The latest 50 imports and syncs, newest first, with what each changed and skipped."""
    rows = heroku_service.list_imports(session)
    return ImportList(items=[ImportPublic.model_validate(r) for r in rows], total=len(rows))


@router.post("/api/v1/heroku/sync", responses=errors(409, 503))
def sync(session: SessionDep, user: Importer) -> ImportReportPublic:
    """Read the estate from the Platform API (HEROKU_API_TOKEN) and apply it; what it no longer lists is gone.
    A sync that sees no add-on at all while the register has some is refused (409): nothing is marked gone."""
    # Reading Heroku takes seconds to minutes: end the transaction that signed the user in (a POST's
    # session holds the write lock) so other writers are not queued behind the network, then apply the
    # estate in a new transaction, which takes the lock again.
    session.commit()
    estate = jobs.fetch_api_estate()
    return _report(jobs.apply(session, estate, actor=actor_of(user)))


def _app_public(app, space, count: int) -> AppPublic:  # type: ignore[no-untyped-def]
    return AppPublic(
        id=app.id, heroku_id=app.heroku_id, name=app.name, team=app.team, region=app.region,
        space=space.name if space else None, space_known=app.space_known, shield=app.shield,
        generation=app.generation, data_categories=app.data_categories, addons=count,
        first_seen_at=app.first_seen_at, last_seen_at=app.last_seen_at, version=app.version,
    )


@router.get("/api/v1/heroku/apps", responses=errors())
def list_apps(session: SessionDep, _user: Reader) -> AppList:
    items = [_app_public(*row) for row in heroku_service.list_apps(session)]
    return AppList(items=items, total=len(items))


@router.get("/api/v1/heroku/apps/{app_id}", responses=errors(404))
def get_app(app_id: RowId, session: SessionDep, response: Response, _user: Reader) -> AppPublic:
    """One app, with its `ETag` (send it back as `If-Match` to PATCH the app)."""
    row = heroku_service.app_row(session, app_id)
    response.headers["ETag"] = etag(row[0].version)
    return _app_public(*row)


@router.patch("/api/v1/heroku/apps/{app_id}", responses=errors(404, 412, 428))
def update_app(
    app_id: RowId, changes: AppUpdate, session: SessionDep, response: Response, user: Manager,
    if_match: Annotated[str | None, Header()] = None,
) -> AppPublic:
    """Say what data the app itself holds (PHI, cardholder data...): every add-on on it is judged with it.
    Needs `If-Match` with the app's ETag (from its GET, a previous PATCH, or `"v<version>"` from the list)."""
    app = heroku_service.set_app_data(
        session, app_id, actor=actor_of(user), data_categories=[c.value for c in changes.data_categories],
        expected_version=expected_version(if_match, what="Heroku app"),
    )
    response.headers["ETag"] = etag(app.version)
    return _app_public(*heroku_service.app_row(session, app.id))  # type: ignore[arg-type]


@router.get("/api/v1/heroku/services", responses=errors())
def list_services(session: SessionDep, _user: Reader) -> ServiceList:
    items = [ServicePublic(id=s.id, heroku_id=s.heroku_id, name=s.name, human_name=s.human_name,  # type: ignore[arg-type]
                           vendor_id=s.vendor_id, plans=n) for s, n in heroku_service.list_services(session)]
    return ServiceList(items=items, total=len(items))


@router.patch("/api/v1/heroku/services/{service_id}", responses=errors(404))
def map_service(service_id: RowId, changes: ServiceUpdate, session: SessionDep, user: Manager) -> ServicePublic:
    """Map the service to another vendor."""
    service = heroku_service.map_service(session, service_id, actor=actor_of(user), vendor_id=changes.vendor_id)
    plans = dict((s.id, n) for s, n in heroku_service.list_services(session))
    return ServicePublic(id=service.id, heroku_id=service.heroku_id, name=service.name,  # type: ignore[arg-type]
                         human_name=service.human_name, vendor_id=service.vendor_id, plans=plans.get(service.id, 0))


@router.get("/api/v1/heroku/plans", responses=errors())
def list_plans(
    session: SessionDep, _user: Reader,
    service: Annotated[str | None, Query(max_length=100, pattern=SLUG, description="Service slug")] = None,
) -> PlanList:
    items = [PlanPublic(service=s.name, **{k: getattr(p, k) for k in PlanPublic.model_fields if k != "service"})
             for p, s in heroku_service.list_plans(session, service=service)]
    return PlanList(items=items, total=len(items))


@router.get("/api/v1/heroku/addons", responses=errors())
def list_addons(
    session: SessionDep, _user: Reader,
    status: Annotated[
        str | None, Query(pattern="^(shadow|approved|gone)$",
                          description="shadow: installed with no approved request behind it; approved; gone")
    ] = None,
    app: Annotated[str | None, Query(max_length=100, pattern=SLUG, description="App name")] = None,
    service: Annotated[str | None, Query(max_length=100, pattern=SLUG, description="Service slug")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[int, Query(ge=0, le=2**31 - 1, description="The `next` value of the previous page")] = 0,
) -> AddonPage:
    """Every add-on seen on an app, with its plan's compliance, its vendor and whether it is approved."""
    rows, total = heroku_service.list_addons(session, status=status, app=app, service=service, limit=limit,
                                             after_id=after)
    items = [
        AddonPublic(
            id=r.installation.id, heroku_id=r.installation.heroku_id, name=r.installation.name,  # type: ignore[arg-type]
            app=r.app.name, app_id=r.app.id, service=r.service.name if r.service else None,  # type: ignore[arg-type]
            plan=r.plan.name if r.plan else None, plan_compliance=r.plan.compliance if r.plan else None,
            installable_inside_private_network=r.plan.installable_inside_private_network if r.plan else None,
            vendor_id=r.service.vendor_id if r.service else None, state=r.installation.state,
            config_vars=r.installation.config_vars, attachments=r.installation.attachments, approval=r.approval,  # type: ignore[arg-type]
            integration_id=r.installation.integration_id,
            integration_status=r.integration.status if r.integration else None,
            first_seen_at=r.installation.first_seen_at, last_seen_at=r.installation.last_seen_at,
            gone_at=r.installation.gone_at,
        )
        for r in rows
    ]
    more = len(rows) == limit and rows and rows[-1].installation.id
    return AddonPage(items=items, total=total, next=str(more) if more else None)


def _installation_ref(installation) -> InstallationRef | None:  # type: ignore[no-untyped-def]
    return None if installation is None else InstallationRef.model_validate(installation)


@router.get("/api/v1/heroku/drift", responses=errors())
def drift(session: SessionDep, _user: Reader) -> DriftList:
    """Approvals the estate has moved away from: plan or app changed, add-on gone, never installed, or a
    gate that fails today (an exception lapsed, a document expired, the app's data changed)."""
    items = [
        DriftPublic(kind=d.kind, integration_id=d.integration.id, integration_name=d.integration.name,  # type: ignore[arg-type]
                    approved_plan=d.integration.addon_plan, approved_app=d.integration.heroku_app,
                    installation=_installation_ref(d.installation), detail=d.detail)
        for d in heroku_service.drift(session, today=date.today())
    ]
    return DriftList(items=items, total=len(items))


# --- add-on requests -------------------------------------------------------------------------------

def _request_public(view: heroku_service.RequestView) -> AddonRequestPublic:
    return AddonRequestPublic(
        integration=IntegrationPublic.model_validate(view.integration),
        verdict="blocked" if view.blocked else "clear",
        gates=[GatePublic(id=g.check.id, status=g.status, severity=g.check.severity, message=g.check.message,  # type: ignore[arg-type]
                          exception=ExceptionPublic.model_validate(g.exception) if g.exception else None)
               for g in view.gates],
        questionnaires=[QuestionnaireSummary(key=q.key, version=q.version, title=q.title) for q in view.questionnaires],
        decisions=[DecisionPublic.model_validate(d) for d in view.decisions],
        installation=_installation_ref(view.installation),
    )


@requests_router.post("", status_code=status.HTTP_201_CREATED, responses=errors(422))
def create_request(
    data: AddonRequestCreate, session: SessionDep, response: Response,
    user: Annotated[User, Requires(Permission.addon_request)],
) -> AddonRequestPublic:
    """Ask to attach a plan to an app: records an integration of kind heroku_addon and answers at once
    with the policy gates (private space, Shield, HIPAA/PCI plan compliance, DPA/BAA/AoC on file) and
    the questionnaires that apply. A blocked request says why."""
    view = heroku_service.create_request(session, actor=actor_of(user), data=data, today=date.today())
    response.headers["Location"] = f"{requests_router.prefix}/{view.integration.id}"
    return _request_public(view)


@requests_router.get("", responses=errors())
def list_requests(
    session: SessionDep, _user: Reader,
    status: Annotated[IntegrationStatus | None, Query()] = None,
) -> AddonRequestList:
    """The latest 200 add-on requests, newest first, each with its gates evaluated today."""
    views = heroku_service.list_requests(session, status=status.value if status else None, today=date.today())
    return AddonRequestList(items=[_request_public(v) for v in views], total=len(views))


@requests_router.get("/{request_id}", responses=errors(404))
def get_request(request_id: RowId, session: SessionDep, _user: Reader) -> AddonRequestPublic:
    return _request_public(heroku_service.view_request(session, request_id, today=date.today()))


@requests_router.post("/{request_id}/decision", responses=errors(404, 409))
def decide(
    request_id: RowId, data: DecisionCreate, session: SessionDep,
    user: Annotated[User, Requires(Permission.addon_decide)],
) -> AddonRequestPublic:
    """Approve, approve with conditions, or reject, with a reason. A blocked request is approved only with
    an exception for each failed gate (reason, expiry within a year); the requester cannot decide it."""
    return _request_public(heroku_service.decide(session, request_id, actor=actor_of(user), data=data,
                                                 today=date.today()))
