"""Cursor pagination: ``Page[X]`` with an opaque ``next_cursor`` and a bounded ``limit``."""

import base64
import binascii
import json
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


def decode_cursor(cursor: str, *, length: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursor("The cursor is not one this API returned.") from exc
    if not isinstance(values, list) or len(values) != length:
        raise InvalidCursor("The cursor is not one this API returned.")
    return values


LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")]
CursorQuery = Annotated[
    str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
]
