from datetime import UTC, datetime
from typing import Any

import pytest

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


def entry_of(source: str, type_: str, subject: str, data: dict[str, Any], **extra: Any) -> Any:
    event = {"source": source, "type": type_, "subject": subject, "data": data} | extra
    return entry_from_event(CloudEvent.model_validate(event))


def where(entry: Any) -> tuple[Any, ...]:
    return (entry.resource_type, entry.resource_id, entry.purpose, entry.request_id)


@pytest.mark.parametrize("verb", ["issued", "revoked", "expired", "superseded", "ended"])
def test_a_grant_event_is_about_the_grant_under_its_access_request(verb: str) -> None:
    data = {"grant_id": "g-1", "request_id": "ar-1", "project_id": "p-1"}
    entry = entry_of("/access", f"hdh.access.grant.{verb}.v1", "p-1", data, requestid="http-1")
    assert where(entry) == ("grant", "g-1", "ar-1", "http-1")
    assert (entry.project, entry.outcome) == ("p-1", "success")


def test_an_access_request_is_not_an_http_request() -> None:
    data = {"request_id": "ar-1", "project_id": "p-1", "to_state": "submitted"}
    entry = entry_of("/access", "hdh.access.request.submitted.v1", "ar-1", data)
    assert where(entry) == ("access_request", "ar-1", None, None)


@pytest.mark.parametrize(
    ("type_", "data", "resource"),
    [
        (
            "hdh.access.document.uploaded.v1",
            {"document_id": "d-1", "request_id": "ar-1", "kind": "protocol"},
            ("document", "d-1"),
        ),
        (
            "hdh.access.message.sent.v1",
            {"message_id": "m-1", "request_id": "ar-1", "author_role": "hub_staff"},
            ("message", "m-1"),
        ),
        (
            "hdh.access.conflict.declared.v1",
            {"request_id": "ar-1", "subject": "carl"},
            ("conflict", "ar-1"),
        ),
        (
            "hdh.access.opinion.recorded.v1",
            {"request_id": "ar-1", "record_id": "r-1"},
            ("opinion", "ar-1"),
        ),
    ],
)
def test_what_happens_on_a_request_file_is_under_that_request(
    type_: str, data: dict[str, Any], resource: tuple[str, str]
) -> None:
    entry = entry_of("/access", type_, "ar-1", data, requestid="http-1")
    assert where(entry) == (*resource, "ar-1", "http-1")


def test_linkage_events_name_their_own_resource_not_an_access_request() -> None:
    objection = entry_of(
        "/linkage", "hdh.linkage.objection.recorded.v1", "o-1", {"objection_id": "o-1"}
    )
    rotated = entry_of(
        "/linkage", "hdh.linkage.domain_key.rotated.v1", "central", {"domain": "central"}
    )
    destruction = entry_of(
        "/linkage",
        "hdh.linkage.domain_key.destruction_requested.v1",
        "project:p-1",
        {"request_id": "destruction-1", "domain": "project:p-1"},
    )
    assert where(objection) == ("objection", "o-1", None, None)
    assert where(rotated) == ("domain_key", "central", None, None)
    assert where(destruction) == ("domain_key", "project:p-1", None, None)


def test_an_extract_is_under_its_grant() -> None:
    data = {"grant_id": "g-1", "request_id": "ar-1", "project_id": "p-1", "job_id": "j-1"}
    entry = entry_of("/linkage", "hdh.linkage.extract.completed.v1", "g-1", data)
    assert where(entry) == ("extract", "g-1", "g-1", None)


@pytest.mark.parametrize(
    ("source", "type_", "outcome"),
    [
        ("/linkage", "hdh.linkage.extract.failed.v1", "failure"),
        ("/catalog", "hdh.catalog.version.rejected.v1", "failure"),
        ("/access", "hdh.access.request.rejected.v1", "denied"),
        ("/access", "hdh.access.request.submitted.v1", None),
    ],
)
def test_the_outcome_an_event_declares_is_logged(
    source: str, type_: str, outcome: str | None
) -> None:
    entry = entry_of(source, type_, "s-1", {"reason": "r", "outcome": outcome})
    assert entry.outcome == (outcome or "success")


def test_a_gateway_entry_names_the_resource_of_its_path() -> None:
    data = {
        "request_id": "http-9",
        "method": "GET",
        "route": "/access/requests/{id}",
        "resource_type": "access_request",
        "resource_id": "ar-1",
        "status": 200,
    }
    entry = entry_of(
        "/gateway/gw-1", "hdh.gateway.request.completed.v1", "http-9", data, requestid="http-9"
    )
    assert where(entry) == ("access_request", "ar-1", None, "http-9")
    no_resource = {"request_id": "http-8", "resource_type": None, "resource_id": None}
    entry = entry_of("/gateway/gw-1", "hdh.gateway.request.completed.v1", "http-8", no_resource)
    assert where(entry) == ("request", "http-8", None, None)


@pytest.mark.parametrize(
    ("type_", "data"),
    [
        ("hdh.access.project.created.v1", {"project_id": "p-1", "organisation": "inserm"}),
        ("hdh.access.project.member_added.v1", {"project_id": "p-1", "subject": "bob"}),
        ("hdh.access.project.member_removed.v1", {"project_id": "p-1", "subject": "bob"}),
    ],
)
def test_project_changes_are_about_the_project(type_: str, data: dict[str, Any]) -> None:
    entry = entry_of("/access", type_, "p-1", data, actor="alice")
    assert where(entry) == ("project", "p-1", None, None)
    assert (entry.actor, entry.project, entry.payload) == ("alice", "p-1", data)


def test_catalogue_events_name_the_dataset_or_the_version() -> None:
    registered = entry_of(
        "/catalog", "hdh.catalog.dataset.registered.v1", "ds-1", {"dataset_id": "ds-1"}
    )
    validated = entry_of(
        "/catalog",
        "hdh.catalog.version.validated.v1",
        "ds-1",
        {"dataset_id": "ds-1", "version_id": "v-1"},
    )
    assert where(registered) == ("dataset", "ds-1", None, None)
    assert where(validated) == ("version", "v-1", None, None)
