from fastapi import APIRouter

from access.calendar.dependencies import NowDep
from access.dependencies import SettingsDep
from access.errors import (
    ConflictOfInterest,
    FourEyes,
    GuardFailed,
    IllegalTransition,
    ReasonRequired,
    StaleVersion,
)
from access.requests import schemas as request_schemas
from access.requests.dependencies import RequestFromPath
from access.requests.service import history, to_schema
from access.workflow import service
from access.workflow.schemas import TransitionCreate, TransitionRule
from hdh_common.db import SessionDep
from hdh_common.errors import Forbidden, NotFound, Unauthorized, problem_responses
from hdh_common.identity import PrincipalDep
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page

router = APIRouter(prefix="/access/requests/{request_id}/transitions", tags=["workflow"])
table_router = APIRouter(prefix="/access/workflow", tags=["workflow"])


@table_router.get(
    "",
    response_model=Page[TransitionRule],
    summary="The workflow's transitions table (public, like the design it documents)",
    responses=problem_responses(InvalidCursor),
)
async def get_workflow(
    cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> Page[TransitionRule]:
    return Page.of(service.table(), cursor=cursor, limit=limit)


@router.post(
    "",
    response_model=request_schemas.AccessRequest,
    summary="Take a transition of the workflow",
    description="409 `illegal-transition` names `current_state`, `allowed_transitions` and "
    "`allowed_states`; 409 `stale-version` when someone else acted first.",
    responses=problem_responses(
        Unauthorized,
        Forbidden,
        FourEyes,
        ConflictOfInterest,
        NotFound,
        IllegalTransition,
        GuardFailed,
        StaleVersion,
        ReasonRequired,
    ),
)
async def take_transition(
    payload: TransitionCreate,
    context: RequestFromPath,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    settings: SettingsDep,
) -> request_schemas.AccessRequest:
    await service.take(session, principal, context, payload, now=now, settings=settings)
    return to_schema(context.request)


@router.get(
    "",
    response_model=Page[request_schemas.Transition],
    summary="The request's history of transitions, oldest first",
    responses=problem_responses(Unauthorized, NotFound, InvalidCursor),
)
async def list_transitions(
    context: RequestFromPath,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[request_schemas.Transition]:
    return await history(session, context, cursor=cursor, limit=limit)
