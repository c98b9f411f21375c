"""What the workspace runs with beyond the common resources: the analysis runner, and the
purge of closed spaces once their retention period is over."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from hdh_common.app import background
from hdh_common.state import ServiceState
from workspace.analyses.runner import AnalysisRunner
from workspace.config import Settings
from workspace.spaces.retention import purge_forever


@dataclass(frozen=True, kw_only=True)
class WorkspaceState(ServiceState[Settings]):
    analysis_runner: AnalysisRunner


@asynccontextmanager
async def resources(common: ServiceState[Settings]) -> AsyncIterator[WorkspaceState]:
    """The worker running queued analyses and the purge, while the service runs."""
    runner = AnalysisRunner(common.sessionmaker, common.object_store, common.settings)
    purge = purge_forever(common.sessionmaker, common.object_store, common.settings)
    async with background(runner.run(), purge):
        yield WorkspaceState(**vars(common), analysis_runner=runner)
