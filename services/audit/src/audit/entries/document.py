"""The entry as a JSON document: what is hashed into the tree, exported and served."""

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Any, NamedTuple

from audit.canonical import canonical_json, plain_json
from audit.merkle import leaf_hash

TEXT_FIELDS = (
    "event_id",
    "source",
    "actor",
    "action",
    "resource_type",
    "resource_id",
    "project",
    "outcome",
    "client_ip",
    "request_id",
    "correlation_id",
    "purpose",
)

DOCUMENT_KEYS = tuple(sorted((*TEXT_FIELDS, "time", "payload")))
# The document's canonical JSON with its values left to fill in, in key order: its keys are
# ASCII, so their RFC 8785 order is their code-point order.
_DOCUMENT_TEMPLATE = "{" + ",".join(f'"{key}":%s' for key in DOCUMENT_KEYS) + "}"
_SORTED_TEXTS = itemgetter(*(key for key in DOCUMENT_KEYS if key in TEXT_FIELDS))
_INSERTS = sorted((DOCUMENT_KEYS.index(key), key) for key in ("time", "payload"))
_ZERO_OFFSET = timedelta(0)
_NULL = "null"


class EncodedEntry(NamedTuple):
    document: bytes
    """The RFC 8785 JSON of :func:`entry_document`: what the leaf hash is computed over."""
    payload: str
    """The payload as JSON text, to be stored."""


def format_time(value: datetime) -> str:
    if value.utcoffset() != _ZERO_OFFSET:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")[:-6] + "Z"  # "+00:00" → "Z"


def entry_document(fields: Mapping[Any, Any]) -> dict[str, Any]:
    """``fields`` holds the entry's columns (a row or a draft's dump). The sequence number is
    not part of it: the leaf's position in the tree is, so an entry is hashed before it is
    sequenced."""
    document: dict[str, Any] = {name: fields[name] for name in TEXT_FIELDS}
    document["time"] = format_time(fields["time"])
    document["payload"] = fields["payload"]
    return document


def document_hash(document: Mapping[str, Any]) -> bytes:
    return hash_of_document_json(canonical_json(document))


def hash_of_document_json(data: bytes) -> bytes:
    """Raises ``ValueError`` for what cannot be stored: PostgreSQL JSON holds no NUL."""
    if b"\\u0000" in data:
        raise ValueError("a NUL character cannot be stored in the audit log")
    return leaf_hash(data)


def encode_entry(fields: Mapping[Any, Any]) -> EncodedEntry:
    """``canonical_json(entry_document(fields))`` and the payload's JSON, in one pass: when the
    texts are strings or null and the payload is plain, each value is encoded once and set in
    the document's template; anything else goes the general way."""
    payload = plain_json(fields["payload"])
    try:
        values = [_NULL if v is None else encode_basestring(v) for v in _SORTED_TEXTS(fields)]
    except TypeError:
        payload = None
    if payload is None:
        document = canonical_json(entry_document(fields))
        return EncodedEntry(document, json.dumps(fields["payload"]))
    extra = {"time": f'"{format_time(fields["time"])}"', "payload": payload}
    for index, key in _INSERTS:
        values.insert(index, extra[key])
    return EncodedEntry((_DOCUMENT_TEMPLATE % tuple(values)).encode(), payload)
