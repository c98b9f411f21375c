"""What the workspace runs with: the common resources (the query engine joins them here)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeAlias

from hdh_common.state import ServiceState
from workspace.config import Settings

WorkspaceState: TypeAlias = ServiceState[Settings]


@asynccontextmanager
async def resources(state: WorkspaceState) -> AsyncIterator[WorkspaceState]:
    yield state
