import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from access.calendar.dependencies import NowDep
from access.calendar.legal_clock import legal_day
from access.errors import (
    InvalidRequestContent,
    StaleVersion,
    UnknownDataset,
    UnknownVariable,
    WrongState,
)
from access.requests import schemas, service
from access.requests.dependencies import RequestFromPath
from access.text import STORABLE
from hdh_common.db import SessionDep
from hdh_common.errors import Forbidden, NotFound, Unauthorized, problem_responses
from hdh_common.identity import PrincipalDep, Researcher
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page

router = APIRouter(prefix="/access/requests", tags=["requests"])
stats_router = APIRouter(prefix="/access/stats", tags=["requests"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.AccessRequest,
    summary="File a draft access request for one's project",
    responses=problem_responses(
        Unauthorized, Forbidden, NotFound, UnknownDataset, UnknownVariable, InvalidRequestContent
    ),
)
async def create_request(
    payload: schemas.RequestCreate, session: SessionDep, principal: Researcher
) -> schemas.AccessRequest:
    return service.to_schema(await service.create(session, principal, payload))


@router.get(
    "",
    response_model=Page[schemas.AccessRequest],
    summary="List access requests, newest first (one's projects'; all submitted for reviewers)",
    responses=problem_responses(Unauthorized, Forbidden, InvalidCursor),
)
async def list_requests(
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    project_id: uuid.UUID | None = None,
    state: Annotated[str | None, Query(max_length=30, pattern=STORABLE)] = None,
    overdue: Annotated[bool, Query(description="Only those past their due date (staff).")] = False,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.AccessRequest]:
    return await service.page(
        session,
        principal,
        project_id=project_id,
        state=state,
        overdue=overdue,
        today=legal_day(now),
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/{request_id}",
    response_model=schemas.AccessRequest,
    summary="Get an access request",
    responses=problem_responses(Unauthorized, NotFound),
)
async def get_request(context: RequestFromPath) -> schemas.AccessRequest:
    return service.to_schema(context.request)


@router.patch(
    "/{request_id}",
    response_model=schemas.AccessRequest,
    summary="Change a draft, or a request the applicant was asked to complete (members)",
    responses=problem_responses(
        Unauthorized,
        Forbidden,
        NotFound,
        WrongState,
        StaleVersion,
        UnknownDataset,
        UnknownVariable,
        InvalidRequestContent,
    ),
)
async def update_request(
    payload: schemas.RequestUpdate,
    context: RequestFromPath,
    session: SessionDep,
    principal: PrincipalDep,
) -> schemas.AccessRequest:
    return service.to_schema(await service.update(session, principal, context, payload))


@stats_router.get(
    "",
    response_model=schemas.Stats,
    summary="Counts per state, median time per step, overdue count (staff, auditors)",
    responses=problem_responses(Unauthorized, Forbidden),
)
async def get_stats(session: SessionDep, principal: PrincipalDep, now: NowDep) -> schemas.Stats:
    return await service.stats(session, principal, today=legal_day(now))
