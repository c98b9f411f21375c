"""What every service guarantees: probes, OpenAPI, problem+json errors, internal-token checks."""

import time
from collections.abc import AsyncIterator
from importlib import import_module
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from hdh_common.identity import (
    InternalTokenSigner,
    Principal,
    PrincipalDep,
    generate_private_key_pem,
)
from hdh_dev.processes import free_port
from hdh_dev.testing import SERVICES, TOKEN_ISSUER, SettingsFactory, TokenFactory, bearer, running

PROBLEM = "application/problem+json"
SECRET = "password=hunter2 in /srv/secret/config.py"


class Echo(BaseModel):
    count: int


def contract_router() -> APIRouter:
    router = APIRouter(prefix="/contract")

    @router.get("/whoami")
    async def whoami(principal: PrincipalDep) -> dict[str, str]:
        return {"subject": principal.subject}

    @router.post("/echo")
    async def echo(payload: Echo, principal: PrincipalDep) -> Echo:
        return payload

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError(SECRET)

    return router


def app_for(service: str, settings: Any) -> FastAPI:
    app: FastAPI = import_module(f"{service}.main").create_app(settings)
    app.include_router(contract_router())
    return app


@pytest.fixture(params=SERVICES)
def service(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def client(service: str, make_settings: SettingsFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app_for(service, make_settings(service))) as client:
        yield client


async def test_probes_and_openapi(client: httpx.AsyncClient, service: str) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
    metrics = await client.get("/metrics")
    assert 'http_requests_total{method="GET",route="/readyz",status="200"}' in metrics.text
    openapi = (await client.get("/openapi.json")).json()
    assert "/readyz" in openapi["paths"]


async def test_ready_but_degraded_without_broker(
    service: str, make_settings: SettingsFactory
) -> None:
    """The outbox holds the events while the broker is away: the service stays in rotation."""
    settings = make_settings(service, kafka_bootstrap_servers=f"127.0.0.1:{free_port()}")
    async with running(app_for(service, settings)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"] == {"database": "ok", "broker": "unavailable"}


async def test_not_ready_without_database(make_settings: SettingsFactory) -> None:
    """The database is required (the catalogue starts without it; others need it to start)."""
    service = "catalog"
    settings = make_settings(
        service, database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/hdh"
    )
    async with running(app_for(service, settings)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["checks"] == {"database": "unavailable", "broker": "ok"}


async def test_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "req-123"})
    assert response.headers["x-request-id"] == "req-123"
    assert response.headers["x-correlation-id"] == "req-123"


async def test_valid_internal_token_is_accepted(
    client: httpx.AsyncClient, service: str, make_token: TokenFactory
) -> None:
    response = await client.get(
        "/contract/whoami", headers=bearer(make_token(service, sub="alice"))
    )
    assert response.status_code == 200
    assert response.json() == {"subject": "alice"}


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "not-bearer",
        "garbage",
        "other-audience",
        "expired",
        "tampered",
        "foreign-key",
        "other-issuer",
    ],
)
async def test_bad_tokens_are_refused(
    client: httpx.AsyncClient, service: str, make_token: TokenFactory, case: str
) -> None:
    other = next(s for s in SERVICES if s != service)
    foreign = InternalTokenSigner(generate_private_key_pem(), issuer=TOKEN_ISSUER)
    stranger = InternalTokenSigner(generate_private_key_pem(), issuer="someone-else")
    valid = make_token(service)
    headers = {
        "missing": {},
        "not-bearer": {"Authorization": f"Basic {valid}"},
        "garbage": bearer("not.a.token"),
        "other-audience": bearer(make_token(other)),
        "expired": bearer(make_token(service, now=time.time() - 3600)),
        "tampered": bearer(valid[:-4] + ("AAAA" if not valid.endswith("AAAA") else "BBBB")),
        "foreign-key": bearer(foreign.sign(Principal("mallory"), audience=service)),
        "other-issuer": bearer(stranger.sign(Principal("mallory"), audience=service)),
    }[case]
    response = await client.get("/contract/whoami", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["type"] == "/problems/unauthorized"


async def test_malformed_json_is_a_bad_request(
    client: httpx.AsyncClient, service: str, make_token: TokenFactory
) -> None:
    response = await client.post(
        "/contract/echo",
        content=b'{"count": 1',
        headers=bearer(make_token(service)) | {"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "/problems/malformed-request"


async def test_wrong_type_is_unprocessable(
    client: httpx.AsyncClient, service: str, make_token: TokenFactory
) -> None:
    response = await client.post(
        "/contract/echo", json={"count": "many"}, headers=bearer(make_token(service))
    )
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "/problems/validation-error"
    assert body["errors"][0]["loc"] == ["body", "count"]


async def test_unknown_route_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "/problems/not-found"


async def test_unexpected_error_leaks_nothing(client: httpx.AsyncClient) -> None:
    response = await client.get("/contract/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body == {
        "type": "/problems/internal-error",
        "title": "Internal server error",
        "status": 500,
        "detail": "An unexpected error occurred.",
        "instance": "/contract/boom",
        "request_id": "boom-1",
    }
    assert "hunter2" not in response.text and "Traceback" not in response.text
