"""JSON API for vendors under /api/v1/vendors."""

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
    Search,
    SessionDep,
    errors,
    sort_param,
)
from app.core.pagination import page_response
from app.vendors import service as vendor_service
from app.vendors.models import Vendor, VendorStatus
from app.vendors.schemas import OffboardRequest, VendorCreate, VendorPage, VendorPublic, VendorUpdate

router = APIRouter(prefix="/api/v1/vendors", tags=["vendors"])


def _with_etag(response: Response, vendor: Vendor) -> VendorPublic:
    response.headers["ETag"] = etag(vendor.version)
    return VendorPublic.model_validate(vendor)


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(409))
def create_vendor(
    data: VendorCreate, session: SessionDep, response: Response, user: Annotated[User, Requires(Permission.vendor_write)]
) -> VendorPublic:
    """Register a vendor. Its legal name must be unique (case-insensitively)."""
    vendor = vendor_service.create_vendor(session, actor=actor_of(user), data=data)
    response.headers["Location"] = f"{router.prefix}/{vendor.id}"
    return _with_etag(response, vendor)


@router.get("", response_model=VendorPage, responses=errors())
def list_vendors(
    session: SessionDep,
    _user: Annotated[User, Requires(Permission.vendor_read)],
    status: Annotated[VendorStatus | None, Query()] = None,
    country: Annotated[CountryCode | None, Query(description="Headquarters or a data location")] = None,
    q: Search = None,
    sort: sort_param(vendor_service.SORTS) = "name",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    page = vendor_service.list_vendors(
        session, status=status, country=country, q=q, sort=sort, limit=limit, cursor=cursor
    )
    return page_response(VendorPublic, page)


@router.get("/{vendor_id}", responses=errors(404))
def get_vendor(
    vendor_id: RowId, session: SessionDep, response: Response, _user: Annotated[User, Requires(Permission.vendor_read)]
) -> VendorPublic:
    return _with_etag(response, vendor_service.get_vendor(session, vendor_id))


@router.patch("/{vendor_id}", responses=errors(404, 409, 412, 428))
def update_vendor(
    vendor_id: RowId,
    changes: VendorUpdate,
    session: SessionDep,
    response: Response,
    user: Annotated[User, Requires(Permission.vendor_write)],
    if_match: IfMatch = None,
) -> VendorPublic:
    """Change the fields sent. Needs `If-Match` with the ETag of the version you edited."""
    expected = expected_version(if_match, what="vendor")
    vendor = vendor_service.update_vendor(
        session, vendor_id, actor=actor_of(user), changes=changes, expected_version=expected
    )
    return _with_etag(response, vendor)


@router.post("/{vendor_id}/offboard", responses=errors(404, 409))
def offboard_vendor(
    vendor_id: RowId,
    data: OffboardRequest,
    session: SessionDep,
    response: Response,
    user: Annotated[User, Requires(Permission.vendor_offboard)],
) -> VendorPublic:
    """Offboard the vendor and retire its integrations. Nothing is deleted; the history stays."""
    vendor = vendor_service.offboard_vendor(session, vendor_id, actor=actor_of(user), reason=data.reason)
    return _with_etag(response, vendor)

