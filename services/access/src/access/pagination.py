"""Keyset pagination on ``(created_at, id)``, shared by this service's lists."""

import uuid
from datetime import datetime

from hdh_common.pagination import InvalidCursor, decode_cursor, encode_cursor

Key = tuple[datetime, uuid.UUID]


def after_key(cursor: str | None) -> Key | None:
    if cursor is None:
        return None
    created_at, item_id = decode_cursor(cursor, length=2)
    try:
        return datetime.fromisoformat(created_at), uuid.UUID(item_id)
    except (TypeError, ValueError) as exc:
        raise InvalidCursor("The cursor is not one this API returned.") from exc


def next_cursor(keys: list[Key], limit: int) -> str | None:
    if len(keys) <= limit:
        return None
    created_at, item_id = keys[limit - 1]
    return encode_cursor([created_at.isoformat(), str(item_id)])
