"""What the catalogue runs with: the common resources, and its first-start seed."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeAlias

from catalog.config import Settings
from catalog.seed import seed_in_background
from hdh_common.app import background
from hdh_common.state import ServiceState

CatalogState: TypeAlias = ServiceState[Settings]


@asynccontextmanager
async def resources(state: CatalogState) -> AsyncIterator[CatalogState]:
    async with background(seed_in_background(state.sessionmaker, state.settings)):
        yield state
