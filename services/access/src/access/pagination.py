"""Keyset pagination on ``(created_at, id)``, shared by this service's lists."""

from hdh_common.pagination import TimeKey as Key
from hdh_common.pagination import time_key_after as after_key
from hdh_common.pagination import time_key_cursor

__all__ = ["Key", "after_key", "next_cursor"]


def next_cursor(keys: list[Key], limit: int) -> str | None:
    if len(keys) <= limit:
        return None
    return time_key_cursor(*keys[limit - 1])
