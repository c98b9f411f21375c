"""From a CloudEvent of any service to an audit entry.

The resource is what the type ``hdh.<service>.<aggregate>.<verb>.v1`` names: its type the
aggregate, its id the payload's ``<aggregate>_id`` when there is one (a grant's events are
keyed by their project), else the subject. A payload may declare ``resource_type``,
``resource_id`` (the gateway's, from the path) and ``outcome`` (a failure says so). The HTTP
request id comes from the envelope (``requestid``); the access request an action was taken
under goes to ``purpose``.
"""

from typing import Any

from audit.entries.bounds import bounded_depth
from audit.entries.schemas import EntryCreate
from hdh_common.events import CloudEvent

RESOURCE_TYPES = {"hdh.access.request": "access_request"}
"""Aggregates whose bare name would be ambiguous (a gateway ``request`` is an HTTP request)."""


def _text(*candidates: Any) -> str | None:
    for value in candidates:
        if value not in (None, ""):
            return str(value)
    return None


def _aggregate(event_type: str) -> str | None:
    """``hdh.<service>.<aggregate>.<verb>.v1`` → ``<aggregate>``."""
    parts = event_type.split(".")
    return parts[2] if len(parts) >= 5 and parts[0] == "hdh" else None


def _resource(event: CloudEvent) -> tuple[str | None, str | None]:
    data = event.data
    if data.get("resource_type"):
        return _text(data["resource_type"]), _text(data.get("resource_id"))
    aggregate = _aggregate(event.type)
    if aggregate is None:
        return None, _text(data.get("resource_id"), event.subject)
    named = RESOURCE_TYPES.get(event.type.rsplit(".", 2)[0], aggregate)
    return named, _text(data.get("resource_id"), data.get(f"{aggregate}_id"), event.subject)


def _purpose(event: CloudEvent, resource_type: str | None) -> str | None:
    """The grant, else the access request, the action was taken under (never the resource
    itself). Only the access service's ``request_id`` is an access request."""
    data = event.data
    access_request = data.get("request_id") if event.source == "/access" else None
    return _text(
        data.get("purpose"),
        data.get("grant_id") if resource_type != "grant" else None,
        data.get("access_request_id"),
        access_request if resource_type != "access_request" else None,
    )


def entry_fields(event: CloudEvent) -> dict[str, Any]:
    """The columns of :class:`EntryCreate`, from an already validated event."""
    data, extensions = event.data, event.model_extra or {}
    resource_type, resource_id = _resource(event)
    return {
        "event_id": event.id,
        "time": event.time,
        "source": event.source,
        "actor": event.actor,
        "action": event.type,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "project": _text(data.get("project_id"), data.get("project")),
        "outcome": _text(data.get("outcome")) or "success",
        "client_ip": _text(extensions.get("clientip"), data.get("client_ip")),
        "request_id": event.requestid,
        "correlation_id": event.correlationid,
        "purpose": _purpose(event, resource_type),
        "payload": bounded_depth(data),
    }


def entry_from_event(event: CloudEvent) -> EntryCreate:
    return EntryCreate.model_construct(**entry_fields(event))
