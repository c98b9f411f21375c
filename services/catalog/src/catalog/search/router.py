from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from catalog.datasets.visibility import VisibilityDep
from catalog.search import schemas, service
from hdh_common.db import SessionDep
from hdh_common.errors import BadRequest, Unauthorized, problem_responses
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery

router = APIRouter(prefix="/catalog/search", tags=["search"])
# PostgreSQL stores no NUL character: a text holding one is malformed input.
NO_NUL = r"^[^\x00]*$"
Values = Annotated[list[Annotated[str, Field(pattern=NO_NUL)]], Query()]


@router.get(
    "",
    response_model=schemas.SearchResults,
    summary="Search datasets, tables, variables and nomenclatures (French full text)",
    description=(
        "Accents are ignored and words are stemmed (`actes medicaux` finds `acte médical`); "
        "close spellings match by trigrams; a code (CCAM, CIM-10...) matches exactly. "
        "Names and labels rank above passing mentions. Open without a login: only published "
        "datasets are searched, and drafts only by hub staff and their producers."
    ),
    responses=problem_responses(Unauthorized, BadRequest),
)
async def search(
    session: SessionDep,
    visibility: VisibilityDep,
    q: Annotated[
        str, Query(min_length=1, max_length=200, pattern=NO_NUL, description="The query.")
    ],
    kind: Annotated[list[schemas.Kind], Query()] = [],  # noqa: B006
    publisher: Values = [],  # noqa: B006
    theme: Values = [],  # noqa: B006
    access_rights: Values = [],  # noqa: B006
    present_from: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    present_to: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> schemas.SearchResults:
    filters = schemas.SearchFilters(
        kinds=kind,
        publisher=publisher,
        theme=theme,
        access_rights=access_rights,
        present_from=present_from,
        present_to=present_to,
    )
    return await service.search(
        session, q, filters, visibility=visibility, cursor=cursor, limit=limit
    )
