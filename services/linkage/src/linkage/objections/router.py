from fastapi import APIRouter, status

from hdh_common.db import SessionDep
from hdh_common.errors import BadRequest, Forbidden, Unauthorized, problem_responses
from hdh_common.identity import HubStaff
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page
from linkage.dependencies import MasterKeyDep
from linkage.objections import schemas, service

router = APIRouter(prefix="/linkage/objections", tags=["objections"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.Objection,
    summary="Record a person's objection (held as a central pseudonym only)",
    responses=problem_responses(Unauthorized, Forbidden, BadRequest),
)
async def record_objection(
    payload: schemas.ObjectionCreate, session: SessionDep, principal: HubStaff, master: MasterKeyDep
) -> schemas.Objection:
    return schemas.Objection.model_validate(
        await service.record(session, master, principal, payload)
    )


@router.get(
    "",
    response_model=Page[schemas.Objection],
    summary="The register of objections (no identifiers, no pseudonyms), oldest first",
    responses=problem_responses(Unauthorized, Forbidden, InvalidCursor),
)
async def list_objections(
    session: SessionDep,
    principal: HubStaff,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Objection]:
    return await service.page(session, cursor=cursor, limit=limit)
