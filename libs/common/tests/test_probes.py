"""A service's `/readyz`: concurrent probes share one round of checks, reused briefly."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from hdh_common.errors import install_error_handlers
from hdh_common.probes import probes_router
from hdh_common.state import STATE_KEY
from hdh_dev.testing import serve_http


def service(calls: list[str], components: dict[str, str] | None = None) -> FastAPI:
    async def database() -> bool:
        calls.append("database")
        await asyncio.sleep(0.2)
        return True

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        yield {STATE_KEY: SimpleNamespace(readiness_checks={"database": database})}

    app = FastAPI(lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(probes_router(CollectorRegistry(), components=components))
    return app


async def test_concurrent_probes_share_one_round_of_checks() -> None:
    calls: list[str] = []
    async with (
        serve_http(service(calls)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        answers = await asyncio.gather(*(client.get("/readyz") for _ in range(20)))
        assert {answer.status_code for answer in answers} == {200}
        assert (await client.get("/readyz")).json()["checks"] == {"database": "ok"}
    assert calls == ["database"]


async def test_readiness_and_metrics_show_the_components_without_checking_them() -> None:
    async with (
        serve_http(service([], {"hmac_kernel": "python"})) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        ready = await client.get("/readyz")
        metrics = (await client.get("/metrics")).text
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok"},
        "components": {"hmac_kernel": "python"},
    }
    assert 'hdh_component_info{hmac_kernel="python"} 1.0' in metrics


async def test_without_components_readiness_shows_none_and_no_info_metric() -> None:
    async with (
        serve_http(service([])) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        ready = await client.get("/readyz")
        metrics = (await client.get("/metrics")).text
    assert ready.json()["components"] == {}
    assert "hdh_component_info" not in metrics
