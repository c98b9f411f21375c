import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from access.register import schemas, service
from access.text import STORABLE
from hdh_common.db import SessionDep
from hdh_common.errors import problem_responses
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page

router = APIRouter(prefix="/access/register", tags=["register"])


@router.get(
    "",
    response_model=Page[schemas.RegisterEntry],
    summary="The public register of authorised and refused projects (no login)",
    description="Public on purpose: this route asks for no principal, so the gateway may "
    "forward it without a user token. Drafts and requests under review never appear. "
    "Newest decisions first; `q` searches the title, the summaries, the organisation and "
    "the datasets' titles (French full text, accents ignored: `diabete` finds `Diabète`); "
    "the filters combine.",
    responses=problem_responses(InvalidCursor),
)
async def list_register(
    session: SessionDep,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=200, pattern=STORABLE, description="Words to find."),
    ] = None,
    organisation: Annotated[
        str | None,
        Query(min_length=1, max_length=100, pattern=STORABLE, description="Exactly this one."),
    ] = None,
    dataset: Annotated[
        uuid.UUID | None, Query(description="Lines asking for this catalogue dataset.")
    ] = None,
    status: Annotated[schemas.RegisterStatus | None, Query()] = None,
    year: Annotated[
        int | None, Query(ge=2000, le=2100, description="The year of the decision.")
    ] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.RegisterEntry]:
    filters = schemas.RegisterFilters(
        q=q, organisation=organisation, dataset=dataset, status=status, year=year
    )
    return await service.page(session, filters, cursor=cursor, limit=limit)
