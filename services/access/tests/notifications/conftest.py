"""A partner's endpoint on real HTTP, and the outbox pumped into the notifications consumer."""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Request, Response

from access.notifications.consumers import on_access_event
from access.state import AccessState
from hdh_common.db import create_sessionmaker
from hdh_common.events import CloudEvent
from hdh_dev.processes import free_port
from hdh_dev.testing import SettingsFactory, serve_http

FAST = {
    "notification_poll_interval": 0.05,
    "notification_backoff_base": 0.3,
    "notification_backoff_max": 1.0,
    "notification_max_attempts": 5,
    "webhook_timeout": 2.0,
    "webhook_allow_private_addresses": True,
}


@dataclass
class Receiver:
    """What the partner's endpoint got: each call's headers and body; answers ``status``."""

    status: int = 204
    calls: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            self.calls.append((dict(request.headers), await request.body()))
            return Response(status_code=self.status)

        return app

    def delivered(self) -> list[tuple[dict[str, str], bytes]]:
        return self.calls if self.status < 300 else []


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return dict(FAST)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    endpoint = Receiver()
    async with serve_http(endpoint.app()) as base:
        yield endpoint, f"{base}/hook"


@pytest.fixture
def pump(
    clean_database: str, make_settings: SettingsFactory, settings_overrides: dict[str, Any]
) -> Callable[[Any], Any]:
    """Feeds the events written to the outbox since the last call to the consumer, as the
    broker would (the tests' app has no reachable broker)."""
    seen: set[int] = set()
    state = cast(
        AccessState, SimpleNamespace(settings=make_settings("access", **settings_overrides))
    )

    async def run(hub: Any) -> None:
        async with hub.engine.connect() as connection:
            rows = (
                await connection.execute(
                    sa.text("SELECT id, payload FROM access.outbox ORDER BY id")
                )
            ).all()
        for row_id, payload in rows:
            if row_id in seen:
                continue
            seen.add(row_id)
            async with create_sessionmaker(hub.engine).begin() as session:
                await on_access_event(state, session, CloudEvent.model_validate(payload))

    return run


def unused_url() -> str:
    return f"http://127.0.0.1:{free_port()}/hook"
