from fastapi import APIRouter, status

from catalog.datasets import schemas, service
from catalog.datasets.dependencies import DatasetFromPath
from catalog.datasets.visibility import VisibilityDep
from catalog.dependencies import Registrar
from hdh_common.db import SessionDep
from hdh_common.errors import Conflict, Forbidden, NotFound, Unauthorized, problem_responses
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page

router = APIRouter(prefix="/catalog/datasets", tags=["datasets"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.Dataset,
    summary="Register a dataset",
    responses=problem_responses(Unauthorized, Forbidden, Conflict),
)
async def register_dataset(
    payload: schemas.DatasetCreate, session: SessionDep, principal: Registrar
) -> schemas.Dataset:
    dataset = await service.register(session, principal, payload)
    return schemas.Dataset.model_validate(dataset)


@router.get(
    "",
    response_model=Page[schemas.Dataset],
    summary="List the datasets the caller sees (no login: the published ones)",
    responses=problem_responses(Unauthorized, InvalidCursor),
)
async def list_datasets(
    session: SessionDep,
    visibility: VisibilityDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Dataset]:
    return await service.page(session, visibility=visibility, cursor=cursor, limit=limit)


@router.get(
    "/{dataset_id}",
    response_model=schemas.Dataset,
    summary="Get a dataset (a draft: hub staff and its producers only, 404 to others)",
    responses=problem_responses(Unauthorized, NotFound),
)
async def get_dataset(dataset: DatasetFromPath) -> schemas.Dataset:
    return schemas.Dataset.model_validate(dataset)
