"""The entry as a JSON document: what is hashed into the tree, exported and served."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from audit.canonical import canonical_json
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


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def entry_document(fields: Mapping[Any, Any]) -> dict[str, Any]:
    """``fields`` holds the entry's columns (a row or a draft's dump). The sequence number is
    not part of it: the leaf's position in the tree is, so an entry is hashed before it is
    sequenced."""
    document: dict[str, Any] = {name: fields[name] for name in TEXT_FIELDS}
    document["time"] = format_time(fields["time"])
    document["payload"] = fields["payload"]
    return document


def document_hash(document: Mapping[str, Any]) -> bytes:
    """Raises ``ValueError`` for what cannot be stored: PostgreSQL JSON holds no NUL."""
    data = canonical_json(document)
    if b"\\u0000" in data:
        raise ValueError("a NUL character cannot be stored in the audit log")
    return leaf_hash(data)
