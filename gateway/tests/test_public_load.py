"""Unauthenticated operational routes cost the platform little: readiness and the aggregated
OpenAPI document are cached and shared by concurrent callers, and rate-limited per address."""

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gateway.config import SERVICES, Settings
from gateway.main import create_app
from hdh_dev.testing import serve_http

CALLERS = 20


def counting_service(calls: Counter[str], *, version: list[str]) -> FastAPI:
    """A service whose `/readyz` and `/openapi.json` are slow and counted."""
    app = FastAPI(openapi_url=None)

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        calls["readyz"] += 1
        await asyncio.sleep(0.2)
        return {"status": "ready"}

    @app.get("/openapi.json")
    async def spec() -> dict[str, Any]:
        calls["openapi"] += 1
        await asyncio.sleep(0.2)
        return {"openapi": "3.1.0", "info": {"title": "x", "version": version[0]}, "paths": {}}

    return app


@pytest.fixture
async def service() -> AsyncIterator[tuple[str, Counter[str], list[str]]]:
    calls: Counter[str] = Counter()
    version = ["1"]
    async with serve_http(counting_service(calls, version=version)) as url:
        yield url, calls, version


def settings(url: str, tmp_path: Path, **overrides: Any) -> Settings:
    services = {f"{name}_url": url for name in SERVICES}
    return Settings(**services, request_log_spool_dir=tmp_path, **overrides)


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway over HTTP, and a client."""
    async with serve_http(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield client


async def test_concurrent_readiness_checks_share_one_fan_out(
    service: tuple[str, Counter[str], list[str]], tmp_path: Path
) -> None:
    url, calls, _ = service
    async with running(create_app(settings(url, tmp_path, readiness_cache_seconds=0.5))) as client:
        answers = await asyncio.gather(*(client.get("/readyz") for _ in range(CALLERS)))
        assert {a.status_code for a in answers} == {200}
        assert calls["readyz"] == len(SERVICES)
        assert (await client.get("/readyz")).status_code == 200
        assert calls["readyz"] == len(SERVICES)
        await asyncio.sleep(0.6)
        await client.get("/readyz")
        assert calls["readyz"] == 2 * len(SERVICES)


async def test_the_openapi_document_is_built_once_until_it_expires(
    service: tuple[str, Counter[str], list[str]], tmp_path: Path
) -> None:
    url, calls, version = service
    app = create_app(settings(url, tmp_path, openapi_cache_seconds=0.5))
    async with running(app) as client:
        answers = await asyncio.gather(*(client.get("/openapi.json") for _ in range(CALLERS)))
        assert {a.status_code for a in answers} == {200}
        assert calls["openapi"] == len(SERVICES)
        await client.get("/openapi.json")
        assert calls["openapi"] == len(SERVICES)
        version[0] = "2"
        await asyncio.sleep(0.6)
        assert (await client.get("/openapi.json")).status_code == 200
        assert calls["openapi"] == 2 * len(SERVICES)


async def test_operational_routes_are_rate_limited_per_address(
    service: tuple[str, Counter[str], list[str]], tmp_path: Path
) -> None:
    url, _, _ = service
    limits = {"rate_limit_probe_rate": 0.1, "rate_limit_probe_burst": 3}
    async with running(create_app(settings(url, tmp_path, **limits))) as client:
        paths = ["/readyz", "/readyz", "/openapi.json", "/openapi.json"]
        statuses = [(await client.get(path)).status_code for path in paths]
        assert statuses == [200, 200, 200, 429]
        assert (await client.get("/healthz")).status_code == 200
