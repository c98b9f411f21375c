"""Keyset pagination, one way for every list.

A repository narrows its query with :func:`keyset` (rows after the cursor, in key order,
one more than the page), and the service turns the rows into a page with
:meth:`Page.from_rows`, which trims that extra row and makes the next cursor of the last
row's key. The cursor is opaque to clients: base64 of the JSON key.
"""

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from hdh_common.errors import BadRequest

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
CURSOR_EXAMPLE = (
    "WyIyMDI2LTEyLTAxVDA5OjMwOjAwKzAwOjAwIiwiNmYxYzFhMGUtOGE0Yi00YzU3LTlkMGUtMmY3YTRmNmMxYjExIl0"
)

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S", bound=Select[*tuple[Any, ...]])


class InvalidCursor(BadRequest):
    slug, title = "invalid-cursor", "Invalid cursor"


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        None,
        description="Pass as `cursor` to get the next page; absent on the last page.",
        examples=[CURSOR_EXAMPLE],
    )

    @classmethod
    def from_rows(
        cls,
        rows: Sequence[R],
        limit: int,
        *,
        key: Callable[[R], Sequence[Any]],
        convert: Callable[[R], T],
    ) -> "Page[T]":
        """The page of ``rows`` fetched by :func:`keyset` (up to ``limit`` + 1)."""
        items = [convert(row) for row in rows[:limit]]
        if len(rows) <= limit:
            return cls(items=items)
        return cls(items=items, next_cursor=encode_cursor(list(key(rows[limit - 1]))))

    @classmethod
    def of(cls, items: Sequence[T], *, cursor: str | None, limit: int) -> "Page[T]":
        """A fixed sequence held in memory, paged by position."""
        start = decode_cursor(cursor, length=1, parse=[_position])[0] if cursor else 0
        rows = list(enumerate(items, start=1))[start : start + limit + 1]
        return cls.from_rows(rows, limit, key=lambda row: (row[0],), convert=lambda row: row[1])


def keyset(
    query: S,
    *columns: InstrumentedAttribute[Any],
    cursor: str | None,
    limit: int,
    descending: bool = False,
) -> S:
    """``query`` ordered by ``columns`` (the last one unique, such as the id), starting
    after ``cursor`` and fetching ``limit`` + 1 rows so the page knows if another follows."""
    order = [c.desc() for c in columns] if descending else list(columns)
    query = query.order_by(*order).limit(limit + 1)
    if cursor is None:
        return query
    after = decode_cursor(cursor, length=len(columns), parse=[_parser(c) for c in columns])
    key: ColumnElement[Any] = columns[0].expression if len(columns) == 1 else tuple_(*columns)
    bound = after[0] if len(columns) == 1 else tuple(after)
    return query.where(key < bound if descending else key > bound)


def encode_cursor(values: list[Any]) -> str:
    text = json.dumps([_jsonable(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(
    cursor: str, *, length: int, parse: Sequence[Callable[[Any], Any]] = ()
) -> list[Any]:
    """The cursor's values, each passed through its ``parse`` function if given: a cursor
    that does not decode or parse is a 400, never a 500."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != length:
            raise ValueError(cursor)
        return [p(v) for p, v in zip(parse, values, strict=True)] if parse else values
    except (binascii.Error, TypeError, ValueError) as exc:
        raise InvalidCursor("The cursor is not one this API returned.") from exc


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _parser(column: InstrumentedAttribute[Any]) -> Callable[[Any], Any]:
    return _PARSERS[column.type.python_type]


def _instant(value: Any) -> datetime:
    """An ISO instant with its offset, in UTC; one that leaves the calendar is a ValueError."""
    if not isinstance(value, str):
        raise TypeError(value)
    found = datetime.fromisoformat(value)
    if found.tzinfo is None:
        raise ValueError(value)
    try:
        return found.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(value) from exc


def _integer(value: Any) -> int:
    if type(value) is not int:
        raise TypeError(value)
    if not -(2**63) <= value < 2**63:
        raise ValueError(value)
    return value


def _position(value: Any) -> int:
    if _integer(value) < 0:
        raise ValueError(value)
    return int(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    if "\x00" in value:
        raise ValueError(value)
    return value


def _uuid(value: Any) -> uuid.UUID:
    if not isinstance(value, str):
        raise TypeError(value)
    return uuid.UUID(value)


_PARSERS: dict[type, Callable[[Any], Any]] = {
    datetime: _instant,
    int: _integer,
    str: _text,
    uuid.UUID: _uuid,
}

LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")]
CursorQuery = Annotated[
    str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
]
