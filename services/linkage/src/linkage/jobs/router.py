import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, status

from hdh_common.db import SessionDep
from hdh_common.errors import Conflict, Forbidden, NotFound, Unauthorized, problem_responses
from hdh_common.identity import HubStaff
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page
from hdh_common.storage import StoreDep
from linkage.dependencies import RunnerDep
from linkage.jobs import schemas, service

router = APIRouter(prefix="/linkage/jobs", tags=["jobs"])


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=schemas.Job,
    summary="Queue a pseudonymisation (of a validated version) or a linkage job",
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict),
)
async def create_job(
    payload: schemas.JobCreate,
    session: SessionDep,
    principal: HubStaff,
    runner: RunnerDep,
    store: StoreDep,
    background: BackgroundTasks,
) -> schemas.Job:
    if isinstance(payload, schemas.LinkJobCreate):
        job = await service.queue_linkage(session, payload, actor=principal.subject)
    else:
        job = await service.queue_pseudonymisation(
            session, store, payload.version_id, actor=principal.subject
        )
    background.add_task(runner.nudge)
    return schemas.Job.from_model(job)


@router.get(
    "",
    response_model=Page[schemas.Job],
    summary="List jobs, newest first",
    responses=problem_responses(Unauthorized, Forbidden, InvalidCursor),
)
async def list_jobs(
    session: SessionDep,
    principal: HubStaff,
    where: Annotated[schemas.JobFilter, Depends()],
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Job]:
    return await service.page(session, where=where, cursor=cursor, limit=limit)


@router.get(
    "/{job_id}",
    response_model=schemas.Job,
    summary="A job's state and progress",
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def get_job(job_id: uuid.UUID, session: SessionDep, principal: HubStaff) -> schemas.Job:
    return schemas.Job.from_model(await service.get(session, job_id))


@router.post(
    "/{job_id}/cancel",
    response_model=schemas.Job,
    summary="Cancel a queued or running job",
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict),
)
async def cancel_job(job_id: uuid.UUID, session: SessionDep, principal: HubStaff) -> schemas.Job:
    return schemas.Job.from_model(await service.cancel(session, job_id))


@router.get(
    "/{job_id}/report",
    response_model=schemas.JobReport,
    summary="A finished job's quality report",
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict),
)
async def job_report(
    job_id: uuid.UUID, session: SessionDep, principal: HubStaff
) -> schemas.JobReport:
    return await service.report(session, job_id)
