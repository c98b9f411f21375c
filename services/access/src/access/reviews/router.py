from fastapi import APIRouter, status

from access.dependencies import Reviewer
from access.errors import (
    ConflictOfInterest,
    FourEyes,
    InvalidRequestContent,
    OpinionFinal,
    WrongState,
)
from access.requests.dependencies import RequestFromPath
from access.reviews import schemas, service
from hdh_common.db import SessionDep
from hdh_common.errors import Conflict, Forbidden, NotFound, Unauthorized, problem_responses
from hdh_common.identity import CommitteeMember, HubStaff, PrincipalDep, Regulator
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page

router = APIRouter(prefix="/access/requests/{request_id}", tags=["reviews"])
RECORD_ERRORS = problem_responses(
    Unauthorized,
    Forbidden,
    FourEyes,
    ConflictOfInterest,
    NotFound,
    WrongState,
    InvalidRequestContent,
)


@router.post(
    "/opinions",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.Record,
    summary="Record the committee's opinion (committee member, during committee review)",
    description="One opinion per committee round, final: 409 `opinion-already-recorded` "
    "afterwards, until hub staff reopen the review (a new round, with a reason).",
    responses=RECORD_ERRORS | problem_responses(OpinionFinal),
)
async def record_opinion(
    payload: schemas.OpinionCreate,
    context: RequestFromPath,
    session: SessionDep,
    principal: CommitteeMember,
) -> schemas.Record:
    record = await service.record_opinion(session, principal, context, payload)
    return schemas.Record.model_validate(record)


@router.post(
    "/decisions",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.Record,
    summary="Record the regulator's decision (regulator, during regulator review)",
    responses=RECORD_ERRORS,
)
async def record_decision(
    payload: schemas.RegulatorDecisionCreate,
    context: RequestFromPath,
    session: SessionDep,
    principal: Regulator,
) -> schemas.Record:
    record = await service.record_regulator_decision(session, principal, context, payload)
    return schemas.Record.model_validate(record)


@router.post(
    "/agreements",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.Record,
    summary="Record a signed agreement (hub staff, once authorised)",
    responses=RECORD_ERRORS,
)
async def record_agreement(
    payload: schemas.AgreementCreate,
    context: RequestFromPath,
    session: SessionDep,
    principal: HubStaff,
) -> schemas.Record:
    record = await service.record_agreement(session, principal, context, payload)
    return schemas.Record.model_validate(record)


@router.get(
    "/records",
    response_model=Page[schemas.Record],
    summary="Opinions, decisions and agreements recorded on the request, oldest first",
    responses=problem_responses(Unauthorized, NotFound, InvalidCursor),
)
async def list_records(
    context: RequestFromPath,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Record]:
    return await service.records(session, context, cursor=cursor, limit=limit)


@router.post(
    "/conflicts",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.Conflict,
    summary="Declare a conflict of interest (a reviewer); excludes one from the request",
    description="From then on the declarer neither reads nor acts on the request: 404, like "
    "any request one may not see.",
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict),
)
async def declare_conflict(
    payload: schemas.ConflictCreate,
    context: RequestFromPath,
    session: SessionDep,
    principal: Reviewer,
) -> schemas.Conflict:
    declaration = await service.declare_conflict(session, principal, context, payload)
    return schemas.Conflict.model_validate(declaration)


@router.post(
    "/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.Message,
    summary="Write in the request's information thread",
    responses=problem_responses(Unauthorized, Forbidden, FourEyes, ConflictOfInterest, NotFound),
)
async def post_message(
    payload: schemas.MessageCreate,
    context: RequestFromPath,
    session: SessionDep,
    principal: PrincipalDep,
) -> schemas.Message:
    message = await service.post_message(session, principal, context, payload)
    return schemas.Message.model_validate(message)


@router.get(
    "/messages",
    response_model=Page[schemas.Message],
    summary="The request's information thread, oldest first",
    responses=problem_responses(Unauthorized, NotFound, InvalidCursor),
)
async def list_messages(
    context: RequestFromPath,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Message]:
    return await service.thread(session, context, cursor=cursor, limit=limit)
