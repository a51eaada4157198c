"""`Annotated` dependencies every router uses."""

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Path, Query
from pydantic import AfterValidator
from sqlmodel import Session

from app.core.config import Settings, get_settings
from app.core.db import get_session
from app.core.errors import ErrorBody
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from app.core.schemas import clean_text

SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
IfMatch = Annotated[
    str | None,
    Header(description='The ETag from your last GET, e.g. "v3"; required to change a record'),
]
# Ids are 32-bit on every engine; a larger number can name no row and would overflow the driver.
MAX_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="The record's id")]
RowIdFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}")]
Cursor = Annotated[
    str | None,
    Query(max_length=500, pattern=r"^[A-Za-z0-9_-]+$", description="The `next` value of the previous page"),
]
Search = Annotated[
    str | None, Query(min_length=1, max_length=200, description="Search in names"), AfterValidator(clean_text)
]


def sort_param(fields: Iterable[str]) -> Any:
    """A `sort` query parameter whose schema lists every accepted value (`name`, `-name`, ...)."""
    options = [v for f in fields for v in (f, f"-{f}")]
    return Annotated[
        Literal[tuple(options)],  # type: ignore[valid-type]
        Query(description="Field to sort by; prefix '-' for descending"),
    ]

_DESCRIPTIONS = {
    401: "No valid API token: send `Authorization: Bearer <token>`",
    403: "Your role does not allow this",
    400: "The body could not be parsed (not UTF-8, not JSON)",
    404: "No such record",
    409: "Conflicts with the register's current state (duplicate, offboarded, retired)",
    412: "If-Match does not match the current ETag: someone changed it since you read it",
    413: "Request body too large",
    422: "Invalid input; `detail` says what to fix",
    428: "If-Match header missing",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error responses a route can give (every /api route: 400, 401, 403, 413, 422)."""
    every = {400, 401, 403, 413, 422}
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in sorted({*codes, *every})}


__all__ = [
    "DEFAULT_LIMIT", "MAX_ID", "Cursor", "IfMatch", "Limit", "RowId", "RowIdFilter", "Search", "SessionDep", "sort_param",
    "SettingsDep", "errors",
]
