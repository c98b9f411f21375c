import uuid

from fastapi import APIRouter

from access.calendar.dependencies import NowDep
from access.dependencies import Sweeper
from access.grants import schemas, service
from hdh_common.db import SessionDep
from hdh_common.errors import Conflict, Forbidden, NotFound, Unauthorized, problem_responses
from hdh_common.identity import HubStaff, PrincipalDep, System
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page

router = APIRouter(prefix="/access/grants", tags=["grants"])


@router.get(
    "",
    response_model=Page[schemas.Grant],
    summary="List grants, newest first (one's projects'; all for staff, auditors, systems)",
    responses=problem_responses(Unauthorized, Forbidden, InvalidCursor),
)
async def list_grants(
    session: SessionDep,
    principal: PrincipalDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Grant]:
    return await service.page(session, principal, cursor=cursor, limit=limit)


@router.get(
    "/{grant_id}",
    response_model=schemas.Grant,
    summary="Get a grant",
    responses=problem_responses(Unauthorized, NotFound),
)
async def get_grant(
    grant_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> schemas.Grant:
    return schemas.Grant.model_validate(await service.get_readable(session, principal, grant_id))


@router.get(
    "/{grant_id}/readers/{subject}",
    response_model=schemas.ReaderRights,
    summary="Whether someone may read the grant's data now (internal services only)",
    responses=problem_responses(Unauthorized, Forbidden),
)
async def reader_rights(
    grant_id: uuid.UUID, subject: str, session: SessionDep, principal: System, now: NowDep
) -> schemas.ReaderRights:
    return await service.reader_rights(session, grant_id, subject, now=now)


@router.post(
    "/{grant_id}/revocation",
    response_model=schemas.Grant,
    summary="Revoke a grant, with a reason (hub staff)",
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict),
)
async def revoke_grant(
    grant_id: uuid.UUID,
    payload: schemas.Revocation,
    session: SessionDep,
    principal: HubStaff,
    now: NowDep,
) -> schemas.Grant:
    grant = await service.get_readable(session, principal, grant_id, lock=True)
    revoked = await service.revoke(session, principal, grant, reason=payload.reason, now=now)
    return schemas.Grant.model_validate(revoked)


@router.post(
    "/expiry-sweep",
    response_model=schemas.Sweep,
    summary="Expire the grants past their expiry date now (the scheduled sweep does it too)",
    responses=problem_responses(Unauthorized, Forbidden),
)
async def sweep(session: SessionDep, principal: Sweeper, now: NowDep) -> schemas.Sweep:
    return schemas.Sweep(
        expired=await service.expire_due(session, now=now, actor=principal.subject)
    )
