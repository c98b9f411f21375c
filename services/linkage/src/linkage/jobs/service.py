import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.errors import Conflict, NotFound
from hdh_common.pagination import Page
from hdh_common.storage import ObjectNotFound, ObjectStore
from linkage.errors import CentralVersionExists
from linkage.events import VersionValidated
from linkage.jobs import schemas
from linkage.jobs.execute import CENTRAL_BUCKET, central_object_key, validated_payload
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
from linkage.jobs.repository import (
    CentralObjectRepository,
    JobRepository,
    PseudonymisedVersionRepository,
    ValidatedVersionRepository,
)


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


async def version_validated(
    session: AsyncSession, payload: VersionValidated, *, actor: str
) -> Job | None:
    """The catalogue's event: the version is recorded, and its pseudonymisation queued, once."""
    if not await ValidatedVersionRepository(session).record(payload):
        return None
    return await _queue_pseudonymisation(session, payload.version_id, actor=actor)


async def queue_pseudonymisation(
    session: AsyncSession, store: ObjectStore, version_id: uuid.UUID, *, actor: str
) -> Job:
    """Staff asking again, e.g. after a failure: only a validated version not yet in central."""
    record = await ValidatedVersionRepository(session).get(version_id)
    if record is None:
        raise NotFound(f"Version {version_id} has not been validated by the catalogue.")
    object_key = central_object_key(validated_payload(record))
    if (
        await PseudonymisedVersionRepository(session).get(version_id) is not None
        or await CentralObjectRepository(session).owner(object_key) is not None
        or await _stored(store, CENTRAL_BUCKET, object_key)
    ):
        raise CentralVersionExists(
            f"Version {version_id} is already in central; a central version is written once."
        )
    if await JobRepository(session).live_pseudonymisation(version_id) is not None:
        raise Conflict(f"A job is already pseudonymising version {version_id}.")
    return await _queue_pseudonymisation(session, version_id, actor=actor)


async def _queue_pseudonymisation(
    session: AsyncSession, version_id: uuid.UUID, *, actor: str
) -> Job:
    return await queue(
        session, kind=PSEUDONYMISE, params={"version_id": str(version_id)}, actor=actor
    )


async def _stored(store: ObjectStore, bucket: str, key: str) -> bool:
    try:
        await store.stat(bucket, key)
    except ObjectNotFound:
        return False
    return True


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


async def page(
    session: AsyncSession, *, where: schemas.JobFilter, cursor: str | None, limit: int
) -> Page[schemas.Job]:
    rows = await JobRepository(session).page(where=where, cursor=cursor, limit=limit)
    return Page.from_rows(
        rows, limit, key=lambda j: (j.created_at, j.id), convert=schemas.Job.from_model
    )
