"""What linkage runs with beyond the common resources: its master key and its job runner."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from hdh_common.app import background
from hdh_common.probes import job_durations
from hdh_common.state import ServiceState
from linkage.config import Settings
from linkage.engine import create_engine
from linkage.extracts.build import extract_failed, run_extract
from linkage.jobs.context import JobContext
from linkage.jobs.execute import run_pseudonymisation
from linkage.jobs.linking import run_link
from linkage.jobs.models import EXTRACT, LINK, PROJECT_DATA, PSEUDONYMISE
from linkage.jobs.runner import JobRunner
from linkage.keys import master as master_keys
from linkage.keys.crypto import MasterKey
from linkage.project_data.build import project_data_failed, run_project_data


@dataclass(frozen=True, kw_only=True)
class LinkageState(ServiceState[Settings]):
    master_key: MasterKey
    job_runner: JobRunner


@asynccontextmanager
async def resources(common: ServiceState[Settings]) -> AsyncIterator[LinkageState]:
    """The master key, and the worker running queued jobs while the service runs."""
    settings = common.settings
    master = master_keys.load(settings)
    context = JobContext(
        sessionmaker=common.sessionmaker,
        store=common.object_store,
        master=master,
        engine=create_engine(settings),
        work_dir=settings.work_dir,
    )
    runner = JobRunner(
        context,
        executors={
            PSEUDONYMISE: run_pseudonymisation,
            EXTRACT: run_extract,
            LINK: run_link,
            PROJECT_DATA: run_project_data,
        },
        on_failure={EXTRACT: extract_failed, PROJECT_DATA: project_data_failed},
        poll_interval=settings.linkage_job_poll_interval,
        durations=job_durations(common.registry),
    )
    try:
        async with background(runner.run()):
            yield LinkageState(**vars(common), master_key=master, job_runner=runner)
    finally:
        master.close()
