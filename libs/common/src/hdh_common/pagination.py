"""Cursor pagination: ``Page[X]`` with an opaque ``next_cursor`` and a bounded ``limit``."""

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from hdh_common.errors import BadRequest

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; absent on the last page."
    )


class InvalidCursor(BadRequest):
    slug, title = "invalid-cursor", "Invalid cursor"


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


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


TimeKey = tuple[datetime, uuid.UUID]


def _instant(value: str) -> datetime:
    """An ISO instant in UTC (naive read as UTC); one that leaves the calendar is a ValueError."""
    found = datetime.fromisoformat(value)
    try:
        return (found if found.tzinfo else found.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(value) from exc


def time_key_after(cursor: str | None) -> TimeKey | None:
    """The ``(created_at, id)`` key a keyset page starts after."""
    if cursor is None:
        return None
    created_at, item_id = decode_cursor(cursor, length=2, parse=(_instant, uuid.UUID))
    return created_at, item_id


def time_key_cursor(created_at: datetime, item_id: uuid.UUID) -> str:
    return encode_cursor([created_at.isoformat(), str(item_id)])


LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")]
CursorQuery = Annotated[
    str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
]
