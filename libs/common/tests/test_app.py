"""A service's lifespan: one typed state, extended by the service's one ``resources`` hook,
reached by routes through ``service_state`` and released at shutdown."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, Request

from hdh_common.app import ServiceDefinition, background, create_service_app
from hdh_common.db import schema_metadata
from hdh_common.outbox import MessagingTables, Outbox
from hdh_common.settings import ServiceSettings
from hdh_common.state import ServiceState, service_state
from hdh_dev.testing import running, scraped


@dataclass(frozen=True, kw_only=True)
class DemoState(ServiceState[ServiceSettings]):
    greeting: str


def demo_app(settings: ServiceSettings, events: list[str]) -> Any:
    @asynccontextmanager
    async def resources(common: ServiceState[ServiceSettings]) -> AsyncIterator[DemoState]:
        events.append("opened")
        try:
            async with background(loop(events)):
                yield DemoState(**vars(common), greeting="bonjour")
        finally:
            events.append("closed")

    router = APIRouter()

    @router.get("/state")
    async def state(request: Request) -> dict[str, str]:
        found = service_state(request)
        assert isinstance(found, DemoState)
        return {"greeting": found.greeting, "storage": str(found.settings.storage_path)}

    definition = ServiceDefinition(
        name="demo",
        title="demo",
        description="demo",
        version="0",
        outbox=Outbox(MessagingTables(schema_metadata("demo")), service="demo"),
        routers=[router],
        resources=resources,
    )
    return create_service_app(definition, settings)


async def loop(events: list[str]) -> None:
    events.append("loop started")
    try:
        await asyncio.Event().wait()
    finally:
        events.append("loop stopped")


@pytest.fixture
def settings(tmp_path: Path, token_public_key: str) -> ServiceSettings:
    """No broker: the app runs without it."""
    return ServiceSettings(
        kafka_bootstrap_servers="127.0.0.1:1",
        internal_token_public_key=token_public_key,
        storage_path=tmp_path,
    )


async def test_the_resources_hook_gives_routes_the_service_state(
    settings: ServiceSettings, tmp_path: Path
) -> None:
    events: list[str] = []
    async with running(demo_app(settings, events)) as client:
        answer = await client.get("/state")
        assert events == ["opened", "loop started"]
    assert answer.json() == {"greeting": "bonjour", "storage": str(tmp_path)}
    assert events == ["opened", "loop started", "loop stopped", "closed"]


async def test_metrics_show_the_process_and_its_cpu_time_moves(settings: ServiceSettings) -> None:
    async with running(demo_app(settings, [])) as client:
        before = await scraped(client, "process_cpu_seconds_total")
        deadline = time.process_time() + 0.3
        while time.process_time() < deadline:  # some work
            pass
        after = await scraped(client, "process_cpu_seconds_total")
        assert await scraped(client, "python_info") == 1
        assert (await scraped(client, "process_open_fds") or 0) > 0
    assert before is not None and after is not None and after >= before + 0.2
