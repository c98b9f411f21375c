"""Keyset pagination on ``(created_at, id)``, shared by this service's lists."""

import uuid
from datetime import UTC, datetime

from hdh_common.pagination import TimeKey as Key
from hdh_common.pagination import decode_cursor, time_key_cursor

__all__ = ["Key", "after_key", "next_cursor"]


def after_key(cursor: str | None) -> Key | None:
    """The ``(created_at, id)`` key a page starts after; a cursor this API did not return
    (garbled, of the wrong types, out of the database's range) is 400 ``invalid-cursor``."""
    if cursor is None:
        return None
    created_at, item_id = decode_cursor(cursor, length=2, parse=(_instant, _uuid))
    return created_at, item_id


def next_cursor(keys: list[Key], limit: int) -> str | None:
    if len(keys) <= limit:
        return None
    return time_key_cursor(*keys[limit - 1])


def _instant(value: object) -> datetime:
    if not isinstance(value, str):
        raise TypeError(value)
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise ValueError(value)
    try:
        return instant.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(value) from exc


def _uuid(value: object) -> uuid.UUID:
    if not isinstance(value, str):
        raise TypeError(value)
    return uuid.UUID(value)
