"""The request log names the resource a path acts on, as the audit trail names it, so an
auditor finds a gateway entry with the same filter as the services' events."""

import uuid

import pytest

from gateway.proxy.routes import Route, route_of

ID = str(uuid.uuid4())
OTHER = str(uuid.uuid4())


@pytest.mark.parametrize(
    ("path", "route"),
    [
        (f"/access/requests/{ID}", Route("/access/requests/{id}", "access_request", ID)),
        (
            f"/access/requests/{ID}/documents/{OTHER}/content",
            Route("/access/requests/{id}/documents/{id}/content", "document", OTHER),
        ),
        (
            f"/access/requests/{ID}/messages",
            Route("/access/requests/{id}/messages", "access_request", ID),
        ),
        (f"/access/grants/{ID}/revocation", Route("/access/grants/{id}/revocation", "grant", ID)),
        ("/audit/entries/42", Route("/audit/entries/{id}", "entry", "42")),
        ("/access/requests", Route("/access/requests", "access_request", None)),
        (
            "/linkage/domains/central/rotate",
            Route("/linkage/domains/central/rotate", "domain", None),
        ),
        ("/healthz", Route("/healthz", None, None)),
    ],
)
def test_the_resource_of_a_path(path: str, route: Route) -> None:
    assert route_of(path) == route
