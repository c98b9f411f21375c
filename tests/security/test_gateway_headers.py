"""Security headers and CORS on every route of the gateway: each operation of the aggregated
OpenAPI (the four real services behind it), the gateway's own routes, and its errors (401,
404, 405, 413, 429, a service out of reach), from an allowed origin, from another, and in
preflight."""

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.main import create_app as create_gateway
from hdh_dev.processes import free_port
from hdh_dev.testing import Platform, bearer, serve_http

ORIGIN = "https://app.example"
OTHER_ORIGIN = "https://evil.example"
PROBLEM = "application/problem+json"
API_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": "no-store",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The open catalogue's DCAT feed is meant for harvesters: briefly cacheable by anyone when
# read anonymously, by the caller only when read with a token, with an ETag.
CACHEABLE = {"/catalog/dcat": {"public, max-age=60", "private, no-cache"}}
PAGES = ("/docs", "/idp/authorize")
GATEWAY_ROUTES = ["/openapi.json", "/docs", "/docs/oauth2-redirect"]
HSTS_MAX_AGE = 31536000


@pytest.fixture(scope="module")
def platform_overrides() -> dict[str, Any]:
    return {"cors_origins": [ORIGIN], "hsts_max_age": HSTS_MAX_AGE}


@pytest.fixture(scope="module")
async def client(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=platform.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
async def spec(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    spec: dict[str, Any] = response.json()
    assert "x-unavailable-services" not in spec["info"], "every service must be up"
    return spec


def operations(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """Every (method, concrete path) of the spec, path parameters filled in."""
    found = []
    for template, item in spec["paths"].items():
        path = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", template)
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((method.upper(), path))
    return found


def assert_secured(response: httpx.Response, *, origin: str | None = ORIGIN) -> None:
    where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    path = response.request.url.path
    for name, value in API_HEADERS.items():
        found = response.headers.get(name)
        if name == "cache-control" and response.request.method == "GET" and path in CACHEABLE:
            assert found in CACHEABLE[path], (where, name, found)
            continue
        assert found == value, (where, name, found)
    assert (
        response.headers["strict-transport-security"]
        == f"max-age={HSTS_MAX_AGE}; includeSubDomains"
    )
    if not response.request.url.path.startswith(PAGES):
        assert response.headers.get("content-security-policy") == API_CSP, where
    allowed = response.headers.get("access-control-allow-origin")
    if origin == ORIGIN:
        assert allowed == ORIGIN, where
        if response.request.method != "OPTIONS":  # a preflight exposes nothing
            assert "x-request-id" in response.headers["access-control-expose-headers"], where
    else:
        assert allowed is None, where
    if origin is not None:
        assert "origin" in response.headers.get("vary", "").lower(), where
    assert response.headers.get("access-control-allow-credentials") is None, where
    if response.status_code >= 400 and response.request.method != "HEAD":
        assert response.headers["content-type"] == PROBLEM, (where, response.text[:200])


async def test_every_operation_of_every_service_is_secured(
    platform: Platform, client: httpx.AsyncClient, spec: dict[str, Any]
) -> None:
    ops = operations(spec)
    assert {path.split("/")[1] for _, path in ops} >= {"catalog", "access", "linkage", "audit"}
    token = bearer(await platform.token("sara"))
    statuses = set()
    for method, path in ops:
        for headers in ({}, token):
            for origin in (ORIGIN, OTHER_ORIGIN):
                response = await client.request(
                    method, path, headers=headers | {"Origin": origin}, json=None
                )
                assert_secured(response, origin=origin)
                statuses.add(response.status_code)
    assert {200, 401, 404} <= statuses


async def test_every_operation_answers_preflights_by_origin(
    client: httpx.AsyncClient, spec: dict[str, Any]
) -> None:
    for method, path in operations(spec):
        request = {
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        }
        allowed = await client.options(path, headers=request | {"Origin": ORIGIN})
        assert allowed.status_code == 200, (method, path, allowed.text)
        assert allowed.headers["access-control-allow-origin"] == ORIGIN
        assert method in allowed.headers["access-control-allow-methods"]
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
        assert int(allowed.headers["access-control-max-age"]) > 0
        assert_secured(allowed)
        refused = await client.options(path, headers=request | {"Origin": OTHER_ORIGIN})
        assert refused.status_code == 400, (method, path)
        assert refused.json()["detail"] == "Disallowed CORS origin."
        assert_secured(refused, origin=OTHER_ORIGIN)
    odd_header = await client.options(
        "/catalog/datasets",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-roles",
        },
    )
    assert odd_header.status_code == 400
    assert_secured(odd_header)


async def test_the_gateway_own_routes_and_errors_are_secured(
    platform: Platform, client: httpx.AsyncClient, spec: dict[str, Any]
) -> None:
    own = [path for path in spec["paths"] if not path.startswith(("/catalog", "/access"))]
    own = [p for p in own if not p.startswith(("/linkage", "/audit"))] + GATEWAY_ROUTES
    assert {"/healthz", "/readyz", "/metrics", "/problems/{slug}", "/idp/token"} <= set(own)
    token = bearer(await platform.token("alice"))
    requests = [("GET", path.replace("{slug}", "not-found")) for path in own]
    requests += [
        ("POST", "/idp/token"),  # 400, no grant
        ("GET", "/idp/authorize"),  # 400, no client
        ("GET", "/no/such/route"),  # 404
        ("GET", "/problems/no-such-problem"),  # 404
        ("DELETE", "/healthz"),  # 405
        ("GET", "/catalog/datasets"),  # 401 without a token
        ("GET", "/catalog/%2e%2e/audit/entries"),  # 400 before any service
    ]
    for method, path in requests:
        for origin in (ORIGIN, OTHER_ORIGIN, None):
            headers = {"Origin": origin} if origin else {}
            response = await client.request(method, path, headers=headers)
            assert response.status_code < 500, (method, path, response.text[:300])
            assert_secured(response, origin=origin)
    too_large = await client.post(
        "/catalog/datasets", content=b"x" * (11 * 1024 * 1024), headers=token | {"Origin": ORIGIN}
    )
    assert too_large.status_code == 413
    assert_secured(too_large)


async def test_bad_gateway_rate_limits_and_service_cors_headers(
    platform: Platform, tmp_path: Path
) -> None:
    """A second gateway, whose catalogue is gone, whose audit service answers CORS itself, and
    whose per-address limit is tiny."""
    port = free_port()
    async with serve_http(cors_widening_service()) as widening:
        settings = platform.gateway_settings.model_copy(
            update={
                "public_url": f"http://127.0.0.1:{port}",
                "catalog_url": f"http://127.0.0.1:{free_port()}",
                "audit_url": widening,
                "request_log_spool_dir": tmp_path / "spool",
                "rate_limit_ip_rate": 0.01,
                "rate_limit_ip_burst": 8,
            }
        )
        async with (
            serve_http(create_gateway(settings), port=port) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as client,
        ):
            await _check_second_gateway(client)


async def _check_second_gateway(client: httpx.AsyncClient) -> None:
    form = {"grant_type": "password", "client_id": "hdh-web", "username": "odile"}
    issued = await client.post("/idp/token", data=form | {"password": "odile"})
    token = bearer(issued.json()["access_token"])
    widened = await client.get("/audit/entries", headers=token | {"Origin": OTHER_ORIGIN})
    assert widened.status_code == 200
    assert_secured(widened, origin=OTHER_ORIGIN)
    allowed = await client.get("/audit/entries", headers=token | {"Origin": ORIGIN})
    assert_secured(allowed)
    down = await client.get("/catalog/datasets", headers=token | {"Origin": ORIGIN})
    assert down.status_code in (502, 503), down.text  # a service out of reach
    assert down.json()["service"] == "catalog"
    assert_secured(down)
    statuses = []
    for _ in range(8):
        limited = await client.get("/catalog/datasets", headers=token | {"Origin": ORIGIN})
        statuses.append(limited.status_code)
    assert statuses[-1] == 429, statuses
    assert_secured(limited)
    assert int(limited.headers["retry-after"]) >= 1
    assert "retry-after" in limited.headers["access-control-expose-headers"]


def cors_widening_service() -> Starlette:
    async def entries(request: Request) -> JSONResponse:
        widened = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"}
        return JSONResponse({"entries": []}, headers=widened)

    return Starlette(routes=[Route("/audit/entries", entries)])
