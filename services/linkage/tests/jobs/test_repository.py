from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from hdh_common.db import create_sessionmaker
from linkage.jobs import service
from linkage.jobs.models import PSEUDONYMISE, QUEUED, RUNNING
from linkage.jobs.repository import JobRepository


@pytest.fixture
async def session(clean_database: str) -> AsyncIterator[AsyncSession]:
    engine = create_async_engine(clean_database)
    async with create_sessionmaker(engine)() as session:
        yield session
        await session.rollback()
    await engine.dispose()


async def test_a_job_whose_worker_stopped_is_taken_again_a_live_one_is_not(
    session: AsyncSession,
) -> None:
    crashed = await service.queue(session, kind=PSEUDONYMISE, params={}, actor="t")
    alive = await service.queue(session, kind=PSEUDONYMISE, params={}, actor="t")
    for job, beat in ((crashed, timedelta(minutes=10)), (alive, timedelta(seconds=5))):
        job.state, job.attempts, job.heartbeat_at = RUNNING, 1, datetime.now(UTC) - beat
    await session.flush()
    repository = JobRepository(session)
    claimed = await repository.claim(stale_after=timedelta(minutes=2))
    assert claimed is not None and claimed.id == crashed.id
    assert (claimed.attempts, claimed.rows_done) == (2, 0)
    assert await repository.claim(stale_after=timedelta(minutes=2)) is None


async def test_queued_jobs_are_taken_oldest_first(session: AsyncSession) -> None:
    await service.queue(session, kind=PSEUDONYMISE, params={}, actor="t")
    first = await service.queue(session, kind=PSEUDONYMISE, params={}, actor="t")
    first.created_at = datetime.now(UTC) - timedelta(minutes=1)
    await session.flush()
    claimed = await JobRepository(session).claim(stale_after=timedelta(minutes=2))
    assert claimed is not None and claimed.id == first.id and first.state != QUEUED
