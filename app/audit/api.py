"""JSON API for the audit trail: read it, filter it, verify it."""

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.audit import service as audit_service
from app.audit.schemas import AuditEventPublic, AuditPage, ChainVerdict
from app.auth.deps import Requires
from app.auth.models import User
from app.auth.permissions import Permission
from app.core.deps import DEFAULT_LIMIT, Cursor, Limit, RowIdFilter, SessionDep, Timestamp, errors, sort_param
from app.core.pagination import page_response
from app.core.schemas import text

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
Reader = Annotated[User, Requires(Permission.audit_read)]


@router.get("", response_model=AuditPage, responses=errors())
def list_audit_events(
    session: SessionDep,
    _reader: Reader,
    subject_type: Annotated[text(40) | None, Query(description="e.g. vendor, integration, user")] = None,
    subject_id: Annotated[text(254) | None, Query()] = None,
    actor_id: RowIdFilter = None,
    action: Annotated[text(60) | None, Query(description="e.g. vendor.updated")] = None,
    since: Annotated[Timestamp | None, Query(description="At or after (ISO 8601 with offset)")] = None,
    until: Annotated[Timestamp | None, Query(description="Before (ISO 8601 with offset)")] = None,
    sort: sort_param(audit_service.SORTS) = "-seq",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """Audit events, newest first by default."""
    page = audit_service.list_events(
        session, subject_type=subject_type, subject_id=subject_id, actor_id=actor_id, action=action,
        since=since, until=until, sort=sort, limit=limit, cursor=cursor,
    )
    return page_response(AuditEventPublic, page)


@router.get("/verify", responses=errors())
def verify_audit_chain(session: SessionDep, _reader: Reader) -> ChainVerdict:
    """Recompute the whole chain; names the first event that was edited, deleted or reordered."""
    return ChainVerdict(**asdict(audit_service.verify_chain(session)))
