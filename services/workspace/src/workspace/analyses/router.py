import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Response, status

from hdh_common.db import SessionDep
from hdh_common.errors import (
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from hdh_common.identity import Researcher
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page
from hdh_common.service_client import ServiceClientDep
from workspace.analyses import schemas, service
from workspace.analyses.errors import AnalysisFinished, TableNameTaken, UnsafeSql
from workspace.dependencies import RunnerDep
from workspace.errors import AccessEnded
from workspace.queries.errors import UnknownTable

router = APIRouter(prefix="/workspace/projects", tags=["analyses"])
READ_PROBLEMS = (Unauthorized, Forbidden, AccessEnded, NotFound, ServiceUnavailable)


@router.post(
    "/{project_id}/analyses",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=schemas.Analysis,
    summary="Run one read-only SELECT over the project's tables; its result becomes a table",
    description=(
        "The SQL is checked by parsing (one SELECT, only the project's tables, no table"
        " function, no schema) and then run in a sandbox (no external access, memory, thread"
        " and time limits). Its result is never returned: it becomes a table of the space,"
        " queried like the others. Follow it at its URL (`progress`); cancel it with DELETE."
    ),
    responses=problem_responses(
        *READ_PROBLEMS, UnsafeSql, UnknownTable, TableNameTaken, ValidationFailed
    ),
)
async def submit(
    project_id: uuid.UUID,
    analysis: Annotated[schemas.AnalysisRequest, Body()],
    session: SessionDep,
    principal: Researcher,
    access: ServiceClientDep,
    runner: RunnerDep,
    response: Response,
) -> schemas.Analysis:
    submitted = await service.submit(session, access, principal, project_id, analysis)
    response.headers["Location"] = f"/workspace/projects/{project_id}/analyses/{submitted.id}"
    runner.nudge()  # it also polls: the analysis is committed after this returns
    return submitted


@router.get(
    "/{project_id}/analyses",
    response_model=Page[schemas.Analysis],
    summary="The project's analyses, newest first",
    responses=problem_responses(*READ_PROBLEMS, InvalidCursor),
)
async def list_analyses(
    project_id: uuid.UUID,
    session: SessionDep,
    principal: Researcher,
    access: ServiceClientDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Analysis]:
    return await service.page(session, access, principal, project_id, cursor=cursor, limit=limit)


@router.get(
    "/{project_id}/analyses/{analysis_id}",
    response_model=schemas.Analysis,
    summary="An analysis: its state, progress, problem or result table",
    responses=problem_responses(*READ_PROBLEMS),
)
async def get_analysis(
    project_id: uuid.UUID,
    analysis_id: uuid.UUID,
    session: SessionDep,
    principal: Researcher,
    access: ServiceClientDep,
) -> schemas.Analysis:
    return await service.get(session, access, principal, project_id, analysis_id)


@router.delete(
    "/{project_id}/analyses/{analysis_id}",
    response_model=schemas.Analysis,
    summary="Cancel a queued or running analysis",
    responses=problem_responses(*READ_PROBLEMS, AnalysisFinished),
)
async def cancel_analysis(
    project_id: uuid.UUID,
    analysis_id: uuid.UUID,
    session: SessionDep,
    principal: Researcher,
    access: ServiceClientDep,
) -> schemas.Analysis:
    return await service.cancel(session, access, principal, project_id, analysis_id)
