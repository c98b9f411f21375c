import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.pagination import keyset
from linkage.events import VersionValidated
from linkage.jobs.models import (
    PSEUDONYMISE,
    QUEUED,
    RUNNING,
    CentralObject,
    Job,
    PseudonymisedVersion,
    ValidatedVersion,
)
from linkage.jobs.schemas import JobFilter


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

    async def live_pseudonymisation(self, version_id: uuid.UUID) -> Job | None:
        return await self.session.scalar(
            select(Job)
            .where(
                Job.kind == PSEUDONYMISE,
                Job.state.in_((QUEUED, RUNNING)),
                Job.params["version_id"].astext == str(version_id),
            )
            .limit(1)
        )

    async def page(self, *, where: JobFilter, cursor: str | None, limit: int) -> list[Job]:
        """Newest first."""
        query = select(Job)
        if where.version_id is not None:
            query = query.where(Job.params["version_id"].astext == str(where.version_id))
        if where.kind is not None:
            query = query.where(Job.kind == where.kind)
        if where.state is not None:
            query = query.where(Job.state == where.state)
        query = keyset(query, Job.created_at, Job.id, cursor=cursor, limit=limit, descending=True)
        return list(await self.session.scalars(query))


class PseudonymisedVersionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, version: PseudonymisedVersion) -> None:
        """A version enters ``central`` once: a second one for its id violates the key."""
        self.session.add(version)
        await self.session.flush()

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


class ValidatedVersionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, payload: VersionValidated) -> bool:
        """Keep the catalogue's first announcement of a version; True if this one was it."""
        recorded = await self.session.scalar(
            insert(ValidatedVersion)
            .values(
                version_id=payload.version_id,
                dataset_id=payload.dataset_id,
                table_name=payload.table,
                bucket=payload.bucket,
                object_key=payload.object_key,
                columns=[c.model_dump(mode="json") for c in payload.columns],
            )
            .on_conflict_do_nothing(index_elements=["version_id"])
            .returning(ValidatedVersion.version_id)
        )
        return recorded is not None

    async def get(self, version_id: uuid.UUID) -> ValidatedVersion | None:
        return await self.session.get(ValidatedVersion, version_id)


class CentralObjectRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def owner(self, object_key: str) -> uuid.UUID | None:
        return await self.session.scalar(
            select(CentralObject.job_id).where(CentralObject.object_key == object_key)
        )

    async def claim(self, object_key: str, job_id: uuid.UUID) -> uuid.UUID:
        """Claim the key for the job unless another has; the job that holds the claim."""
        await self.session.execute(
            insert(CentralObject)
            .values(object_key=object_key, job_id=job_id)
            .on_conflict_do_nothing(index_elements=["object_key"])
        )
        owner = await self.owner(object_key)
        assert owner is not None
        return owner

    async def release(self, object_key: str, job_id: uuid.UUID) -> None:
        """Give up a claim whose object was not written (the job failed before or during)."""
        await self.session.execute(
            delete(CentralObject).where(
                CentralObject.object_key == object_key, CentralObject.job_id == job_id
            )
        )
