from fastapi import APIRouter

from access.register import schemas, service
from hdh_common.db import SessionDep
from hdh_common.errors import problem_responses
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page

router = APIRouter(prefix="/access/register", tags=["register"])


@router.get(
    "",
    response_model=Page[schemas.RegisterEntry],
    summary="The public register of authorised and refused projects (no login)",
    description="Public on purpose: this route asks for no principal, so the gateway may "
    "forward it without a user token. Drafts and requests under review never appear.",
    responses=problem_responses(InvalidCursor),
)
async def list_register(
    session: SessionDep, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> Page[schemas.RegisterEntry]:
    return await service.page(session, cursor=cursor, limit=limit)
