"""The data-flow page (/data-flows) and the downloads it links to, for signed-in users (session cookie).

Filters are a plain GET form; the map is drawn on the server and shown inline, with the flagged flows
and the agreements per vendor as tables beside it, so legal can answer "where does our customer data
go, and under which agreement?" on one page, and hand an auditor the record of processing as a file.
"""

import re
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from markupsafe import Markup
from starlette.responses import Response

from app.auth.models import User
from app.auth.permissions import Permission, allowed
from app.core.deps import SessionDep, SettingsDep
from app.dataflows import service as dataflow_service
from app.dataflows.api import svg_response
from app.dataflows.graph import Filters, Layer
from app.dataflows.service import Scope
from app.dataflows.svg import FLAG_LABELS, render_svg
from app.exports.api import record_download, register_download
from app.heroku.api import SLUG
from app.integrations.exposure import DataCategory
from app.web.csrf import FormCsrf
from app.web.deps import web_requires
from app.web.templating import render

router = APIRouter(include_in_schema=False)
MapReader = Annotated[User, web_requires(Permission.dataflow_read)]
Exporter = Annotated[User, web_requires(Permission.export_read)]
Text = Annotated[str | None, Query(max_length=200)]


def _filters(app: str | None, data_category: str | None, vendor_id: str | None,
             scope: str | None) -> tuple[Filters, Scope, list[str]]:
    """The form's values; what does not parse is left out and named, never an error page."""
    problems = []
    app_name = (app or "").strip() or None
    if app_name is not None and not re.fullmatch(SLUG, app_name):  # it reaches SQL: never a NUL or other junk
        problems.append(f"'{app_name}' is not a Heroku app name; showing every app.")
        app_name = None
    category = (data_category or "").strip() or None
    if category is not None and category not in {c.value for c in DataCategory}:
        problems.append(f"'{category}' is not a data category; showing every category.")
        category = None
    vendor: int | None = None
    if (vendor_id or "").strip():
        try:
            vendor = int(str(vendor_id))
            if not 1 <= vendor <= 2**31 - 1:
                raise ValueError
        except ValueError:
            problems.append(f"'{vendor_id}' is not a vendor id; showing every vendor.")
            vendor = None
    chosen = Scope.approved if scope == Scope.approved.value else Scope.current
    return Filters(app=app_name, data_category=category, vendor_id=vendor), chosen, problems


@router.get("/data-flows")
def data_flows_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: MapReader, csrf: FormCsrf,
    app: Text = None, data_category: Text = None, vendor_id: Text = None, scope: Text = None,
) -> Response:
    filters, chosen, problems = _filters(app, data_category, vendor_id, scope)
    today = date.today()
    flow_map, options = dataflow_service.map_with_options(
        session, today=today, expiring_days=settings.document_expiring_days, filters=filters, scope=chosen)
    labels = {n.id: n.label for n in flow_map.nodes}
    query = urlencode({k: v for k, v in (("app", filters.app), ("data_category", filters.data_category),
                                         ("vendor_id", filters.vendor_id), ("scope", chosen.value)) if v})
    return render(request, "dataflows/map.html", {
        "user": user, "map": flow_map, "options": options, "filters": filters, "scope": chosen.value,
        "problems": problems, "svg": Markup(render_svg(flow_map)),  # noqa: S704  (render_svg escapes every text)
        "flagged": [(labels.get(e.source, e.source), labels.get(e.target, e.target), e) for e in flow_map.flagged_edges],
        "vendors": flow_map.nodes_in(Layer.vendor), "counts": {layer.value: len(flow_map.nodes_in(layer)) for layer in Layer},
        "flag_labels": FLAG_LABELS, "query": query, "can_export": allowed(user.role, Permission.export_read),
        "today": today,
    }, csrf=csrf)


@router.get("/data-flows.svg")
def data_flows_svg(
    session: SessionDep, settings: SettingsDep, _user: MapReader,
    app: Text = None, data_category: Text = None, vendor_id: Text = None, scope: Text = None,
) -> Response:
    filters, chosen, _problems = _filters(app, data_category, vendor_id, scope)
    flow_map = dataflow_service.data_flow_map(
        session, today=date.today(), expiring_days=settings.document_expiring_days, filters=filters, scope=chosen)
    return svg_response(flow_map)


def _record(fmt: str):  # type: ignore[no-untyped-def]
    def download(request: Request, session: SessionDep, user: Exporter, scope: Text = None) -> Response:
        chosen = Scope.approved if scope == Scope.approved.value else Scope.current
        return record_download(session, fmt, today=date.today(), scope=chosen, user_id=user.id)

    return download


for _fmt in ("csv", "xlsx", "pdf"):
    router.add_api_route(f"/exports/record-of-processing.{_fmt}", _record(_fmt), methods=["GET"],
                         name=f"page_record_of_processing_{_fmt}")


@router.get("/exports/register.xlsx")
def register_page_download(session: SessionDep, user: Exporter) -> Response:
    return register_download(session, today=date.today(), user_id=user.id)
