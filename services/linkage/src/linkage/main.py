import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from hdh_common.app import ServiceDefinition, create_service_app, stop_tasks
from linkage.config import Settings
from linkage.consumers import subscriptions
from linkage.db import SCHEMA, outbox
from linkage.extracts.build import extract_failed, run_extract
from linkage.extracts.router import router as extracts_router
from linkage.jobs.context import JobContext
from linkage.jobs.execute import run_pseudonymisation
from linkage.jobs.linking import run_link
from linkage.jobs.models import EXTRACT, LINK, PSEUDONYMISE
from linkage.jobs.router import router as jobs_router
from linkage.jobs.runner import JobRunner
from linkage.keys.crypto import load_master_key
from linkage.keys.router import router as keys_router
from linkage.objections.router import router as objections_router
from linkage.pseudonyms.hmac import kernel_name


def definition(settings: Settings) -> ServiceDefinition:
    return ServiceDefinition(
        name=SCHEMA,
        title="Health Data Hub — pseudonymisation and linkage",
        description=(
            "Pseudonym domains and keys, pseudonymisation and linkage jobs, project extracts."
        ),
        version="0.1.0",
        outbox=outbox,
        routers=(jobs_router, keys_router, extracts_router, objections_router),
        subscriptions=subscriptions(settings),
        components={"hmac_kernel": kernel_name()},
        openapi_tags=[
            {"name": "jobs", "description": "Pseudonymisation and linkage jobs, reports."},
            {"name": "domains", "description": "Pseudonym domains and key versions."},
            {"name": "extracts", "description": "Project extracts for granted researchers."},
            {"name": "objections", "description": "Persons excluded from extracts."},
        ],
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_service_app(definition(settings), settings)
    app.router.lifespan_context = _with_job_runner(app.router.lifespan_context, settings)
    return app


def _with_job_runner(inner: Any, settings: Settings) -> Any:
    """The common lifespan, plus the master key and the worker running queued jobs."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        master = load_master_key(
            settings.linkage_master_key,
            dev=settings.environment == "dev",
            path=settings.linkage_master_key_path,
        )
        async with inner(app) as state:
            context = JobContext(
                sessionmaker=state["sessionmaker"],
                store=state["object_store"],
                master=master,
                batch_rows=settings.linkage_batch_rows,
                workers=settings.linkage_workers,
            )
            runner = JobRunner(
                context,
                executors={
                    PSEUDONYMISE: run_pseudonymisation,
                    EXTRACT: run_extract,
                    LINK: run_link,
                },
                on_failure={EXTRACT: extract_failed},
                poll_interval=settings.linkage_job_poll_interval,
            )
            task = asyncio.create_task(runner.run())
            try:
                yield {**state, "master_key": master, "job_runner": runner}
            finally:
                await stop_tasks([task])

    return lifespan
