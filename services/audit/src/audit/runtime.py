"""What the audit service runs beside the common ones: its signer, ingester and head signer."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from audit.config import Settings
from audit.ingest.consumer import BatchIngester
from audit.treeheads import service as treeheads
from audit.treeheads.signing import Signer, load_signer
from audit.treeheads.worker import sign_periodically
from hdh_common.app import stop_tasks


def extend_lifespan(app: FastAPI, settings: Settings) -> None:
    common = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        async with common(app) as state:
            assert state is not None
            async with _audit_workers(settings, state["sessionmaker"]) as extra:
                yield {**state, **extra}

    app.router.lifespan_context = lifespan


@contextlib.asynccontextmanager
async def _audit_workers(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[dict[str, Any]]:
    signer = load_signer(settings)
    await _register(sessionmaker, signer)
    tasks = [
        asyncio.create_task(
            sign_periodically(sessionmaker, signer, interval=settings.audit_tree_head_interval)
        )
    ]
    ingester = BatchIngester(
        sessionmaker=sessionmaker,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        pattern=settings.audit_ingest_topic_pattern,
        batch_size=settings.audit_ingest_batch_size,
    )
    if settings.audit_ingest_enabled:
        tasks.append(asyncio.create_task(ingester.run()))
    try:
        yield {"signer": signer, "ingester": ingester}
    finally:
        await stop_tasks(tasks)


async def _register(sessionmaker: async_sessionmaker[AsyncSession], signer: Signer) -> None:
    async with sessionmaker.begin() as session:
        await treeheads.register_key(session, signer)
