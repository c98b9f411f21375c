"""From a CloudEvent of any service to an audit entry."""

from typing import Any

from audit.entries.bounds import bounded_depth
from audit.entries.schemas import EntryCreate
from hdh_common.events import CloudEvent


def _text(*candidates: Any) -> str | None:
    for value in candidates:
        if value not in (None, ""):
            return str(value)
    return None


def _aggregate(event_type: str) -> str | None:
    """``hdh.<service>.<aggregate>.<verb>.v1`` → ``<aggregate>``."""
    parts = event_type.split(".")
    return parts[2] if len(parts) >= 5 and parts[0] == "hdh" else None


def entry_fields(event: CloudEvent) -> dict[str, Any]:
    """The columns of :class:`EntryCreate`, from an already validated event."""
    data, extensions = event.data, event.model_extra or {}
    return {
        "event_id": event.id,
        "time": event.time,
        "source": event.source,
        "actor": event.actor,
        "action": event.type,
        "resource_type": _text(data.get("resource_type"), _aggregate(event.type)),
        "resource_id": _text(event.subject),
        "project": _text(data.get("project_id"), data.get("project")),
        "outcome": _text(data.get("outcome")) or "success",
        "client_ip": _text(extensions.get("clientip"), data.get("client_ip")),
        "request_id": _text(extensions.get("requestid"), data.get("request_id")),
        "correlation_id": event.correlationid,
        "purpose": _text(data.get("purpose"), data.get("grant_id"), data.get("access_request_id")),
        "payload": bounded_depth(data),
    }


def entry_from_event(event: CloudEvent) -> EntryCreate:
    return EntryCreate.model_construct(**entry_fields(event))
