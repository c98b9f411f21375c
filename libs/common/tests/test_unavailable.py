"""A dependency out of reach (database, object store) is a 503 to retry, not a 500."""

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client import CollectorRegistry
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route

from hdh_common.errors import is_transient
from hdh_common.middleware import HttpMetrics, RequestContextMiddleware
from hdh_common.storage import ObjectNotFound, StorageUnavailable

DROPPED = DBAPIError("SELECT 1", None, ConnectionResetError(), connection_invalidated=True)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError(), True),
        (DROPPED, True),
        (StorageUnavailable("put: connection refused"), True),
        (IntegrityError("INSERT", None, Exception("duplicate key")), False),
        (ObjectNotFound("missing"), False),
        (ValueError("a bug"), False),
    ],
)
def test_what_is_transient(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient


def app_raising(error: Exception) -> Starlette:
    async def fail(request: Request) -> None:
        raise error

    return Starlette(
        routes=[Route("/fail", fail)],
        middleware=[Middleware(RequestContextMiddleware, metrics=HttpMetrics(CollectorRegistry()))],
    )


async def get(app: Starlette) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get("/fail")


async def test_a_dependency_out_of_reach_is_a_503_with_retry_after() -> None:
    for error in (DROPPED, StorageUnavailable("put: connection refused")):
        response = await get(app_raising(error))
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "5"
        assert response.json()["type"] == "/problems/service-unavailable"


async def test_a_bug_stays_a_500() -> None:
    response = await get(app_raising(ValueError("a bug")))
    assert response.status_code == 500
    assert response.json()["type"] == "/problems/internal-error"


async def test_a_value_the_database_refuses_is_a_422_whatever_route_let_it_through(
    database_url: str,
) -> None:
    engine = create_async_engine(database_url)

    async def store(request: Request) -> None:
        async with engine.begin() as connection:
            await connection.execute(sa.text("SELECT CAST(:text AS text)"), {"text": "a\x00b"})

    app = Starlette(
        routes=[Route("/fail", store)],
        middleware=[Middleware(RequestContextMiddleware, metrics=HttpMetrics(CollectorRegistry()))],
    )
    try:
        response = await get(app)
    finally:
        await engine.dispose()
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "/problems/validation-error"
