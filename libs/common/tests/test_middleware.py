import logging

import httpx
import pytest
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route

from hdh_common.middleware import HttpMetrics, RequestContextMiddleware

JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln"


async def boom(request: Request) -> None:
    raise RuntimeError(f"login failed: password=hunter2, token {JWT}")


async def test_an_unexpected_error_is_logged_with_its_secrets_hidden(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = HttpMetrics(CollectorRegistry())
    app = Starlette(
        routes=[Route("/boom", boom)],
        middleware=[Middleware(RequestContextMiddleware, metrics=metrics)],
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="hdh_common.middleware"):
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    (record,) = [r for r in caplog.records if r.message == "unexpected error"]
    logged: str = record.exception  # type: ignore[attr-defined]
    assert logged.startswith("Traceback")
    assert "in boom" in logged
    assert "RuntimeError: login failed: [SECRET FIELD REDACTED], token [JWT REDACTED]" in logged
    assert "hunter2" not in logged and "eyJ" not in logged
