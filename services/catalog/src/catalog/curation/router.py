from typing import Annotated

from fastapi import APIRouter, Query

from catalog.curation import schemas, service
from catalog.datasets import schemas as dataset_schemas
from catalog.datasets.dependencies import DatasetFromPath, WritableDataset
from hdh_common.db import SessionDep
from hdh_common.errors import Conflict, Forbidden, NotFound, Unauthorized, problem_responses
from hdh_common.identity import HubStaff, PrincipalDep
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page

router = APIRouter(prefix="/catalog/datasets/{dataset_id}", tags=["curation"])
_WRITE = problem_responses(Unauthorized, Forbidden, NotFound)


@router.patch(
    "",
    response_model=dataset_schemas.Dataset,
    summary="Edit a dataset's metadata (a new revision)",
    responses=_WRITE,
)
async def update_dataset(
    payload: schemas.DatasetUpdate,
    dataset: WritableDataset,
    principal: PrincipalDep,
    session: SessionDep,
) -> dataset_schemas.Dataset:
    updated = await service.update(session, principal, dataset, payload)
    return dataset_schemas.Dataset.model_validate(updated)


@router.post(
    "/publish",
    response_model=dataset_schemas.Dataset,
    summary="Publish a draft dataset (hub staff)",
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict),
)
async def publish_dataset(
    dataset: DatasetFromPath, principal: HubStaff, session: SessionDep
) -> dataset_schemas.Dataset:
    return dataset_schemas.Dataset.model_validate(
        await service.transition(session, principal, dataset, "publish")
    )


@router.post(
    "/deprecate",
    response_model=dataset_schemas.Dataset,
    summary="Deprecate a published dataset (hub staff)",
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict),
)
async def deprecate_dataset(
    dataset: DatasetFromPath, principal: HubStaff, session: SessionDep
) -> dataset_schemas.Dataset:
    return dataset_schemas.Dataset.model_validate(
        await service.transition(session, principal, dataset, "deprecate")
    )


@router.get(
    "/revisions",
    response_model=Page[schemas.Revision],
    summary="Every revision of a dataset: who and when, oldest first",
    responses=problem_responses(Unauthorized, NotFound, InvalidCursor),
)
async def list_revisions(
    dataset: DatasetFromPath,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Revision]:
    return await service.revisions(session, dataset, cursor=cursor, limit=limit)


@router.get(
    "/revisions/diff",
    response_model=schemas.RevisionDiff,
    summary="What changed between two revisions",
    responses=problem_responses(Unauthorized, NotFound),
)
async def diff_revisions(
    dataset: DatasetFromPath,
    session: SessionDep,
    from_revision: Annotated[int, Query(alias="from", ge=1)],
    to_revision: Annotated[int, Query(alias="to", ge=1)],
) -> schemas.RevisionDiff:
    return await service.diff(session, dataset, from_revision, to_revision)
