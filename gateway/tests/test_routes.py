"""The request log names the resource a path acts on, as the audit trail names it, so an
auditor finds a gateway entry with the same filter as the services' events."""

import uuid

import pytest

from gateway.config import Settings
from gateway.proxy.routes import PublicRoutes, Route, route_of

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


@pytest.mark.parametrize(
    ("method", "path", "admitted"),
    [
        ("GET", "/catalog/datasets", True),
        ("GET", f"/catalog/datasets/{ID}", True),
        ("HEAD", f"/catalog/datasets/{ID}/dcat", True),
        ("GET", f"/catalog/datasets/{ID}/tables/IR_BEN_R/variables", True),
        ("GET", "/catalog/dcat", True),
        ("GET", "/catalog/search", True),
        ("GET", "/catalog/nomenclatures/IR_SEX_V/codes", True),
        ("GET", "/access/workflow", True),
        ("GET", "/access/register", True),
        ("POST", "/catalog/datasets", False),
        ("PATCH", f"/catalog/datasets/{ID}", False),
        ("GET", f"/catalog/datasets/{ID}/tables/IR_BEN_R/sample", False),
        ("GET", f"/catalog/datasets/{ID}/uploads", False),
        ("GET", f"/catalog/datasets/{ID}/revisions", False),
        ("GET", f"/catalog/datasets/{ID}/tables/A/B/variables", False),
        ("GET", "/catalog/basket", False),
        ("GET", "/catalog/datasetsX", False),
        ("POST", "/access/workflow", False),
        ("POST", "/access/register", False),
        ("GET", "/access/register/x", False),
        ("GET", "/access/requests", False),
    ],
)
def test_public_routes_by_method_and_path(method: str, path: str, admitted: bool) -> None:
    assert PublicRoutes(Settings().public_routes).admit(method, path) is admitted


def test_a_public_route_without_method_admits_any_and_a_star_any_rest() -> None:
    routes = PublicRoutes(["/access/register/*", "DELETE /x/{id}"])
    assert routes.admit("POST", "/access/register/a/b")
    assert routes.admit("DELETE", "/x/1") and not routes.admit("GET", "/x/1")
    assert not routes.admit("DELETE", "/x/1/2") and not routes.admit("DELETE", "/x/")
