"""`Annotated` dependencies every router uses."""

from typing import Annotated, Any

from fastapi import Depends, Header, Query
from sqlmodel import Session

from app.core.config import Settings, get_settings
from app.core.db import get_session
from app.core.errors import ErrorBody
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT

SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
IfMatch = Annotated[
    str | None,
    Header(description='The ETag from your last GET, e.g. "v3"; required to change a record'),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}")]
Cursor = Annotated[str | None, Query(max_length=500, description="The `next` value of the previous page")]
Search = Annotated[str | None, Query(min_length=1, max_length=200, description="Search in names")]

_DESCRIPTIONS = {
    404: "No such record",
    409: "Conflicts with the register's current state (duplicate, offboarded, retired)",
    412: "If-Match does not match the current ETag: someone changed it since you read it",
    413: "Request body too large",
    422: "Invalid input; `detail` says what to fix",
    428: "If-Match header missing",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error responses a route can give (413 and 422 apply to every route)."""
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in sorted({*codes, 413, 422})}


__all__ = ["DEFAULT_LIMIT", "Cursor", "IfMatch", "Limit", "Search", "SessionDep", "SettingsDep", "errors"]
