"""JSON and SVG of the data-flow map: GET /api/v1/data-flows and /api/v1/data-flows.svg."""

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlmodel import Session

from app.auth.deps import Requires
from app.auth.models import User
from app.auth.permissions import Permission
from app.core.config import get_settings
from app.core.deps import Day, RowIdFilter, SessionDep, errors
from app.dataflows import service as dataflow_service
from app.dataflows.graph import DataFlowMap, Filters
from app.dataflows.schemas import DataFlowMapPublic, public
from app.dataflows.service import Scope
from app.dataflows.svg import render_svg
from app.heroku.api import SLUG
from app.integrations.exposure import DataCategory

router = APIRouter(tags=["data flows"])
Reader = Annotated[User, Requires(Permission.dataflow_read)]
SVG_MEDIA_TYPE = "image/svg+xml"


@dataclass(frozen=True)
class MapQuery:
    filters: Filters
    scope: Scope
    shadow: bool
    on: date


def map_query(
    app: Annotated[str | None, Query(min_length=1, max_length=100, pattern=SLUG,
                                     description="Only flows from this Heroku app")] = None,
    data_category: Annotated[DataCategory | None, Query(description="Only flows carrying this category "
                                                                    "(an add-on carries what its app holds)")] = None,
    vendor_id: RowIdFilter = None,
    scope: Annotated[Scope, Query(description="current: requested, in review and approved integrations; "
                                              "approved: approved only")] = Scope.current,
    shadow: Annotated[bool, Query(description="Show add-ons installed with no integration in scope behind them")] = True,
    on: Annotated[Day | None, Query(description="Judge agreements as in force on this day (YYYY-MM-DD; default "
                                                "today); integrations are as they are now")] = None,
) -> MapQuery:
    return MapQuery(filters=Filters(app=app, data_category=data_category.value if data_category else None,
                                    vendor_id=vendor_id),
                    scope=scope, shadow=shadow, on=on or date.today())


MapQueryDep = Annotated[MapQuery, Depends(map_query)]


def build(session: Session, query: MapQuery) -> DataFlowMap:
    return dataflow_service.data_flow_map(
        session, today=query.on, expiring_days=get_settings().document_expiring_days, filters=query.filters,
        scope=query.scope, include_shadow=query.shadow,
    )


def svg_response(flow_map: DataFlowMap) -> Response:
    """The map as an SVG file download."""
    return Response(
        render_svg(flow_map), media_type=SVG_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="riskreg-data-flows-{flow_map.on.isoformat()}.svg"',
                 "Cache-Control": "private, no-store"},
    )


@router.get("/api/v1/data-flows", responses=errors())
def data_flows(session: SessionDep, _user: Reader, query: MapQueryDep) -> DataFlowMapPublic:
    """Where the data goes: Heroku app → integration (add-on, SaaS, API) → vendor → sub-processor. Each edge
    carries the data categories and the filtering applied, each node its countries and (vendors) the
    agreements in force. Flags: personal data without a DPA, a transfer to a country without adequacy
    and without SCC/BCR/DPF on file, PHI without a BAA, cardholder data without a PCI AoC, shadow add-ons."""
    flow_map = build(session, query)
    return public(flow_map, scope=query.scope.value, shadow=query.shadow)


@router.get(
    "/api/v1/data-flows.svg", response_class=Response,
    responses={200: {"content": {SVG_MEDIA_TYPE: {"schema": {"type": "string"}}},
                     "description": "The map drawn as SVG (an attachment)"}, **errors()},
)
def data_flows_svg(session: SessionDep, _user: Reader, query: MapQueryDep) -> Response:
    """The same map drawn on the server as SVG: one column per layer, flagged flows in red, the full
    names, categories, filtering and agreements in each element's tooltip."""
    return svg_response(build(session, query))
