import uuid

from fastapi import APIRouter

from hdh_common.db import SessionDep
from hdh_common.errors import (
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    problem_responses,
)
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page
from hdh_common.service_client import ServiceClientDep
from workspace.dependencies import Reader
from workspace.errors import AccessEnded
from workspace.spaces import schemas, service

router = APIRouter(prefix="/workspace/projects", tags=["spaces"])


@router.get(
    "",
    response_model=Page[schemas.Space],
    summary="The caller's project spaces, newest first (hub staff: every space)",
    responses=problem_responses(Unauthorized, Forbidden, InvalidCursor),
)
async def list_spaces(
    session: SessionDep,
    principal: Reader,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Space]:
    return await service.page(session, principal, cursor=cursor, limit=limit)


@router.get(
    "/{project_id}",
    response_model=schemas.SpaceDetail,
    summary="A project space, its status and live grants",
    responses=problem_responses(Unauthorized, Forbidden, AccessEnded, NotFound, ServiceUnavailable),
)
async def get_space(
    project_id: uuid.UUID, session: SessionDep, principal: Reader, access: ServiceClientDep
) -> schemas.SpaceDetail:
    return await service.detail(session, access, principal, project_id)


@router.get(
    "/{project_id}/tables",
    response_model=Page[schemas.Table],
    summary="The tables of a project space, by name: their description, never rows",
    responses=problem_responses(
        Unauthorized, Forbidden, AccessEnded, NotFound, ServiceUnavailable, InvalidCursor
    ),
)
async def list_tables(
    project_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    access: ServiceClientDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Table]:
    return await service.tables(
        session, access, principal, project_id=project_id, cursor=cursor, limit=limit
    )
