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


def service(calls: list[str]) -> FastAPI:
    async def database() -> bool:
        calls.append("database")
        await asyncio.sleep(0.2)
        return True

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        yield {STATE_KEY: SimpleNamespace(readiness_checks={"database": database})}

    app = FastAPI(lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(probes_router(CollectorRegistry()))
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
