"""What the workspace runs with beyond the common resources: the analysis runner, the purge
of closed spaces once their retention period is over, and what notebook sessions need."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from hdh_common.app import background
from hdh_common.probes import job_durations
from hdh_common.state import ServiceState
from workspace.analyses.runner import AnalysisRunner
from workspace.config import Settings
from workspace.sessions.backends import open_backends
from workspace.sessions.service import SessionBackends, sweeping
from workspace.spaces.retention import purge_forever


@dataclass(frozen=True, kw_only=True)
class WorkspaceState(ServiceState[Settings]):
    analysis_runner: AnalysisRunner
    sessions: SessionBackends


@asynccontextmanager
async def resources(common: ServiceState[Settings]) -> AsyncIterator[WorkspaceState]:
    """The analysis worker, the purge and the session sweeper, while the service runs."""
    runner = AnalysisRunner(
        common.sessionmaker,
        common.object_store,
        common.settings,
        durations=job_durations(common.registry),
    )
    purge = purge_forever(common.sessionmaker, common.object_store, common.settings)
    async with (
        open_backends(common.settings, common.tracing) as sessions,
        background(runner.run(), purge, sweeping(common.sessionmaker, sessions)),
    ):
        yield WorkspaceState(**vars(common), analysis_runner=runner, sessions=sessions)
