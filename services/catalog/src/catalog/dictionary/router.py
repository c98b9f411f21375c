from fastapi import APIRouter

from catalog.datasets.dependencies import DatasetFromPath
from catalog.dictionary import schemas, service
from hdh_common.db import SessionDep
from hdh_common.errors import NotFound, Unauthorized, problem_responses
from hdh_common.identity import PrincipalDep
from hdh_common.pagination import MAX_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page

router = APIRouter(prefix="/catalog/datasets/{dataset_id}", tags=["dictionary"])


@router.get(
    "/tables",
    response_model=Page[schemas.TableSummary],
    summary="List a dataset's tables",
    responses=problem_responses(Unauthorized, NotFound, InvalidCursor),
)
async def list_tables(
    dataset: DatasetFromPath,
    session: SessionDep,
    principal: PrincipalDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = MAX_LIMIT,
) -> Page[schemas.TableSummary]:
    return await service.tables_page(session, dataset.id, cursor=cursor, limit=limit)


@router.get(
    "/tables/{name}",
    response_model=schemas.Table,
    summary="Get a table with its variables and foreign keys",
    responses=problem_responses(Unauthorized, NotFound),
)
async def get_table(
    dataset: DatasetFromPath, name: str, session: SessionDep, principal: PrincipalDep
) -> schemas.Table:
    return await service.table(session, dataset.id, name)


@router.get(
    "/tables/{name}/variables",
    response_model=Page[schemas.Variable],
    summary="List a table's variables",
    responses=problem_responses(Unauthorized, NotFound, InvalidCursor),
)
async def list_variables(
    dataset: DatasetFromPath,
    name: str,
    session: SessionDep,
    principal: PrincipalDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = MAX_LIMIT,
) -> Page[schemas.Variable]:
    return await service.variables_page(session, dataset.id, name, cursor=cursor, limit=limit)


@router.get(
    "/graph",
    response_model=schemas.Graph,
    summary="Tables and foreign keys as a graph",
    responses=problem_responses(Unauthorized, NotFound),
)
async def get_graph(
    dataset: DatasetFromPath, session: SessionDep, principal: PrincipalDep
) -> schemas.Graph:
    return await service.graph(session, dataset.id)
