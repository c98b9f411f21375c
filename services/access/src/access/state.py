"""What the access service runs with: the common resources, and the grant expiry sweep."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeAlias

from access.config import Settings
from access.grants.sweeper import sweep_forever
from access.notifications.worker import notify_forever
from hdh_common.app import background
from hdh_common.state import ServiceState

AccessState: TypeAlias = ServiceState[Settings]


@asynccontextmanager
async def resources(state: AccessState) -> AsyncIterator[AccessState]:
    async with background(
        sweep_forever(state.sessionmaker, state.settings),
        notify_forever(state.sessionmaker, state.settings, state.tracing),
    ):
        yield state
