import uuid
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Request, status

from hdh_common.db import SessionDep
from hdh_common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    problem_responses,
)
from hdh_common.identity import Researcher
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page
from hdh_common.service_client import ServiceClientDep
from hdh_common.state import service_state
from workspace.dependencies import Reader
from workspace.errors import AccessEnded
from workspace.sessions import schemas, service
from workspace.sessions.credentials import CredentialsUnavailable
from workspace.sessions.hub import HubUnavailable


def _backends(request: Request) -> service.SessionBackends:
    return cast(service.SessionBackends, service_state(request).sessions)  # type: ignore[attr-defined]


BackendsDep = Annotated[service.SessionBackends, Depends(_backends)]
router = APIRouter(prefix="/workspace/projects/{project_id}/sessions", tags=["sessions"])


@router.post(
    "",
    response_model=schemas.Session,
    status_code=status.HTTP_201_CREATED,
    summary="Start the caller's notebook session in the project, reading its live grants' tables",
    responses=problem_responses(
        Unauthorized,
        Forbidden,
        AccessEnded,
        NotFound,
        Conflict,
        ServiceUnavailable,
        HubUnavailable,
        CredentialsUnavailable,
    ),
)
async def start_session(
    project_id: uuid.UUID,
    session: SessionDep,
    principal: Researcher,
    access: ServiceClientDep,
    backends: BackendsDep,
) -> schemas.Session:
    return await service.start(session, access, backends, principal, project_id)


@router.get(
    "",
    response_model=Page[schemas.Session],
    summary="The caller's sessions in the project, newest first (hub staff: everyone's)",
    responses=problem_responses(
        Unauthorized, Forbidden, AccessEnded, NotFound, ServiceUnavailable, InvalidCursor
    ),
)
async def list_sessions(
    project_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    access: ServiceClientDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Session]:
    return await service.page(
        session, access, principal, project_id=project_id, cursor=cursor, limit=limit
    )


@router.delete(
    "/{session_id}",
    response_model=schemas.Session,
    summary="Stop a session (its member, or hub staff): its server and credentials end",
    responses=problem_responses(Unauthorized, Forbidden, NotFound, HubUnavailable),
)
async def stop_session(
    project_id: uuid.UUID,
    session_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    backends: BackendsDep,
) -> schemas.Session:
    return await service.stop(
        session, backends, principal, project_id=project_id, session_id=session_id
    )
