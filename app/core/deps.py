"""`Annotated` dependencies every router uses."""

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Path, Query, Request
from pydantic import AfterValidator, BeforeValidator
from sqlmodel import Session

from app.core.config import Settings, get_settings
from app.core.db import get_session
from app.core.errors import ErrorBody, InvalidInput
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
    Query(max_length=2000, pattern=r"^[A-Za-z0-9_-]+\.[0-9a-f]{32}$", description="The `next` value of the previous page"),
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

def _query_names(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


_ALLOWED_QUERY: dict[int, frozenset[str]] = {}


def reject_unknown_query(request: Request) -> None:
    """A misspelt filter (`?stauts=active`) is an error, not silently ignored into a wider result."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    allowed = _ALLOWED_QUERY.get(id(route))
    if allowed is None:
        allowed = _ALLOWED_QUERY[id(route)] = frozenset(_query_names(dependant))
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        names = ", ".join(f"'{name}'" for name in unknown)
        accepted = ", ".join(sorted(allowed)) or "none"
        raise InvalidInput(f"unknown query parameter {names}; this route accepts: {accepted}")


def _parse_timestamp(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("use an ISO 8601 time with an offset, e.g. 2026-11-01T00:00:00Z")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{value}' is not an ISO 8601 time; use e.g. 2026-11-01T00:00:00Z") from None
    if parsed.tzinfo is None:
        raise ValueError(f"'{value}' has no offset; add Z or +hh:mm")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 has no UTC equivalent
        raise ValueError(f"'{value}' is out of range; use a year between 2 and 9998") from None


Timestamp = Annotated[datetime, BeforeValidator(_parse_timestamp)]


def _parse_day(value: Any) -> Any:
    """A day as YYYY-MM-DD only (pydantic alone would also take `0`, a Unix time, as 1970-01-01), between
    1970 and 2200: outside that it is a typing mistake, and date arithmetic near year 9999 overflows."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            if not date(1970, 1, 1) <= day <= date(2200, 12, 31):
                raise ValueError(f"'{value}' is out of range; use a day between 1970-01-01 and 2200-12-31")
            return day
    raise ValueError(f"'{value}' is not a date; use YYYY-MM-DD, e.g. 2026-11-29")


Day = Annotated[date, BeforeValidator(_parse_day)]


_DESCRIPTIONS = {
    401: "No valid API token: send `Authorization: Bearer <token>`",
    403: "Your role does not allow this",
    400: "The body could not be parsed (not UTF-8, not JSON)",
    404: "No such record",
    409: "Conflicts with the register's current state (duplicate, offboarded, retired)",
    412: "If-Match does not match the current ETag: someone changed it since you read it",
    413: "Request body too large",
    415: "The uploaded file is not a type accepted here (judged by its bytes)",
    500: "A stored file failed its integrity check and was not served",
    503: "A service this needs (database, file store, Heroku API) did not answer; retry after `Retry-After`",
    422: "Invalid input; `detail` says what to fix",
    428: "If-Match header missing",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error responses a route can give (every /api route: 400, 401, 403, 413, 422)."""
    every = {400, 401, 403, 413, 422}
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in sorted({*codes, *every})}


__all__ = [
    "DEFAULT_LIMIT", "MAX_ID", "Cursor", "IfMatch", "Limit", "RowId", "RowIdFilter", "Search", "SessionDep", "sort_param",
    "SettingsDep", "Timestamp", "Day", "errors", "reject_unknown_query",
]
