"""How big an entry's payload may be: bounded, so that every accepted entry can be hashed,
stored and served again (a payload nested hundreds of levels deep cannot be)."""

import json
from typing import Any

MAX_PAYLOAD_DEPTH = 32
MAX_PAYLOAD_BYTES = 64 * 1024


def payload_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a payload, or ``None``."""
    if _depth(value) > MAX_PAYLOAD_DEPTH:
        return f"the payload is nested deeper than {MAX_PAYLOAD_DEPTH} levels"
    if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_PAYLOAD_BYTES:
        return f"the payload is larger than {MAX_PAYLOAD_BYTES} bytes as JSON"
    return None


def bounded_depth(value: dict[str, Any]) -> dict[str, Any]:
    """``value``, or what says why it was left out: an event from the broker is logged anyway
    (its size is bounded by the broker's message size)."""
    if _depth(value) > MAX_PAYLOAD_DEPTH:
        return {"omitted": f"the payload is nested deeper than {MAX_PAYLOAD_DEPTH} levels"}
    return value


def _depth(value: Any) -> int:
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_PAYLOAD_DEPTH:
                return depth
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return deepest
