import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.errors import Conflict, NotFound
from hdh_common.pagination import Page, time_key_after, time_key_cursor
from linkage.events import VersionValidated
from linkage.jobs import schemas
from linkage.jobs.models import (
    CANCELLED,
    FAILED,
    LINK,
    PSEUDONYMISE,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    Job,
)
from linkage.jobs.repository import JobRepository, PseudonymisedVersionRepository


async def queue(session: AsyncSession, *, kind: str, params: dict[str, Any], actor: str) -> Job:
    return await JobRepository(session).add(
        Job(
            kind=kind,
            state=QUEUED,
            params=params,
            rows_total=0,
            rows_done=0,
            attempts=0,
            report={},
            created_by=actor,
        )
    )


async def queue_pseudonymisation(
    session: AsyncSession, payload: VersionValidated, *, actor: str
) -> Job:
    return await queue(
        session, kind=PSEUDONYMISE, params=payload.model_dump(mode="json"), actor=actor
    )


async def queue_linkage(
    session: AsyncSession, payload: schemas.LinkJobCreate, *, actor: str
) -> Job:
    repository = PseudonymisedVersionRepository(session)
    for version_id in (payload.left_version_id, payload.right_version_id):
        if await repository.get(version_id) is None:
            raise NotFound(f"Version {version_id} has not been pseudonymised.")
    return await queue(session, kind=LINK, params=payload.model_dump(mode="json"), actor=actor)


async def get(session: AsyncSession, job_id: uuid.UUID) -> Job:
    job = await JobRepository(session).get(job_id)
    if job is None:
        raise NotFound(f"No linkage job with id {job_id}.")
    return job


async def cancel(session: AsyncSession, job_id: uuid.UUID) -> Job:
    job = await get(session, job_id)
    if job.state not in (QUEUED, RUNNING):
        raise Conflict(f"The job is {job.state}; only queued or running jobs can be cancelled.")
    job.state, job.finished_at = CANCELLED, datetime.now(UTC)
    await session.flush()
    return job


async def report(session: AsyncSession, job_id: uuid.UUID) -> schemas.JobReport:
    job = await get(session, job_id)
    if job.state not in (SUCCEEDED, FAILED):
        raise Conflict(f"The job is {job.state}; its report comes when it finishes.")
    return schemas.JobReport.model_validate({"job_id": job.id, "state": job.state, **job.report})


async def page(session: AsyncSession, *, cursor: str | None, limit: int) -> Page[schemas.Job]:
    after = time_key_after(cursor)
    rows = await JobRepository(session).page(after=after, limit=limit + 1)
    items = [schemas.Job.from_model(row) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = time_key_cursor(rows[limit - 1].created_at, rows[limit - 1].id)
    return Page(items=items, next_cursor=next_cursor)
