import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from linkage.jobs.models import QUEUED, RUNNING, Job, PseudonymisedVersion


class JobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, job: Job) -> Job:
        self.session.add(job)
        await self.session.flush()
        return job

    async def get(self, job_id: uuid.UUID) -> Job | None:
        return await self.session.get(Job, job_id)

    async def claim(self, *, stale_after: timedelta) -> Job | None:
        """Take the oldest queued job, or a running one whose worker stopped beating."""
        stale = datetime.now(UTC) - stale_after
        job = await self.session.scalar(
            select(Job)
            .where(or_(Job.state == QUEUED, (Job.state == RUNNING) & (Job.heartbeat_at < stale)))
            .order_by(Job.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if job is not None:
            now = datetime.now(UTC)
            job.state, job.attempts, job.heartbeat_at = RUNNING, job.attempts + 1, now
            job.started_at, job.rows_done = now, 0
            await self.session.flush()
        return job

    async def progress(self, job_id: uuid.UUID, *, done: int, total: int | None = None) -> str:
        values: dict[str, Any] = {"rows_done": done, "heartbeat_at": datetime.now(UTC)}
        if total is not None:
            values["rows_total"] = total
        state = await self.session.scalar(
            update(Job).where(Job.id == job_id).values(**values).returning(Job.state)
        )
        return str(state)

    async def page(self, *, after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Job]:
        query = select(Job).order_by(Job.created_at, Job.id).limit(limit)
        if after is not None:
            query = query.where(tuple_(Job.created_at, Job.id) > after)
        return list(await self.session.scalars(query))


class PseudonymisedVersionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(self, **values: Any) -> None:
        statement = insert(PseudonymisedVersion).values(**values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["version_id"],
                set_={k: statement.excluded[k] for k in values if k != "version_id"},
            )
        )

    async def get(self, version_id: uuid.UUID) -> PseudonymisedVersion | None:
        return await self.session.get(PseudonymisedVersion, version_id)

    async def latest_for(self, dataset_id: uuid.UUID, table: str) -> PseudonymisedVersion | None:
        return await self.session.scalar(
            select(PseudonymisedVersion)
            .where(
                PseudonymisedVersion.dataset_id == dataset_id,
                PseudonymisedVersion.table_name == table,
            )
            .order_by(PseudonymisedVersion.created_at.desc())
            .limit(1)
        )
