from typing import Annotated

from fastapi import APIRouter, Query

from catalog.nomenclatures import schemas, service
from hdh_common.db import SessionDep
from hdh_common.errors import NotFound, Unauthorized, problem_responses
from hdh_common.identity import PrincipalDep
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page

router = APIRouter(prefix="/catalog/nomenclatures", tags=["nomenclatures"])


@router.get(
    "",
    response_model=Page[schemas.Nomenclature],
    summary="List nomenclatures",
    responses=problem_responses(Unauthorized, InvalidCursor),
)
async def list_nomenclatures(
    session: SessionDep,
    principal: PrincipalDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Nomenclature]:
    return await service.page(session, cursor=cursor, limit=limit)


@router.get(
    "/{name}",
    response_model=schemas.NomenclatureDetail,
    summary="Get a nomenclature and its versions",
    responses=problem_responses(Unauthorized, NotFound),
)
async def get_nomenclature(
    name: str, session: SessionDep, principal: PrincipalDep
) -> schemas.NomenclatureDetail:
    return await service.detail(session, name)


@router.get(
    "/{name}/codes",
    response_model=Page[schemas.Code],
    summary="List a nomenclature's codes (latest version unless one is named)",
    responses=problem_responses(Unauthorized, NotFound, InvalidCursor),
)
async def list_codes(
    name: str,
    session: SessionDep,
    principal: PrincipalDep,
    version: Annotated[int | None, Query(ge=1)] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Code]:
    return await service.codes(session, name, version=version, cursor=cursor, limit=limit)
