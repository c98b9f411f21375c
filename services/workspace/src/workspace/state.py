"""What the workspace runs with: the common resources, and what notebook sessions need (the
query engine joins them here)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from hdh_common.app import background
from hdh_common.state import ServiceState
from workspace.config import Settings
from workspace.sessions.backends import open_backends
from workspace.sessions.service import SessionBackends, sweeping


@dataclass(frozen=True, kw_only=True)
class WorkspaceState(ServiceState[Settings]):
    sessions: SessionBackends


@asynccontextmanager
async def resources(common: ServiceState[Settings]) -> AsyncIterator[WorkspaceState]:
    async with (
        open_backends(common.settings) as sessions,
        background(sweeping(common.sessionmaker, sessions)),
    ):
        yield WorkspaceState(**vars(common), sessions=sessions)
