"""JSON API for integrations under /api/v1/integrations."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.deps import Requires, actor_of
from app.auth.models import User
from app.auth.permissions import Permission
from app.core.concurrency import etag, expected_version
from app.core.countries import CountryCode
from app.core.deps import (
    DEFAULT_LIMIT,
    Cursor,
    IfMatch,
    Limit,
    RowId,
    RowIdFilter,
    Search,
    SessionDep,
    errors,
    sort_param,
)
from app.core.pagination import page_response
from app.integrations import service as integration_service
from app.integrations.exposure import DataCategory, Tier
from app.integrations.models import Integration, IntegrationKind, IntegrationStatus
from app.integrations.schemas import IntegrationCreate, IntegrationPage, IntegrationPublic, IntegrationUpdate

router = APIRouter(prefix="/api/v1/integrations", tags=["integrations"])


def _with_etag(response: Response, integration: Integration) -> IntegrationPublic:
    response.headers["ETag"] = etag(integration.version)
    return IntegrationPublic.model_validate(integration)


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(409))
def create_integration(
    data: IntegrationCreate,
    session: SessionDep,
    response: Response,
    user: Annotated[User, Requires(Permission.integration_create)],
) -> IntegrationPublic:
    """Record an integration with a vendor. Its inherent tier is computed, never sent."""
    integration = integration_service.create_integration(session, actor=actor_of(user), data=data)
    response.headers["Location"] = f"{router.prefix}/{integration.id}"
    return _with_etag(response, integration)


@router.get("", response_model=IntegrationPage, responses=errors())
def list_integrations(
    session: SessionDep,
    _user: Annotated[User, Requires(Permission.integration_read)],
    vendor_id: RowIdFilter = None,
    kind: Annotated[IntegrationKind | None, Query()] = None,
    status: Annotated[IntegrationStatus | None, Query()] = None,
    data_category: Annotated[DataCategory | None, Query()] = None,
    country: Annotated[CountryCode | None, Query(description="A transfer country")] = None,
    tier: Annotated[Tier | None, Query(description="Inherent tier")] = None,
    q: Search = None,
    sort: sort_param(integration_service.SORTS) = "name",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    page = integration_service.list_integrations(
        session, vendor_id=vendor_id, kind=kind, status=status, data_category=data_category,
        country=country, tier=tier, q=q, sort=sort, limit=limit, cursor=cursor,
    )
    return page_response(IntegrationPublic, page)


@router.get("/{integration_id}", responses=errors(404))
def get_integration(
    integration_id: RowId,
    session: SessionDep,
    response: Response,
    _user: Annotated[User, Requires(Permission.integration_read)],
) -> IntegrationPublic:
    return _with_etag(response, integration_service.get_integration(session, integration_id))


@router.patch("/{integration_id}", responses=errors(404, 409, 412, 428))
def update_integration(
    integration_id: RowId,
    changes: IntegrationUpdate,
    session: SessionDep,
    response: Response,
    user: Annotated[User, Requires(Permission.integration_update)],
    if_match: IfMatch = None,
) -> IntegrationPublic:
    """Change the fields sent and recompute the inherent tier. Needs `If-Match`.

    Engineers may change only the integrations they requested."""
    expected = expected_version(if_match, what="integration")
    integration = integration_service.update_integration(
        session, integration_id, actor=actor_of(user), changes=changes, expected_version=expected
    )
    return _with_etag(response, integration)
