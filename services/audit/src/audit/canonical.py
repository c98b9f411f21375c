"""RFC 8785 (JSON Canonicalization Scheme) bytes of a JSON value.

Most audit entries hold only strings, safe integers, booleans and nulls under keys of the
Basic Multilingual Plane; for those, JCS output is exactly what ``json.dumps`` writes with
sorted keys and no whitespace, which is far faster. Anything else (floats, which JCS prints
as ECMAScript does; large integers; keys whose UTF-16 order may differ from code-point order)
goes through the ``rfc8785`` reference implementation.
"""

import json
from typing import Any

import rfc8785

SAFE_INTEGER = 2**53 - 1
_BMP_LIMIT = "\ud800"
# No check for cycles: ``_plain`` has walked the value first, and JSON input has none.
_PLAIN_ENCODER = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False, check_circular=False
)


def canonical_json(value: Any) -> bytes:
    text = plain_json(value)
    if text is not None:
        return text.encode()
    try:
        return rfc8785.dumps(value)
    except rfc8785.IntegerDomainError:
        return rfc8785.dumps(_doubles(value))


def plain_json(value: Any) -> str | None:
    """The canonical JSON text of a value that holds only plain items, else ``None``."""
    return _PLAIN_ENCODER.encode(value) if _plain(value) else None


def _plain(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is int:
            if -SAFE_INTEGER <= item <= SAFE_INTEGER:
                continue
            return False
        if kind is dict:
            if not _bmp_keys(item):
                return False
            pending.extend(item.values())
        elif kind is list:
            pending.extend(item)
        else:
            return False
    return True


def _bmp_keys(mapping: dict[Any, Any]) -> bool:
    try:
        if "".join(mapping).isascii():
            return True
    except TypeError:
        return False
    return all(not key or max(key) < _BMP_LIMIT for key in mapping)


def _doubles(value: Any) -> Any:
    """Integers beyond the IEEE-754 safe range are numbers too: JCS prints them as doubles."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) > SAFE_INTEGER:
        return float(value)
    if isinstance(value, dict):
        return {key: _doubles(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_doubles(item) for item in value]
    return value
