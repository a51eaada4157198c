"""Keyset pagination shared by every list: sort by one field plus id, resume from an opaque cursor."""

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any, Generic, TypeVar

from fastapi import Response
from pydantic import BaseModel, Field
from pydantic_core import to_json
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from app.core.config import get_settings
from app.core.errors import InvalidInput
from app.core.security import same, sign

T = TypeVar("T")
MAX_LIMIT = 100
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class SortField:
    """A sortable field: the SQL expression to order by and how to read its value off a row."""

    expr: ColumnElement[Any]
    value: Callable[[Any], Any]
    is_datetime: bool = False


@dataclass(frozen=True)
class Sort:
    name: str
    field: SortField
    descending: bool

    @property
    def token(self) -> str:
        return f"-{self.name}" if self.descending else self.name


def parse_sort(sort: str, allowed: Mapping[str, SortField]) -> Sort:
    name = sort.removeprefix("-")
    if name not in allowed:
        choices = ", ".join(sorted(allowed))
        raise InvalidInput(f"sort: '{sort}' is not sortable; use one of {choices} (prefix '-' for descending)")
    return Sort(name=name, field=allowed[name], descending=sort.startswith("-"))


@dataclass(frozen=True)
class PageResult(Generic[T]):
    items: Sequence[T]
    total: int
    next: str | None


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="How many items match the filters, over all pages")
    next: str | None = Field(description="Cursor for the next page; null on the last page")


def _signature(payload: str) -> str:
    return sign(get_settings().secret_key.get_secret_value(), "cursor:" + payload)[:32]


def _encode(sort: Sort, value: Any, row_id: int) -> str:
    """An opaque cursor: the sort and the last row's key, signed so a client cannot forge one."""
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps({"s": sort.token, "k": [value, row_id]}, separators=(",", ":"))
    payload = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    return f"{payload}.{_signature(payload)}"


def _decode(cursor: str, sort: Sort) -> tuple[Any, int]:
    problem = "cursor: not a cursor this list issued; start again without it"
    payload, _, signature = cursor.partition(".")
    if not same(signature, _signature(payload)):
        raise InvalidInput(problem)
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        token, (value, row_id) = data["s"], data["k"]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput(problem) from exc
    if token != sort.token:
        raise InvalidInput(f"cursor: it was issued for sort '{token}', not '{sort.token}'; start again without it")
    if sort.field.is_datetime:
        value = datetime.fromisoformat(value)
    return value, row_id


def paginate(
    session: Session,
    stmt: Select[Any],
    *,
    id_column: ColumnElement[int],
    sort: Sort,
    limit: int,
    cursor: str | None,
) -> PageResult[Any]:
    """One page of `stmt` (already filtered), ordered by the sort field then id, after `cursor`.

    `stmt` selects plain columns (`select(*Table.__table__.c)`): lists are read-only, and rows are
    several times cheaper to load than ORM objects. Items are the rows, with attribute access.
    """
    total = session.execute(select_count(stmt)).scalar_one()
    expr = sort.field.expr
    if cursor:
        value, last_id = _decode(cursor, sort)
        if sort.descending:
            stmt = stmt.where(or_(expr < value, and_(expr == value, id_column < last_id)))
        else:
            stmt = stmt.where(or_(expr > value, and_(expr == value, id_column > last_id)))
    order = (expr.desc(), id_column.desc()) if sort.descending else (expr.asc(), id_column.asc())
    rows = session.execute(stmt.order_by(*order).limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode(sort, sort.field.value(last), last.id)
    return PageResult(items=rows, total=total, next=next_cursor)


def select_count(stmt: Select[Any]) -> Select[Any]:
    return stmt.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)


def table_columns(model: Any) -> Select[Any]:
    """`SELECT` of every column of a table model, returning rows instead of ORM objects."""
    return select(*model.__table__.c)


def page_response(item_model: type[BaseModel], page: PageResult[Any]) -> Response:
    """Serialise a page of rows straight to JSON, in the shape of `item_model`.

    Rows were validated when they were written (and the database checks their enums), so the fields
    are copied rather than validated again: validation would be most of a list request's cost.
    `tests/core/test_pagination.py` holds this output equal to `item_model`'s own for every list.
    """
    pick = itemgetter(*item_model.model_fields)
    names = tuple(item_model.model_fields)
    items = [dict(zip(names, pick(row._mapping), strict=True)) for row in page.items]
    return Response(to_json({"items": items, "total": page.total, "next": page.next}), media_type="application/json")
