from datetime import UTC, datetime

from audit.ingest.mapping import entry_from_event
from hdh_common.events import CloudEvent


def test_an_event_becomes_an_entry() -> None:
    event = CloudEvent.model_validate(
        {
            "id": "e-1",
            "source": "/access",
            "type": "hdh.access.grant.issued.v1",
            "subject": "grant-7",
            "time": datetime(2026, 11, 29, 12, tzinfo=UTC),
            "actor": "alice",
            "correlationid": "corr-1",
            "clientip": "10.1.2.3",
            "data": {"project_id": "p-1", "access_request_id": "req-3"},
        }
    )
    entry = entry_from_event(event)
    assert (entry.event_id, entry.action, entry.resource_type, entry.resource_id) == (
        "e-1",
        "hdh.access.grant.issued.v1",
        "grant",
        "grant-7",
    )
    assert (entry.actor, entry.project, entry.purpose, entry.client_ip) == (
        "alice",
        "p-1",
        "req-3",
        "10.1.2.3",
    )
    assert entry.outcome == "success" and entry.correlation_id == "corr-1"
    assert entry.payload == {"project_id": "p-1", "access_request_id": "req-3"}
